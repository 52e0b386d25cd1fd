import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { pino } from 'pino';
import { openDurableQueue, type DurableQueue } from './durable-queue.js';
import { CURSOR_FILE } from './queue-cursor.js';
import { encodeRecord, HEADER_BYTES } from './record-framing.js';

const log = pino({ level: 'silent' });
const directories: string[] = [];

function freshDirectory(): string {
  const directory = mkdtempSync(join(tmpdir(), 'flotilla-queue-'));
  directories.push(directory);
  return directory;
}

function segmentFiles(directory: string): string[] {
  return readdirSync(directory).filter((name) => name.endsWith('.seg')).sort();
}

function drain(queue: DurableQueue<{ n: number }>): number[] {
  const seen: number[] = [];
  for (;;) {
    const records = queue.peek({ maxRecords: 50, maxBytes: 1024 * 1024 });
    if (records.length === 0) return seen;
    seen.push(...records.map((record) => record.value.n));
    queue.ack(records[records.length - 1]!.position);
  }
}

afterEach(() => {
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
});

describe('durable queue', () => {
  it('keeps unacknowledged records across a reopen and forgets acknowledged ones', () => {
    const directory = freshDirectory();
    const queue = openDurableQueue<{ n: number }>({ directory, maxBytes: 1024 * 1024, log });
    for (let n = 1; n <= 5; n += 1) queue.append({ n });
    const firstTwo = queue.peek({ maxRecords: 2, maxBytes: 1024 * 1024 });
    assert.deepEqual(firstTwo.map((record) => record.value.n), [1, 2]);
    queue.ack(firstTwo[1]!.position);
    queue.close();

    const reopened = openDurableQueue<{ n: number }>({ directory, maxBytes: 1024 * 1024, log });
    assert.equal(reopened.stats().pendingRecords, 3);
    assert.deepEqual(drain(reopened), [3, 4, 5]);
    assert.equal(reopened.stats().pendingRecords, 0);
    reopened.close();
  });

  it('cuts a record torn by a crash and appends cleanly after it', () => {
    const directory = freshDirectory();
    const queue = openDurableQueue<{ n: number }>({ directory, maxBytes: 1024 * 1024, log });
    for (let n = 1; n <= 3; n += 1) queue.append({ n });
    queue.close();
    const segment = join(directory, segmentFiles(directory)[0]!);
    const sizeBefore = statSync(segment).size;
    // Half of a fourth record: what a power cut in the middle of a write leaves.
    appendFileSync(segment, encodeRecord(Buffer.from(JSON.stringify({ n: 4 }))).subarray(0, HEADER_BYTES + 3));

    const reopened = openDurableQueue<{ n: number }>({ directory, maxBytes: 1024 * 1024, log });
    assert.equal(statSync(segment).size, sizeBefore);
    reopened.append({ n: 5 });
    assert.deepEqual(drain(reopened), [1, 2, 3, 5]);
    assert.equal(reopened.stats().corrupt, 0);
    reopened.close();
  });

  it('skips and counts a damaged record between good ones', () => {
    const directory = freshDirectory();
    const queue = openDurableQueue<{ n: number }>({ directory, maxBytes: 1024 * 1024, log });
    for (let n = 1; n <= 3; n += 1) queue.append({ n });
    queue.close();
    const segment = join(directory, segmentFiles(directory)[0]!);
    const bytes = readFileSync(segment);
    const recordSize = encodeRecord(Buffer.from(JSON.stringify({ n: 1 }))).length;
    bytes[recordSize + HEADER_BYTES + 2]! ^= 0xff; // a bit flip in the second record's payload
    writeFileSync(segment, bytes);

    const reopened = openDurableQueue<{ n: number }>({ directory, maxBytes: 1024 * 1024, log });
    assert.deepEqual(drain(reopened), [1, 3]);
    assert.equal(reopened.stats().corrupt, 1);
    reopened.close();
  });

  it('survives a segment of garbage and a damaged length field', () => {
    const directory = freshDirectory();
    const queue = openDurableQueue<{ n: number }>({ directory, maxBytes: 1024 * 1024, log });
    for (let n = 1; n <= 3; n += 1) queue.append({ n });
    queue.close();
    const segment = join(directory, segmentFiles(directory)[0]!);
    const bytes = readFileSync(segment);
    bytes.writeUInt32BE(900_000, 2); // the first record claims to run far past the file's end
    writeFileSync(segment, bytes);
    writeFileSync(join(directory, '000000000002.seg'), Buffer.from('this is not a queue segment at all'));

    const reopened = openDurableQueue<{ n: number }>({ directory, maxBytes: 1024 * 1024, log });
    assert.deepEqual(drain(reopened), [2, 3]);
    assert.ok(reopened.stats().corrupt >= 2);
    reopened.close();
  });

  it('drops the oldest records past its bound, counts them, and keeps the newest in order', () => {
    const directory = freshDirectory();
    const maxBytes = 64 * 1024;
    const queue = openDurableQueue<{ n: number; pad: string }>({ directory, maxBytes, log });
    const pad = 'x'.repeat(200);
    for (let n = 1; n <= 1000; n += 1) queue.append({ n, pad });
    const stats = queue.stats();
    assert.ok(stats.pendingBytes <= maxBytes, `pending ${stats.pendingBytes} within ${maxBytes}`);
    assert.ok(stats.dropped > 0);
    assert.equal(stats.dropped + stats.pendingRecords, 1000);
    queue.close();

    const reopened = openDurableQueue<{ n: number }>({ directory, maxBytes, log });
    assert.equal(reopened.stats().dropped, stats.dropped);
    const seen = drain(reopened);
    assert.equal(seen[seen.length - 1], 1000);
    assert.deepEqual(seen, seen.slice().sort((a, b) => a - b));
    assert.equal(seen[0], stats.dropped + 1);
    reopened.close();
  });

  it('removes segment files once everything in them is acknowledged', () => {
    const directory = freshDirectory();
    const queue = openDurableQueue<{ n: number; pad: string }>({ directory, maxBytes: 1024 * 1024, segmentBytes: 4096, log });
    for (let n = 1; n <= 200; n += 1) queue.append({ n, pad: 'y'.repeat(100) });
    assert.ok(segmentFiles(directory).length > 3);
    drain(queue as unknown as DurableQueue<{ n: number }>);
    assert.equal(segmentFiles(directory).length, 1);
    queue.close();
  });

  it('resends from the oldest record when its cursor file is damaged', () => {
    const directory = freshDirectory();
    const queue = openDurableQueue<{ n: number }>({ directory, maxBytes: 1024 * 1024, log });
    for (let n = 1; n <= 3; n += 1) queue.append({ n });
    const first = queue.peek({ maxRecords: 1, maxBytes: 1024 })[0]!;
    queue.ack(first.position);
    queue.close();
    writeFileSync(join(directory, CURSOR_FILE), '{"segment": "oops"');

    const reopened = openDurableQueue<{ n: number }>({ directory, maxBytes: 1024 * 1024, log });
    assert.deepEqual(drain(reopened), [1, 2, 3]);
    reopened.close();
  });
});
