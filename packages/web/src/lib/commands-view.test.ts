import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WELL_KNOWN_COMMANDS, type Command } from '@flotilla/protocol';
import { applyCommandEvent, defaultTimeoutSeconds, initialParamValues, isCancellable, paramFields, paramsOf, type CommandEvent } from './commands-view.js';

test('a well-known command schema becomes form fields with kinds, limits, defaults and descriptions', () => {
  const fields = paramFields(WELL_KNOWN_COMMANDS['collect-logs'].params);
  assert.deepEqual(
    fields.map((field) => [field.name, field.kind, field.isRequired, field.default, field.minimum, field.maximum]),
    [
      ['app', 'string', false, undefined, null, null],
      ['lines', 'integer', false, 200, 1, 10_000],
    ],
  );
  assert.match(fields[0]!.description ?? '', /the agent itself when absent/);
  assert.deepEqual(initialParamValues(fields), { app: '', lines: '200' });
  assert.deepEqual(paramFields(WELL_KNOWN_COMMANDS.ping.params), []);
  assert.equal(paramFields(WELL_KNOWN_COMMANDS['restart-app'].params)[0]!.isRequired, true);
});

test('enums, booleans and untyped properties get choices, ticks and JSON boxes', () => {
  const fields = paramFields({
    type: 'object',
    properties: {
      level: { anyOf: [{ const: 'debug' }, { const: 'info' }] },
      color: { type: 'string', enum: ['red', 'green'] },
      force: { type: 'boolean', default: true },
      extra: {},
    },
  });
  assert.deepEqual(fields.map((field) => [field.name, field.kind, field.options]), [
    ['level', 'string', ['debug', 'info']],
    ['color', 'string', ['red', 'green']],
    ['force', 'boolean', null],
    ['extra', 'json', null],
  ]);
  assert.deepEqual(initialParamValues(fields), { level: '', color: '', force: true, extra: '' });
  assert.deepEqual(paramsOf(fields, { level: 'info', color: '', force: false, extra: '{"a":[1]}' }), { params: { level: 'info', force: false, extra: { a: [1] } }, problems: {} });
  assert.deepEqual(paramsOf(fields, { level: 'trace', force: true, extra: '{' }).problems, { level: 'must be one of debug, info', extra: 'must be JSON' });
});

test('form values become params: numbers checked against their limits, empty optional fields left out', () => {
  const reboot = paramFields(WELL_KNOWN_COMMANDS.reboot.params);
  assert.deepEqual(paramsOf(reboot, { delaySeconds: '30' }), { params: { delaySeconds: 30 }, problems: {} });
  assert.deepEqual(paramsOf(reboot, { delaySeconds: '' }), { params: {}, problems: {} });
  assert.deepEqual(paramsOf(reboot, { delaySeconds: '1.5' }).problems, { delaySeconds: 'must be a whole number' });
  assert.deepEqual(paramsOf(reboot, { delaySeconds: 'soon' }).problems, { delaySeconds: 'must be a number' });
  assert.deepEqual(paramsOf(reboot, { delaySeconds: '7200' }).problems, { delaySeconds: 'must be at most 3600' });
  const restartApp = paramFields(WELL_KNOWN_COMMANDS['restart-app'].params);
  assert.deepEqual(paramsOf(restartApp, { app: ' ' }).problems, { app: 'is required' });
  assert.deepEqual(paramsOf(paramFields(WELL_KNOWN_COMMANDS.shell.params), { command: 'x'.repeat(8193), timeoutSeconds: '' }).problems, {
    command: 'must be at most 8192 characters',
  });
});

test('timeouts default to the well-known command, else five minutes', () => {
  assert.equal(defaultTimeoutSeconds('ping'), 30);
  assert.equal(defaultTimeoutSeconds('my-custom'), 300);
});

test('live events move a command forward with its timestamps, never back', () => {
  const command: Command = {
    id: 'cmd_1', deviceId: 'dev_1', deviceName: 'pi-1', batchId: null, name: 'ping', params: {}, status: 'queued', timeoutMs: 30_000, expiresAt: null,
    createdBy: null, createdAt: '2030-01-01T00:00:00.000Z', sentAt: null, acknowledgedAt: null, finishedAt: null, output: null, error: null,
  };
  const event = (status: CommandEvent['status'], at: number, error: string | null = null): CommandEvent => ({
    type: 'command', subscription: 's1', deviceId: 'dev_1', commandId: 'cmd_1', name: 'ping', status, at, error,
  });
  let list = applyCommandEvent([command], event('sent', Date.UTC(2030, 0, 1, 0, 0, 1)));
  assert.equal(list[0]!.status, 'sent');
  assert.equal(list[0]!.sentAt, '2030-01-01T00:00:01.000Z');
  list = applyCommandEvent(list, event('acknowledged', Date.UTC(2030, 0, 1, 0, 0, 2)));
  list = applyCommandEvent(list, event('sent', Date.UTC(2030, 0, 1, 0, 0, 3)));
  assert.equal(list[0]!.status, 'acknowledged');
  list = applyCommandEvent(list, event('failed', Date.UTC(2030, 0, 1, 0, 0, 4), 'no route'));
  assert.deepEqual([list[0]!.status, list[0]!.error, list[0]!.finishedAt], ['failed', 'no route', '2030-01-01T00:00:04.000Z']);
  assert.equal(applyCommandEvent(list, event('expired', Date.UTC(2030, 0, 1, 0, 0, 5)))[0]!.status, 'failed');
  assert.equal(applyCommandEvent([command], { ...event('sent', 0), commandId: 'cmd_2' })[0], command);
  assert.deepEqual([isCancellable('queued'), isCancellable('sent'), isCancellable('acknowledged')], [true, true, false]);
});
