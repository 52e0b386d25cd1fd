import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createPacketSizeGuard } from './packet-size-guard.js';

const publish = (bodyBytes: number) => {
  const length: number[] = [];
  let rest = bodyBytes;
  do {
    const byte = rest % 128;
    rest = Math.floor(rest / 128);
    length.push(rest > 0 ? byte | 0x80 : byte);
  } while (rest > 0);
  return Buffer.concat([Buffer.from([0x30, ...length]), Buffer.alloc(bodyBytes)]);
};

test('packets up to the limit pass, in one chunk or split anywhere, one after another', () => {
  const stream = Buffer.concat([publish(0), publish(100), publish(1000), publish(16_384)]);
  for (const size of [1, 2, 3, 7, 500, stream.length]) {
    const guard = createPacketSizeGuard(16_384);
    for (let start = 0; start < stream.length; start += size) assert.equal(guard(stream.subarray(start, start + size)), true, `chunks of ${size}`);
  }
});

test('the first packet announcing more than the limit fails, before its body arrives', () => {
  const guard = createPacketSizeGuard(1000);
  assert.equal(guard(publish(10)), true);
  assert.equal(guard(publish(1001).subarray(0, 3)), false);
  assert.equal(guard(Buffer.alloc(10)), false, 'and stays failed');
});

test('a Remaining Length of more than four bytes fails (section 2.2.3)', () => {
  const guard = createPacketSizeGuard(Number.MAX_SAFE_INTEGER);
  assert.equal(guard(Buffer.from([0x30, 0x80, 0x80, 0x80, 0x80, 0x01])), false);
});
