import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { StateDrift, StateSource } from '@flotilla/protocol';
import { appliedParts, diffRows, driftSummary, parseDocument, sourceLabel, stateTree } from './state-view.js';

const base: StateSource = { type: 'profile', id: 'prf_1', name: 'oslo-base' };
const device: StateSource = { type: 'device' };

test('a document typed by hand parses to an object, and a mistake names its line and column', () => {
  assert.deepEqual(parseDocument('{"a": 1}'), { document: { a: 1 }, problem: null });
  const broken = parseDocument('{\n  "a": 1,\n  "b": \n}');
  assert.equal(broken.document, null);
  assert.match(broken.problem ?? '', /line 4, column 1/);
  assert.match(parseDocument('{"a": tru}').problem ?? '', /line 1, column 7: unexpected "t"/);
  assert.match(parseDocument('{"a": [1, 2}').problem ?? '', /column 12: unexpected "}"/);
  assert.match(parseDocument('{"a": "b"').problem ?? '', /the text ends too early/);
  assert.match(parseDocument('{} x').problem ?? '', /column 4/);
  assert.match(parseDocument('[1, 2]').problem ?? '', /must be a JSON object.*not an array/);
  assert.match(parseDocument('"text"').problem ?? '', /not a string/);
  assert.match(parseDocument('  ').problem ?? '', /\{\} is an empty one/);
});

test('the effective document reads as a tree, each value with the layer that set it', () => {
  const rows = stateTree(
    { settings: { interval: 60, mode: 'eco' }, files: { '/etc/motd': { content: 'hi' } }, wifi: { password: { $secret: true } }, tags: ['a'] },
    {
      '/settings/interval': device,
      '/settings/mode': base,
      '/files/~1etc~1motd/content': base,
      '/wifi/password': device,
      '/tags': base,
    },
  );
  assert.deepEqual(
    rows.map((row) => [row.path, row.depth, row.kind, row.text, row.source ? sourceLabel(row.source) : null]),
    [
      ['/settings', 0, 'object', '', null], // two layers set values under it
      ['/settings/interval', 1, 'value', '60', 'device'],
      ['/settings/mode', 1, 'value', '"eco"', 'oslo-base'],
      ['/files', 0, 'object', '', 'oslo-base'],
      ['/files/~1etc~1motd', 1, 'object', '', 'oslo-base'],
      ['/files/~1etc~1motd/content', 2, 'value', '"hi"', 'oslo-base'],
      ['/wifi', 0, 'object', '', 'device'],
      ['/wifi/password', 1, 'secret', '•••• secret', 'device'],
      ['/tags', 0, 'value', '["a"]', 'oslo-base'],
    ],
  );
  assert.equal(rows.find((row) => row.path === '/files/~1etc~1motd')?.key, '/etc/motd');
});

test('a diff reads as rows: added and removed objects as each value they held, secrets hidden', () => {
  const rows = diffRows([
    { path: '/state', op: 'added', to: { settings: { interval: 60 }, wifi: { password: { $secret: true } } } },
    { path: '/state/mode', op: 'removed', from: 'eco' },
    { path: '/priority', op: 'changed', from: 10, to: 20 },
    { path: '/state/list', op: 'changed', from: [1], to: { a: 1 } },
    { path: '/state/empty', op: 'added', to: {} },
  ]);
  assert.deepEqual(rows, [
    { path: '/state/settings/interval', op: 'added', from: '', to: '60' },
    { path: '/state/wifi/password', op: 'added', from: '', to: '•••• secret' },
    { path: '/state/mode', op: 'removed', from: '"eco"', to: '' },
    { path: '/priority', op: 'changed', from: '10', to: '20' },
    { path: '/state/list', op: 'changed', from: '[1]', to: '{"a":1}' },
    { path: '/state/empty', op: 'added', from: '', to: '{}' },
  ]);
});

test('drift reads as in sync, applying, behind by N or failed', () => {
  const drift = (patch: Partial<StateDrift>): StateDrift => ({ inDrift: false, reason: null, desiredVersion: 3, appliedVersion: 3, appliedStatus: 'applied', ...patch });
  assert.equal(driftSummary(drift({})).text, 'In sync');
  assert.equal(driftSummary(drift({ desiredVersion: 0, appliedVersion: null, appliedStatus: null })).text, 'In sync');
  assert.equal(driftSummary(drift({ inDrift: true, appliedVersion: 1, reason: 'behind' })).text, 'Behind by 2');
  assert.equal(driftSummary(drift({ inDrift: true, appliedVersion: null, appliedStatus: null })).text, 'Behind by 3');
  assert.equal(driftSummary(drift({ inDrift: true, appliedVersion: 2, appliedStatus: 'applying' })).tone, 'accent');
  const failed = driftSummary(drift({ inDrift: true, appliedStatus: 'failed', reason: 'applying version 3 failed: disk full' }));
  assert.deepEqual(failed, { tone: 'danger', text: 'Failed', reason: 'applying version 3 failed: disk full' });
});

test('applied parts come from the reported document, by name', () => {
  assert.deepEqual(appliedParts({}), []);
  assert.deepEqual(
    appliedParts({ applied: { version: 2, status: 'failed', parts: { 'files//etc/motd': { status: 'ok' }, 'apps/web': { status: 'failed', error: 'exit 1' }, odd: 5 } } }),
    [
      { part: 'apps/web', status: 'failed', error: 'exit 1' },
      { part: 'files//etc/motd', status: 'ok', error: null },
      { part: 'odd', status: 'unknown', error: null },
    ],
  );
});
