import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createRateLimiter } from './rate-limiter.js';

test('a full bucket allows the rate at once, then refills over time', () => {
  let now = 0;
  const limiter = createRateLimiter(3, () => now);
  assert.deepEqual([1, 2, 3, 4].map(() => limiter.tryTake()), [true, true, true, false]);
  now += 340;
  assert.equal(limiter.tryTake(), true, 'a third of a second brings back one');
  assert.equal(limiter.tryTake(), false);
  now += 10_000;
  assert.deepEqual([1, 2, 3, 4].map(() => limiter.tryTake()), [true, true, true, false], 'no more than the rate is saved up');
});
