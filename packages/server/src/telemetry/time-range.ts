/**
 * Query parameters of telemetry reads: time ranges (ISO 8601 or epoch milliseconds), key lists
 * and bucket sizes. Every problem is a VALIDATION_FAILED naming the field, never a 500.
 */
import { TELEMETRY_KEY_PATTERN, type TELEMETRY_AGGREGATES, type TELEMETRY_BUCKETS } from '@flotilla/protocol';
import { appError } from '../errors.js';

/** A half-open time range `[from, to)` in epoch milliseconds. */
export interface TimeRange {
  from: number;
  to: number;
}

/** A bucket name, or `auto`. */
export type BucketName = (typeof TELEMETRY_BUCKETS)[number];

/** Sizes of the named buckets, in milliseconds. */
export const BUCKETS: Record<Exclude<BucketName, 'auto'>, number> = { '1m': 60_000, '5m': 300_000, '15m': 900_000, '1h': 3_600_000, '6h': 21_600_000, '1d': 86_400_000 };

/** An aggregate function computed per bucket. */
export type Aggregate = (typeof TELEMETRY_AGGREGATES)[number];

/** More buckets than this in one series is refused: ask for a larger bucket or a shorter range. */
export const MAX_BUCKETS = 10_000;

// `auto` chooses from a finer ladder than the named sizes, so it lands on 100-500 buckets.
const AUTO_LADDER = [1_000, 5_000, 10_000, 30_000, 60_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000,
  7_200_000, 21_600_000, 43_200_000, 86_400_000, 604_800_000];
const AUTO_TARGET_BUCKETS = 500;
const DEFAULT_SPAN_MS = 86_400_000;

function invalid(field: string, message: string): never {
  throw appError('VALIDATION_FAILED', `${field} ${message}`, [{ field, message }]);
}

/** Parses `1700000000000` or `2024-01-02T03:04:05Z`; `field` names it in errors (`query/from`). */
export function parseTime(raw: string | number, field: string): number {
  const text = String(raw).trim();
  const ms = /^-?\d+$/.test(text) ? Number(text) : /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : Number.NaN;
  if (!Number.isFinite(ms)) invalid(field, 'must be an ISO 8601 time or epoch milliseconds');
  if (ms < 0 || ms > 8.64e15) invalid(field, 'is out of range');
  return Math.trunc(ms);
}

/**
 * The range of a query: `to` defaults to now, `from` to a day before `to`.
 * `prefix` is where the fields live (`querystring` or `body`).
 */
export function parseRange(input: { from?: string | number; to?: string | number }, now: number, prefix = 'querystring'): TimeRange {
  const to = input.to === undefined ? now : parseTime(input.to, `${prefix}/to`);
  const from = input.from === undefined ? to - DEFAULT_SPAN_MS : parseTime(input.from, `${prefix}/from`);
  if (from >= to) invalid(`${prefix}/from`, 'must be before to');
  return { from, to };
}

/** Splits `keys=a,b` into validated keys; empty means every key. */
export function parseKeys(raw: string | string[] | undefined, field = 'querystring/keys'): string[] {
  if (raw === undefined) return [];
  const parts = (Array.isArray(raw) ? raw : raw.split(',')).map((key) => key.trim()).filter((key) => key !== '');
  for (const key of parts) {
    if (!TELEMETRY_KEY_PATTERN.test(key)) invalid(field, `has "${key}"; keys are 1-128 letters, digits or _.:/-`);
  }
  return [...new Set(parts)];
}

/** Device ids of a comma-separated list, at most 100; null when absent. */
export function parseDeviceIds(raw: string | undefined, field = 'querystring/devices'): string[] | null {
  if (raw === undefined) return null;
  const ids = [...new Set(raw.split(',').map((id) => id.trim()).filter((id) => id !== ''))];
  if (ids.length === 0) invalid(field, 'names no device; give comma-separated device ids');
  if (ids.length > 100) invalid(field, `names ${ids.length} devices; at most 100 at once (use a selector for more)`);
  const tooLong = ids.find((id) => id.length > 100);
  if (tooLong) invalid(field, `has "${tooLong.slice(0, 20)}…", longer than a device id (100 characters)`);
  return ids;
}

/** The bucket size in milliseconds for a range; refuses a bucket that would make too many. */
export function bucketMs(name: BucketName, range: TimeRange, field = 'querystring/bucket'): number {
  const span = range.to - range.from;
  if (name === 'auto') {
    return AUTO_LADDER.find((size) => span / size <= AUTO_TARGET_BUCKETS) ?? (AUTO_LADDER.at(-1) as number);
  }
  const size = BUCKETS[name];
  if (Math.ceil(span / size) > MAX_BUCKETS) {
    invalid(field, `${name} makes more than ${MAX_BUCKETS} buckets for this range; choose a larger bucket or a shorter range`);
  }
  return size;
}

/** The start of the bucket holding `ts` (buckets are aligned to the epoch, so days to UTC midnight). */
export function bucketStart(ts: number, size: number): number {
  return Math.floor(ts / size) * size;
}
