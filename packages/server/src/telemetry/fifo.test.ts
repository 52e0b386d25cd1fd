import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Fifo } from './fifo.js';

test('a fifo gives items back in the order they came, across its compactions', () => {
  const fifo = new Fifo<number>();
  let next = 0;
  let expected = 0;
  // Interleave pushes and shifts so that the front is dropped many times while items remain.
  for (let round = 0; round < 50; round++) {
    for (let i = 0; i < 3000; i++) fifo.push(next++);
    for (let i = 0; i < 2000; i++) assert.equal(fifo.shift(), expected++);
    assert.equal(fifo.length, next - expected);
    assert.equal(fifo.peek(), expected);
  }
  while (fifo.length > 0) assert.equal(fifo.shift(), expected++);
  assert.equal(expected, next);
  assert.equal(fifo.shift(), undefined);
  assert.equal(fifo.peek(), undefined);
});
