import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DeviceEventPayloadError, EVENT_LIMITS, normalizeDeviceEvents, parseDeviceEvents } from './events.js';

const NOW = Date.UTC(2025, 0, 1);

test('one event or an array; defaults filled in', () => {
  assert.deepEqual(normalizeDeviceEvents({ kind: 'boot' }, NOW), [{ kind: 'boot', level: 'info', message: '', ts: NOW, data: {} }]);
  const [event] = normalizeDeviceEvents([{ kind: 'app.crashed', level: 'error', message: 'x', ts: NOW - 5, data: { code: 1 } }], NOW);
  assert.deepEqual(event, { kind: 'app.crashed', level: 'error', message: 'x', ts: NOW - 5, data: { code: 1 } });
});

test('refusals name the field, with a JSON pointer for HTTP problems', () => {
  const refusal = (body: unknown) => {
    try {
      normalizeDeviceEvents(body, NOW);
    } catch (error) {
      assert.ok(error instanceof DeviceEventPayloadError);
      return `${error.pointer} | ${error.message}`;
    }
    assert.fail('accepted');
  };
  assert.match(refusal([{ kind: 'a' }, { kind: 'b', level: 'loud' }]), /^\/1\/level \| \[1\]\.level must be one of debug, info, warn, error$/);
  assert.match(refusal({ kind: 'Upper' }), /^\/kind \| kind must be lower-case/);
  assert.match(refusal({ kind: 'a', ts: 1_700_000_000 }), /ts is before 2000/);
  assert.match(refusal({ kind: 'a', ts: NOW + 3_600_000 }), /ahead of the server clock/);
  assert.match(refusal({ kind: 'a', message: 'x'.repeat(EVENT_LIMITS.maxMessageLength + 1) }), /message must be at most 4096/);
  assert.match(refusal({ kind: 'a', data: [] }), /data must be a JSON object/);
  assert.match(refusal({ kind: 'a', other: 1 }), /^\/other \| other is not a field/);
  assert.match(refusal(Array.from({ length: 101 }, () => ({ kind: 'a' }))), /at most 100 events/);
  assert.match(refusal('text'), /must be an object with a kind/);
  assert.throws(() => parseDeviceEvents('{', NOW), /payload is not JSON/);
});
