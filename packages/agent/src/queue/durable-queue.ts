/**
 * The offline buffer: a durable FIFO of JSON records in append-only segment files. Records stay
 * until the sender acknowledges them (after the server acknowledged them); when the queue is
 * over its size bound the oldest segment is dropped and counted. A crash leaves at worst a torn
 * last record, which the next open cuts off; damaged records are skipped and counted. Pure
 * JavaScript with no native module, so the agent ships as one file.
 */
import { closeSync, fdatasyncSync, fstatSync, ftruncateSync, mkdirSync, openSync, readdirSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { AgentError } from '../errors.js';
import { readCursor, writeCursor, type QueueCursor } from './queue-cursor.js';
import { encodeRecord, MAX_RECORD_BYTES, scanRecords } from './record-framing.js';

/** Where a record ends: acknowledging it moves the cursor there. */
export interface QueuePosition {
  segment: number;
  end: number;
}

/** A record read back with its position. */
export interface QueuedRecord<Value> {
  position: QueuePosition;
  value: Value;
  bytes: number;
}

/** What the queue holds and has lost. */
export interface QueueStats {
  pendingRecords: number;
  pendingBytes: number;
  /** Records dropped because the queue was over its bound, since it was created. */
  dropped: number;
  /** Damaged stretches skipped, since it was created. */
  corrupt: number;
}

/** A durable FIFO queue of JSON values. */
export interface DurableQueue<Value> {
  /** Appends one value (written before this returns; flushed to disk within `syncDelayMs`). */
  append(value: Value): void;
  /** The oldest unacknowledged records, up to the limits, in order. */
  peek(limits: { maxRecords: number; maxBytes: number }): QueuedRecord<Value>[];
  /** Removes every record up to and including `position`. */
  ack(position: QueuePosition): void;
  stats(): QueueStats;
  /** Called after each append, so a sender waiting for work wakes up. */
  onAppend(listener: () => void): void;
  close(): void;
}

export interface DurableQueueOptions {
  directory: string;
  maxBytes: number;
  log: Logger;
  /** Segment size; by default a sixteenth of the bound, so dropping loses little at a time. */
  segmentBytes?: number;
  /** Longest time an appended record waits for fdatasync. */
  syncDelayMs?: number;
}

interface Segment {
  id: number;
  size: number;
  /** Records after the cursor in this segment. */
  pendingRecords: number;
}

const SEGMENT_PATTERN = /^(\d{12})\.seg$/;

function segmentPath(directory: string, id: number): string {
  return join(directory, `${String(id).padStart(12, '0')}.seg`);
}

function comparePositions(a: { segment: number; offset: number }, b: { segment: number; offset: number }): number {
  return a.segment === b.segment ? a.offset - b.offset : a.segment - b.segment;
}

/** Opens (or creates) the queue in `directory`, repairing a torn tail. Throws QUEUE_UNUSABLE. */
export function openDurableQueue<Value>(options: DurableQueueOptions): DurableQueue<Value> {
  const { directory, maxBytes, log } = options;
  const segmentBytes = options.segmentBytes ?? Math.min(4 * 1024 * 1024, Math.max(64 * 1024, Math.floor(maxBytes / 16)));
  const syncDelayMs = options.syncDelayMs ?? 1000;
  try {
    mkdirSync(directory, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new AgentError('QUEUE_UNUSABLE', `${directory}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }

  const loaded = loadSegments(directory, log);
  const segments = loaded.segments;
  const cursor = loaded.cursor;
  let activeFd = openSync(segmentPath(directory, lastSegment().id), 'a');
  let syncTimer: NodeJS.Timeout | null = null;
  const listeners: Array<() => void> = [];
  writeCursor(directory, cursor);

  function lastSegment(): Segment {
    return segments[segments.length - 1] as Segment;
  }

  function pendingBytes(): number {
    return segments.reduce((sum, segment) => sum + segment.size, 0) - (segments[0]?.id === cursor.segment ? cursor.offset : 0);
  }

  function rotate(): void {
    closeSync(activeFd);
    const segment: Segment = { id: lastSegment().id + 1, size: 0, pendingRecords: 0 };
    segments.push(segment);
    activeFd = openSync(segmentPath(directory, segment.id), 'a');
  }

  function dropOldest(): void {
    if (segments.length === 1) rotate();
    const oldest = segments.shift() as Segment;
    cursor.dropped += oldest.pendingRecords;
    unlinkSync(segmentPath(directory, oldest.id));
    cursor.segment = (segments[0] as Segment).id;
    cursor.offset = 0;
    writeCursor(directory, cursor);
    log.warn({ droppedRecords: oldest.pendingRecords, droppedTotal: cursor.dropped }, 'offline buffer full: dropped oldest readings');
  }

  function scheduleSync(): void {
    if (syncTimer) return;
    syncTimer = setTimeout(() => {
      syncTimer = null;
      fdatasyncSync(activeFd);
    }, syncDelayMs);
    syncTimer.unref();
  }

  /** Deletes segments wholly behind the cursor (never the active one). */
  function removeAcknowledgedSegments(): void {
    while (segments.length > 1 && (segments[0] as Segment).id < cursor.segment) {
      unlinkSync(segmentPath(directory, (segments.shift() as Segment).id));
    }
  }

  return {
    append(value) {
      const record = encodeRecord(Buffer.from(JSON.stringify(value)));
      if (record.length > MAX_RECORD_BYTES) throw new RangeError(`a queue record is at most ${MAX_RECORD_BYTES} bytes`);
      while (pendingBytes() + record.length > maxBytes && pendingBytes() > 0) dropOldest();
      if (lastSegment().size > 0 && lastSegment().size + record.length > segmentBytes) rotate();
      writeSync(activeFd, record);
      lastSegment().size += record.length;
      lastSegment().pendingRecords += 1;
      scheduleSync();
      for (const listener of listeners) listener();
    },

    peek({ maxRecords, maxBytes: maxBatchBytes }) {
      const found: QueuedRecord<Value>[] = [];
      let bytes = 0;
      for (const segment of segments) {
        if (segment.id < cursor.segment) continue;
        const start = segment.id === cursor.segment ? cursor.offset : 0;
        if (start >= segment.size) continue;
        const content = readSegment(directory, segment.id).subarray(0, segment.size);
        for (const record of scanRecords(content, start).records) {
          const size = record.end - record.offset;
          if (found.length >= maxRecords || (found.length > 0 && bytes + size > maxBatchBytes)) return found;
          found.push({ position: { segment: segment.id, end: record.end }, value: JSON.parse(record.payload.toString('utf8')) as Value, bytes: size });
          bytes += size;
        }
      }
      return found;
    },

    ack(position) {
      if (comparePositions({ segment: position.segment, offset: position.end }, cursor) <= 0) return;
      for (const segment of segments) {
        if (segment.id > position.segment) break;
        if (segment.id < position.segment) segment.pendingRecords = 0;
        else segment.pendingRecords = countRecords(directory, segment, position.end);
      }
      cursor.segment = position.segment;
      cursor.offset = position.end;
      // A fully read closed segment: step into the next so the old file can go.
      const current = segments.find((segment) => segment.id === cursor.segment);
      if (current && current !== lastSegment() && cursor.offset >= current.size) {
        cursor.segment = current.id + 1;
        cursor.offset = 0;
      }
      removeAcknowledgedSegments();
      writeCursor(directory, cursor);
    },

    stats() {
      return {
        pendingRecords: segments.reduce((sum, segment) => sum + segment.pendingRecords, 0),
        pendingBytes: pendingBytes(),
        dropped: cursor.dropped,
        corrupt: cursor.corrupt,
      };
    },

    onAppend(listener) {
      listeners.push(listener);
    },

    close() {
      if (syncTimer) clearTimeout(syncTimer);
      syncTimer = null;
      fdatasyncSync(activeFd);
      closeSync(activeFd);
    },
  };
}

function readSegment(directory: string, id: number): Buffer {
  return readFileSync(segmentPath(directory, id));
}

function countRecords(directory: string, segment: Segment, from: number): number {
  if (from >= segment.size) return 0;
  return scanRecords(readSegment(directory, segment.id).subarray(0, segment.size), from).records.length;
}

/** Reads the segment files and the cursor, cutting a torn tail and counting damage. */
function loadSegments(directory: string, log: Logger): { segments: Segment[]; cursor: QueueCursor } {
  const ids = readdirSync(directory)
    .map((name) => SEGMENT_PATTERN.exec(name)?.[1])
    .filter((id): id is string => id !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
  const stored = readCursor(directory);
  if (stored === 'damaged') log.warn({ directory }, 'offline buffer cursor damaged: resending from the oldest segment (the server ignores duplicates)');
  const cursor: QueueCursor = stored && stored !== 'damaged' ? { ...stored } : { segment: ids[0] ?? 1, offset: 0, dropped: 0, corrupt: 0 };
  if (ids.length === 0) ids.push(Math.max(1, cursor.segment));

  const segments: Segment[] = [];
  for (const [index, id] of ids.entries()) {
    if (id < cursor.segment) {
      unlinkSafely(segmentPath(directory, id));
      continue;
    }
    const isLast = index === ids.length - 1;
    segments.push(loadSegment(directory, id, isLast, cursor, log));
  }
  if (segments.length === 0) segments.push({ id: Math.max(cursor.segment, (ids[ids.length - 1] ?? 0) + 1), size: 0, pendingRecords: 0 });
  const first = segments[0] as Segment;
  if (first.id !== cursor.segment || cursor.offset > first.size) {
    cursor.segment = first.id;
    cursor.offset = 0;
    first.pendingRecords = countRecords(directory, first, 0);
  }
  return { segments, cursor };
}

function loadSegment(directory: string, id: number, isLast: boolean, cursor: QueueCursor, log: Logger): Segment {
  const path = segmentPath(directory, id);
  const fd = openSync(path, 'a+');
  try {
    const content = readFileSync(path);
    const scan = scanRecords(content, 0);
    let size = fstatSync(fd).size;
    if (scan.tornAt !== null) {
      if (isLast) {
        // The last write was cut short by a crash: cut it off so appends continue from a clean end.
        ftruncateSync(fd, scan.tornAt);
        size = scan.tornAt;
        log.warn({ segment: id, cutBytes: content.length - scan.tornAt }, 'offline buffer: cut a torn record left by a crash');
      } else {
        cursor.corrupt += 1;
      }
    }
    if (scan.corrupt > 0) {
      cursor.corrupt += scan.corrupt;
      log.warn({ segment: id, damaged: scan.corrupt }, 'offline buffer: skipped damaged records');
    }
    const from = id === cursor.segment ? cursor.offset : 0;
    return { id, size, pendingRecords: scan.records.filter((record) => record.offset >= from).length };
  } finally {
    closeSync(fd);
  }
}

function unlinkSafely(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone: nothing to remove.
  }
}
