/**
 * How one record sits in a segment file: a 10-byte header (magic, payload length, CRC32 of the
 * payload) and the payload. The magic lets a reader find the next record after damaged bytes;
 * the CRC tells a damaged record from a good one; a length past the end of the file is a write
 * torn by a crash.
 */
import { crc32 } from 'node:zlib';

export const RECORD_MAGIC = 0xf17a;
export const HEADER_BYTES = 10;
/** No record is larger; a length above it is damage, not data. */
export const MAX_RECORD_BYTES = 1024 * 1024;

/** Frames one payload. */
export function encodeRecord(payload: Buffer): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt16BE(RECORD_MAGIC, 0);
  header.writeUInt32BE(payload.length, 2);
  header.writeUInt32BE(crc32(payload), 6);
  return Buffer.concat([header, payload]);
}

/** One good record found by a scan, at `offset` (its header) and `end` (the next byte after it). */
export interface ScannedRecord {
  offset: number;
  end: number;
  payload: Buffer;
}

/** What a scan of a segment's bytes found. */
export interface SegmentScan {
  records: ScannedRecord[];
  /** Damaged stretches skipped (each counts once however many bytes it spans). */
  corrupt: number;
  /** Where a torn record starts (a crash mid-write); the file should be cut there. Null when none. */
  tornAt: number | null;
}

/** Reads every good record of `bytes` from `start`, skipping damage and detecting a torn tail. */
export function scanRecords(bytes: Buffer, start = 0): SegmentScan {
  const records: ScannedRecord[] = [];
  let corrupt = 0;
  let position = start;
  let isInDamage = false;
  while (position < bytes.length) {
    const outcome = readRecordAt(bytes, position);
    if (outcome.kind === 'record') {
      records.push(outcome.record);
      position = outcome.record.end;
      isInDamage = false;
      continue;
    }
    if (outcome.kind === 'torn' && !isInDamage && !hasRecordAfter(bytes, position)) {
      // A header whose payload runs past the end, with nothing good after it, is the last write
      // cut short by a crash. (With good records after it, its length field is damaged instead.)
      return { records, corrupt, tornAt: position };
    }
    if (!isInDamage) corrupt += 1;
    isInDamage = true;
    const next = bytes.indexOf(magicBytes, position + 1);
    if (next === -1) break;
    position = next;
  }
  return { records, corrupt, tornAt: null };
}

function hasRecordAfter(bytes: Buffer, position: number): boolean {
  for (let next = bytes.indexOf(magicBytes, position + 1); next !== -1; next = bytes.indexOf(magicBytes, next + 1)) {
    if (readRecordAt(bytes, next).kind === 'record') return true;
  }
  return false;
}

const magicBytes = Buffer.from([RECORD_MAGIC >> 8, RECORD_MAGIC & 0xff]);

type ReadOutcome = { kind: 'record'; record: ScannedRecord } | { kind: 'torn' } | { kind: 'damaged' };

function readRecordAt(bytes: Buffer, offset: number): ReadOutcome {
  if (bytes.length - offset < HEADER_BYTES) {
    return bytes.length - offset >= 2 && bytes.readUInt16BE(offset) !== RECORD_MAGIC ? { kind: 'damaged' } : { kind: 'torn' };
  }
  if (bytes.readUInt16BE(offset) !== RECORD_MAGIC) return { kind: 'damaged' };
  const length = bytes.readUInt32BE(offset + 2);
  if (length > MAX_RECORD_BYTES) return { kind: 'damaged' };
  const end = offset + HEADER_BYTES + length;
  if (end > bytes.length) return { kind: 'torn' };
  const payload = bytes.subarray(offset + HEADER_BYTES, end);
  if (crc32(payload) !== bytes.readUInt32BE(offset + 6)) return { kind: 'damaged' };
  return { kind: 'record', record: { offset, end, payload } };
}
