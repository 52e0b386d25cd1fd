import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { normalizeTelemetry, parseTelemetry, TelemetryPayloadError } from './telemetry.js';

const now = Date.UTC(2026, 0, 1);

describe('telemetry payloads', () => {
  test('a flat object takes the server time', () => {
    assert.deepEqual(normalizeTelemetry({ temp: 21.5, door: 'open', ok: true }, now), [
      { key: 'temp', ts: now, value: 21.5 },
      { key: 'door', ts: now, value: 'open' },
      { key: 'ok', ts: now, value: true },
    ]);
  });

  test('ts beside flat values, an envelope, an ISO time, and an array', () => {
    assert.deepEqual(normalizeTelemetry({ ts: now - 1000, temp: 1 }, now), [{ key: 'temp', ts: now - 1000, value: 1 }]);
    assert.deepEqual(normalizeTelemetry({ ts: '2025-12-31T23:59:59.000Z', values: { a: { x: 1 } } }, now), [
      { key: 'a', ts: now - 1000, value: { x: 1 } },
    ]);
    const points = normalizeTelemetry([{ a: 1 }, { ts: now - 5, values: { b: [1, 2] } }], now);
    assert.equal(points.length, 2);
    assert.deepEqual(points[1], { key: 'b', ts: now - 5, value: [1, 2] });
  });

  test('bad payloads say where and why', () => {
    const cases: Array<[string, RegExp]> = [
      ['not json', /not JSON/],
      ['42', /must be an object/],
      ['[]', /empty array/],
      ['{}', /no values/],
      ['{"temp":null}', /temp: null is not a reading/],
      ['{"ts":1700000000,"temp":1}', /before 2000; send milliseconds/],
      [`{"ts":${now + 3_600_000},"temp":1}`, /in the future/],
      ['{"ts":"yesterday","temp":1}', /ISO 8601/],
      ['{"bad key":1}', /keys are 1-128/],
      ['[{"a":1},{"b":"x"},"nope"]', /\[2\] must be an object/],
      ['{"ts":1,"values":{"a":1},"x":2}', /x: unknown field/],
    ];
    for (const [text, pattern] of cases) {
      assert.throws(() => parseTelemetry(text, now), (error: unknown) => error instanceof TelemetryPayloadError && pattern.test(error.message), text);
    }
    assert.throws(() => normalizeTelemetry({ n: Number.NaN }, now), /finite/);
    const many = Object.fromEntries(Array.from({ length: 300 }, (_, index) => [`k${index}`, index]));
    assert.throws(() => normalizeTelemetry(many, now), /300 keys; at most 256/);
    assert.throws(() => normalizeTelemetry({ s: 'x'.repeat(5000) }, now), /at most 4096 characters/);
  });
});
