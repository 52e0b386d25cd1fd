/**
 * What the SDK checks before sending: the same rules the server applies (from the protocol
 * package), so a payload the server would drop is refused here with a clear InvalidPayloadError
 * instead of vanishing (MQTT has no negative acknowledgement).
 */
import {
  CommandResultSchema,
  MAX_COMMAND_RESULT_BYTES,
  MAX_REPORTED_STATE_BYTES,
  TelemetryPayloadError,
  normalizeTelemetry,
  type CommandResult,
  type JsonObject,
} from '@flotilla/protocol';
import { InvalidPayloadError } from './errors.js';
import { firstError } from './schema-check.js';

/** Readings as a flat object (`{"temp":21.5}`): the server's time of arrival is their time. */
export type TelemetryReadings = Record<string, unknown>;
/** Readings with their own time: epoch milliseconds or an ISO 8601 string. */
export interface TimedTelemetry {
  ts: number | string;
  values: Record<string, unknown>;
}
/** Anything publishTelemetry takes: one entry or an array of entries. */
export type TelemetryPayload = TelemetryReadings | TimedTelemetry | (TelemetryReadings | TimedTelemetry)[];

/** A device event: what happened (`kind`), when, and any JSON detail. */
export interface DeviceEvent {
  kind: string;
  message?: string;
  level?: 'debug' | 'info' | 'warn' | 'error';
  data?: Record<string, unknown>;
  /** Epoch milliseconds; now when left out. */
  ts?: number;
}

const EVENT_KIND_PATTERN = /^[a-z][a-z0-9._:/-]{0,63}$/;
const MAX_EVENT_BYTES = 64 * 1024;

/**
 * Checks a telemetry payload and gives every entry a `ts` (now, for entries without one), so a
 * message that is sent again after a lost acknowledgement is stored once. Given times are kept.
 */
export function prepareTelemetry(payload: unknown, now = Date.now()): string {
  try {
    normalizeTelemetry(payload, now);
  } catch (error) {
    if (error instanceof TelemetryPayloadError) throw new InvalidPayloadError(`telemetry ${error.message}`);
    throw error;
  }
  const entries = (Array.isArray(payload) ? payload : [payload]) as Record<string, unknown>[];
  const stamped = entries.map((entry) => stampEntry(entry, now));
  return JSON.stringify(Array.isArray(payload) ? stamped : stamped[0]);
}

function stampEntry(entry: Record<string, unknown>, now: number): Record<string, unknown> {
  const isEnvelope = 'values' in entry && typeof entry.values === 'object' && entry.values !== null && !Array.isArray(entry.values);
  if (isEnvelope) return 'ts' in entry ? entry : { ts: now, values: entry.values };
  const { ts, ...values } = entry;
  return { ts: ts ?? now, values };
}

/** Checks a JSON merge patch of the reported state: a JSON object within the size limit. */
export function prepareStatePatch(patch: unknown): string {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) throw new InvalidPayloadError('a state report is a JSON object (a JSON merge patch of the reported state)');
  const text = stringify(patch as JsonObject, 'the state report');
  if (text.length > MAX_REPORTED_STATE_BYTES) throw new InvalidPayloadError(`the state report is ${text.length} bytes; at most ${MAX_REPORTED_STATE_BYTES} are kept`);
  return text;
}

/** Checks a command result against the protocol's schema and size limit. */
export function prepareCommandResult(commandId: unknown, result: unknown): string {
  if (typeof commandId !== 'string' || !/^[^/+#\s]{1,128}$/.test(commandId)) throw new InvalidPayloadError(`command id ${JSON.stringify(commandId)} is not a command id`);
  const mismatch = firstError(CommandResultSchema, result);
  if (mismatch) throw new InvalidPayloadError(`command result ${mismatch}`);
  const text = stringify(result as CommandResult, 'the command result');
  if (text.length > MAX_COMMAND_RESULT_BYTES) throw new InvalidPayloadError(`the command result is ${text.length} bytes; at most ${MAX_COMMAND_RESULT_BYTES} are kept`);
  return text;
}

/** Checks an event and gives it a `ts`. */
export function prepareEvent(event: unknown, now = Date.now()): string {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) throw new InvalidPayloadError('an event is an object with a kind');
  const { kind, ts } = event as Partial<DeviceEvent>;
  if (typeof kind !== 'string' || !EVENT_KIND_PATTERN.test(kind)) throw new InvalidPayloadError(`event kind ${JSON.stringify(kind)}: lower-case letters, digits and ._:/-, starting with a letter`);
  if (ts !== undefined && (typeof ts !== 'number' || !Number.isFinite(ts))) throw new InvalidPayloadError('event ts must be epoch milliseconds');
  const text = stringify({ ...(event as DeviceEvent), ts: ts ?? now }, 'the event');
  if (text.length > MAX_EVENT_BYTES) throw new InvalidPayloadError(`the event is ${text.length} bytes; at most ${MAX_EVENT_BYTES} are sent`);
  return text;
}

function stringify(value: unknown, what: string): string {
  try {
    return JSON.stringify(value);
  } catch (error) {
    throw new InvalidPayloadError(`${what} cannot be written as JSON: ${(error as Error).message}`);
  }
}
