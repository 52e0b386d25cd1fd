import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { StoredEvent } from '@flotilla/protocol';
import { addLiveRow, hasData, isAtLeast, kindFilterProblem, levelTone, matchesFilter, matchesKind, rowOfLiveEvent, type LiveDeviceEvent } from './events-view.js';

function stored(id: string, ts: string, overrides: Partial<StoredEvent> = {}): StoredEvent {
  return { id, deviceId: 'dev_1', ts, kind: 'app.started', level: 'info', message: '', data: {}, source: 'device', ...overrides };
}

test('a kind filter takes a kind or a prefix ending in *, and names what is wrong otherwise', () => {
  assert.equal(kindFilterProblem(''), null);
  assert.equal(kindFilterProblem('  '), null);
  assert.equal(kindFilterProblem('app.crashed'), null);
  assert.equal(kindFilterProblem('app.*'), null);
  assert.equal(kindFilterProblem('*'), null);
  assert.match(kindFilterProblem('App.crashed') ?? '', /lower-case/);
  assert.match(kindFilterProblem('app crashed') ?? '', /lower-case/);
  assert.match(kindFilterProblem('a'.repeat(65)) ?? '', /at most 64/);
  assert.match(kindFilterProblem('app.*.crashed') ?? '', /\* may only end a prefix/);
  assert.match(kindFilterProblem('**') ?? '', /\* may only end a prefix/);
});

test('kinds match exactly, or by the prefix before a final *', () => {
  assert.equal(matchesKind('app.crashed', ''), true);
  assert.equal(matchesKind('app.crashed', 'app.crashed'), true);
  assert.equal(matchesKind('app.crashed', 'app.crash'), false);
  assert.equal(matchesKind('app.crashed', 'app.*'), true);
  assert.equal(matchesKind('telemetry.rejected', 'app.*'), false);
  assert.equal(matchesKind('telemetry.rejected', '*'), true);
});

test('a minimum level takes that level and above', () => {
  assert.equal(isAtLeast('debug', ''), true);
  assert.equal(isAtLeast('debug', 'info'), false);
  assert.equal(isAtLeast('info', 'info'), true);
  assert.equal(isAtLeast('error', 'warn'), true);
  assert.equal(isAtLeast('info', 'warn'), false);
  assert.equal(matchesFilter({ kind: 'app.crashed', level: 'error' }, { kind: 'app.*', level: 'warn' }), true);
  assert.equal(matchesFilter({ kind: 'app.crashed', level: 'info' }, { kind: 'app.*', level: 'warn' }), false);
  assert.equal(matchesFilter({ kind: 'net.down', level: 'error' }, { kind: 'app.*', level: 'warn' }), false);
});

test('a live event becomes a row with a local id; a server notice without level or source reads as info from the server', () => {
  const full: LiveDeviceEvent = { type: 'deviceEvent', subscription: 's1', deviceId: 'dev_1', kind: 'app.crashed', at: Date.UTC(2025, 0, 15, 12), data: { exitCode: 139 }, level: 'error', message: 'segfault', source: 'device' };
  assert.deepEqual(rowOfLiveEvent(full, 'live-1'), {
    id: 'live-1',
    deviceId: 'dev_1',
    ts: '2025-01-15T12:00:00.000Z',
    kind: 'app.crashed',
    level: 'error',
    message: 'segfault',
    data: { exitCode: 139 },
    source: 'device',
  });
  const bare: LiveDeviceEvent = { type: 'deviceEvent', subscription: 's1', deviceId: 'dev_1', kind: 'state.reported', at: 0, data: {} };
  const row = rowOfLiveEvent(bare, 'live-2');
  assert.equal(row.level, 'info');
  assert.equal(row.source, 'server');
  assert.equal(row.message, '');
});

test('live rows go in time order, newest first, and a row already listed is not added twice', () => {
  const rows = [stored('3', '2025-01-15T12:00:03.000Z'), stored('1', '2025-01-15T12:00:01.000Z')];
  const newest = stored('live-1', '2025-01-15T12:00:04.000Z');
  assert.deepEqual(addLiveRow(rows, newest).map((row) => row.id), ['live-1', '3', '1']);
  const between = stored('live-2', '2025-01-15T12:00:02.000Z');
  assert.deepEqual(addLiveRow(rows, between).map((row) => row.id), ['3', 'live-2', '1']);
  const oldest = stored('live-3', '2025-01-15T12:00:00.000Z');
  assert.deepEqual(addLiveRow(rows, oldest).map((row) => row.id), ['3', '1', 'live-3']);
  assert.deepEqual(addLiveRow([], newest).map((row) => row.id), ['live-1']);
  const again = stored('live-4', '2025-01-15T12:00:03.000Z');
  assert.deepEqual(addLiveRow(rows, again).map((row) => row.id), ['3', '1']);
  const sameTimeOtherKind = stored('live-5', '2025-01-15T12:00:03.000Z', { kind: 'app.stopped' });
  assert.deepEqual(addLiveRow(rows, sameTimeOtherKind).map((row) => row.id), ['live-5', '3', '1']);
});

test('levels have badge colours, and only events with data can be opened', () => {
  assert.equal(levelTone('error'), 'danger');
  assert.equal(levelTone('warn'), 'warning');
  assert.equal(levelTone('info'), 'accent');
  assert.equal(levelTone('debug'), '');
  assert.equal(hasData({ data: {} }), false);
  assert.equal(hasData({ data: { a: 1 } }), true);
});
