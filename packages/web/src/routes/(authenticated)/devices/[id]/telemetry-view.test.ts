import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  appendPoints,
  chartValue,
  defaultMode,
  effectiveMode,
  formatBucket,
  formatValue,
  fromLocalInput,
  presetRange,
  seriesOfPoints,
  toLocalInput,
} from './telemetry-view.js';

const HOUR = 3_600_000;

test('short ranges default to raw points, longer ones to averages, and raw is refused beyond six hours', () => {
  assert.deepEqual(presetRange('15m', 1_000_000_000), { from: 1_000_000_000 - 15 * 60_000, to: 1_000_000_000 });
  assert.equal(defaultMode(presetRange('1h')), 'raw');
  assert.equal(defaultMode(presetRange('6h')), 'avg');
  assert.equal(effectiveMode('raw', presetRange('6h')), 'raw');
  assert.equal(effectiveMode('raw', presetRange('24h')), 'avg');
  assert.equal(effectiveMode('max', presetRange('15m')), 'max');
});

test('only numbers and booleans are charted', () => {
  assert.equal(chartValue(21.5), 21.5);
  assert.equal(chartValue(true), 1);
  assert.equal(chartValue(false), 0);
  assert.equal(chartValue('21.5'), null);
  assert.equal(chartValue({ a: 1 }), null);
  assert.equal(chartValue(Number.NaN), null);
});

test('raw points split into one series per wanted key, leaving out values that are not numbers', () => {
  const series = seriesOfPoints(
    [
      { key: 'temp', ts: 1, value: 20 },
      { key: 'status', ts: 1, value: 'ok' },
      { key: 'temp', ts: 2, value: 'broken' },
      { key: 'temp', ts: 3, value: 21 },
      { key: 'other', ts: 3, value: 5 },
    ],
    ['temp', 'status'],
  );
  assert.deepEqual(series, { temp: { xs: [1, 3], ys: [20, 21] }, status: { xs: [], ys: [] } });
});

test('live points are kept in time order, replace a point at the same time, and slide the window', () => {
  const start = { xs: [10, 20, 30], ys: [1, 2, 3] };
  assert.deepEqual(appendPoints(start, [{ ts: 40, value: 4 }], 0), { xs: [10, 20, 30, 40], ys: [1, 2, 3, 4] });
  assert.deepEqual(appendPoints(start, [{ ts: 25, value: 9 }], 0), { xs: [10, 20, 25, 30], ys: [1, 2, 9, 3] });
  assert.deepEqual(appendPoints(start, [{ ts: 20, value: 7 }], 0), { xs: [10, 20, 30], ys: [1, 7, 3] });
  assert.deepEqual(appendPoints(start, [{ ts: 40, value: 4 }], 25), { xs: [30, 40], ys: [3, 4] });
  assert.deepEqual(start, { xs: [10, 20, 30], ys: [1, 2, 3] }, 'the original series is left alone');
});

test('values and bucket sizes read as text', () => {
  assert.equal(formatValue('heating'), 'heating');
  assert.equal(formatValue(true), 'true');
  assert.equal(formatValue({ a: [1, 2] }), '{"a":[1,2]}');
  assert.equal(formatValue({ text: 'x'.repeat(200) }).length, 118);
  assert.equal(formatBucket(60_000), '1 min');
  assert.equal(formatBucket(5 * 60_000), '5 min');
  assert.equal(formatBucket(6 * HOUR), '6 h');
  assert.equal(formatBucket(24 * HOUR), '1 d');
});

test('datetime-local values round-trip to the minute', () => {
  const ms = new Date(2026, 2, 4, 5, 6).getTime();
  assert.equal(toLocalInput(ms), '2026-03-04T05:06');
  assert.equal(fromLocalInput('2026-03-04T05:06'), ms);
  assert.equal(fromLocalInput(''), null);
  assert.equal(fromLocalInput('not a time'), null);
});
