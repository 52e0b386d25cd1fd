/**
 * The queue's persisted cursor: where the first unacknowledged record is, and the counters of
 * what was dropped for space or skipped as damaged. Written atomically after every change.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The persisted part of the queue's position and counters. */
export interface QueueCursor {
  segment: number;
  offset: number;
  dropped: number;
  corrupt: number;
}

export const CURSOR_FILE = 'cursor.json';

/** The stored cursor; null when there is none, `damaged` when it exists but cannot be read. */
export function readCursor(directory: string): QueueCursor | null | 'damaged' {
  const path = join(directory, CURSOR_FILE);
  if (!existsSync(path)) return null;
  try {
    const value = JSON.parse(readFileSync(path, 'utf8')) as Partial<QueueCursor>;
    const fields = [value.segment, value.offset, value.dropped, value.corrupt];
    if (!fields.every((field) => Number.isSafeInteger(field) && (field as number) >= 0)) return 'damaged';
    return value as QueueCursor;
  } catch {
    return 'damaged';
  }
}

/** Replaces the cursor file atomically (write then rename). */
export function writeCursor(directory: string, cursor: QueueCursor): void {
  const path = join(directory, CURSOR_FILE);
  writeFileSync(`${path}.tmp`, JSON.stringify(cursor));
  renameSync(`${path}.tmp`, path);
}
