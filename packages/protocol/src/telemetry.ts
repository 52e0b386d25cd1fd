/**
 * Telemetry payloads. A device sends a flat object (`{"temp":21.5,"door":"open"}`), an object
 * with a timestamp and values (`{"ts":1700000000000,"values":{…}}`), or an array of those.
 * `normalizeTelemetry` turns any of them into points, or says exactly what is wrong.
 */

/** A value as stored: numbers, booleans, strings and small JSON documents. */
export type TelemetryValue = number | boolean | string | Record<string, unknown> | unknown[];

/** One reading of one key at one time. */
export interface TelemetryPoint {
  key: string;
  ts: number;
  value: TelemetryValue;
}

/** Limits a payload is checked against. */
export interface TelemetryLimits {
  maxKeysPerMessage: number;
  maxPointsPerMessage: number;
  maxStringLength: number;
  maxJsonValueBytes: number;
  /** How far ahead of the server's clock a timestamp may be. */
  maxFutureSkewMs: number;
}

/** The limits the server applies unless configured otherwise. */
export const defaultTelemetryLimits: TelemetryLimits = Object.freeze({
  maxKeysPerMessage: 256,
  maxPointsPerMessage: 10_000,
  maxStringLength: 4096,
  maxJsonValueBytes: 8192,
  maxFutureSkewMs: 5 * 60_000,
});

/** A telemetry key: letters, digits and `_.:/-`, 1 to 128 characters. */
export const TELEMETRY_KEY_PATTERN = /^[A-Za-z0-9_.:/-]{1,128}$/;

/** Thrown for a payload that cannot be stored; the message says where and why. */
export class TelemetryPayloadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TelemetryPayloadError';
  }
}

// Timestamps before 2000 are almost always seconds sent where milliseconds were meant.
const EARLIEST_TS = Date.UTC(2000, 0, 1);

/** Parses JSON text and normalises it; see normalizeTelemetry. */
export function parseTelemetry(text: string, now: number, limits: TelemetryLimits = defaultTelemetryLimits): TelemetryPoint[] {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw new TelemetryPayloadError(`payload is not JSON: ${(error as Error).message}`);
  }
  return normalizeTelemetry(body, now, limits);
}

/** Turns a decoded payload into points; a missing `ts` takes the server time `now`. */
export function normalizeTelemetry(body: unknown, now: number, limits: TelemetryLimits = defaultTelemetryLimits): TelemetryPoint[] {
  const entries = Array.isArray(body) ? body : [body];
  if (entries.length === 0) throw new TelemetryPayloadError('payload is an empty array');
  const points: TelemetryPoint[] = [];
  entries.forEach((entry, index) => {
    const where = Array.isArray(body) ? `[${index}]` : '';
    collectEntry(entry, where, now, limits, points);
    if (points.length > limits.maxPointsPerMessage) {
      throw new TelemetryPayloadError(`payload has more than ${limits.maxPointsPerMessage} points`);
    }
  });
  return points;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function collectEntry(entry: unknown, where: string, now: number, limits: TelemetryLimits, points: TelemetryPoint[]): void {
  if (!isPlainObject(entry)) throw new TelemetryPayloadError(`${where || 'payload'} must be an object of key/value readings`);
  const hasEnvelope = 'values' in entry && isPlainObject(entry.values);
  if (hasEnvelope) {
    const extra = Object.keys(entry).filter((key) => key !== 'ts' && key !== 'values');
    if (extra.length > 0) throw new TelemetryPayloadError(`${where}${extra[0]}: unknown field beside ts and values`);
  }
  const ts = 'ts' in entry ? readTimestamp(entry.ts, `${where}ts`, now, limits) : now;
  const values = hasEnvelope ? (entry.values as Record<string, unknown>) : withoutTs(entry);
  const keys = Object.keys(values);
  if (keys.length === 0) throw new TelemetryPayloadError(`${where || 'payload'} has no values`);
  if (keys.length > limits.maxKeysPerMessage) {
    throw new TelemetryPayloadError(`${where || 'payload'} has ${keys.length} keys; at most ${limits.maxKeysPerMessage} are allowed`);
  }
  for (const key of keys) {
    if (!TELEMETRY_KEY_PATTERN.test(key)) {
      throw new TelemetryPayloadError(`${where}${JSON.stringify(key)}: keys are 1-128 letters, digits or _.:/-`);
    }
    points.push({ key, ts, value: readValue(values[key], `${where}${key}`, limits) });
  }
}

function withoutTs(entry: Record<string, unknown>): Record<string, unknown> {
  if (!('ts' in entry)) return entry;
  const { ts: _ignored, ...rest } = entry;
  return rest;
}

function readTimestamp(raw: unknown, where: string, now: number, limits: TelemetryLimits): number {
  const ts = typeof raw === 'number' ? raw : typeof raw === 'string' ? Date.parse(raw) : Number.NaN;
  if (!Number.isFinite(ts)) throw new TelemetryPayloadError(`${where}: must be epoch milliseconds or an ISO 8601 time`);
  if (ts < EARLIEST_TS) throw new TelemetryPayloadError(`${where}: ${raw} is before 2000; send milliseconds, not seconds`);
  if (ts > now + limits.maxFutureSkewMs) throw new TelemetryPayloadError(`${where}: ${raw} is in the future`);
  return Math.trunc(ts);
}

function readValue(value: unknown, where: string, limits: TelemetryLimits): TelemetryValue {
  switch (typeof value) {
    case 'number':
      if (!Number.isFinite(value)) throw new TelemetryPayloadError(`${where}: numbers must be finite`);
      return value;
    case 'boolean':
      return value;
    case 'string':
      if (value.length > limits.maxStringLength) throw new TelemetryPayloadError(`${where}: strings are at most ${limits.maxStringLength} characters`);
      return value;
    case 'object': {
      if (value === null) throw new TelemetryPayloadError(`${where}: null is not a reading`);
      const size = JSON.stringify(value).length;
      if (size > limits.maxJsonValueBytes) throw new TelemetryPayloadError(`${where}: JSON values are at most ${limits.maxJsonValueBytes} bytes`);
      return value as Record<string, unknown> | unknown[];
    }
    default:
      throw new TelemetryPayloadError(`${where}: must be a number, boolean, string or JSON object`);
  }
}
