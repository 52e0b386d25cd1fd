/**
 * Device events: what happened on a device that its owner should be able to read later (a log
 * line, a crash, a restart), and what the server noticed about it (a refused payload). A device
 * sends one event object or an array of them, on MQTT `flotilla/v1/d/{id}/events` or with
 * `POST /api/v1/device/events`; `parseDeviceEvents` checks them and says exactly what is wrong.
 */
import { Type, type Static } from '@sinclair/typebox';
import { PageQuerySchema, PageSchema } from './api.js';

/** Severity of an event, lowest first. */
export const EVENT_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type EventLevel = (typeof EVENT_LEVELS)[number];

/** Who raised an event: the device itself, or the server about the device. */
export const EVENT_SOURCES = ['device', 'server'] as const;
export type EventSource = (typeof EVENT_SOURCES)[number];

/** An event kind: lower-case letters, digits and `._:/-`, starting with a letter, at most 64 characters (`app.crashed`). */
export const EVENT_KIND_PATTERN = '^[a-z][a-z0-9._:/-]{0,63}$';
const eventKindRegExp = new RegExp(EVENT_KIND_PATTERN);

/** Limits of what a device may send in one message. */
export const EVENT_LIMITS = Object.freeze({
  /** Events in one message (an array). */
  maxEventsPerMessage: 100,
  /** Characters of `message`. */
  maxMessageLength: 4096,
  /** Bytes of `data` as JSON. */
  maxDataBytes: 8192,
  /** Bytes of one whole message as JSON (what the SDK checks before sending). */
  maxMessageBytes: 64 * 1024,
  /** How far ahead of the server's clock `ts` may be. */
  maxFutureSkewMs: 5 * 60_000,
});

// Timestamps before 2000 are almost always seconds sent where milliseconds were meant.
const EARLIEST_TS = Date.UTC(2000, 0, 1);

/** One event as a device sends it. */
export interface DeviceEventInput {
  kind: string;
  level?: EventLevel;
  message?: string;
  /** Epoch milliseconds; the server's time of arrival when left out. */
  ts?: number;
  data?: Record<string, unknown>;
}

/** One event once checked: every field filled in. */
export interface ParsedDeviceEvent {
  kind: string;
  level: EventLevel;
  message: string;
  ts: number;
  data: Record<string, unknown>;
}

/** Thrown for events that cannot be stored; the message names the field (`[2].kind …`). */
export class DeviceEventPayloadError extends Error {
  /** The same place as a JSON pointer (`/2/kind`), for `body/2/kind` in HTTP problems. */
  readonly pointer: string;

  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(path ? `${path} ${reason}` : reason);
    this.pointer = path.replace(/^\[(\d+)\]\.?/, '/$1/').replace(/^(?=[a-z])/, '/').replace(/\.(?=[a-z])/g, '/').replace(/\/$/, '');
    this.name = 'DeviceEventPayloadError';
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

// The protocol runs in browsers too, so bytes are counted without Buffer.
const utf8 = new TextEncoder();
const knownFields = new Set(['kind', 'level', 'message', 'ts', 'data']);

function parseOne(entry: unknown, where: string, now: number): ParsedDeviceEvent {
  const at = (field: string) => (where ? `${where}.${field}` : field);
  if (!isPlainObject(entry)) throw new DeviceEventPayloadError(where, 'must be an object with a kind (e.g. {"kind":"app.started"})');
  for (const field of Object.keys(entry)) {
    if (!knownFields.has(field)) throw new DeviceEventPayloadError(at(field), 'is not a field of an event (kind, level, message, ts, data)');
  }
  const { kind, level, message, ts, data } = entry;
  if (typeof kind !== 'string' || !eventKindRegExp.test(kind)) {
    throw new DeviceEventPayloadError(at('kind'), 'must be lower-case letters, digits and ._:/-, starting with a letter, at most 64 characters');
  }
  if (level !== undefined && !(typeof level === 'string' && (EVENT_LEVELS as readonly string[]).includes(level))) {
    throw new DeviceEventPayloadError(at('level'), `must be one of ${EVENT_LEVELS.join(', ')}`);
  }
  if (message !== undefined && typeof message !== 'string') throw new DeviceEventPayloadError(at('message'), 'must be a string');
  if (typeof message === 'string' && message.length > EVENT_LIMITS.maxMessageLength) {
    throw new DeviceEventPayloadError(at('message'), `must be at most ${EVENT_LIMITS.maxMessageLength} characters; this is ${message.length}`);
  }
  if (ts !== undefined) {
    if (typeof ts !== 'number' || !Number.isInteger(ts)) throw new DeviceEventPayloadError(at('ts'), 'must be epoch milliseconds (an integer)');
    if (ts < EARLIEST_TS) throw new DeviceEventPayloadError(at('ts'), 'is before 2000: send milliseconds, not seconds');
    if (ts > now + EVENT_LIMITS.maxFutureSkewMs) throw new DeviceEventPayloadError(at('ts'), 'is more than 5 minutes ahead of the server clock');
  }
  if (data !== undefined) {
    if (!isPlainObject(data)) throw new DeviceEventPayloadError(at('data'), 'must be a JSON object');
    const bytes = utf8.encode(JSON.stringify(data)).length;
    if (bytes > EVENT_LIMITS.maxDataBytes) throw new DeviceEventPayloadError(at('data'), `must be at most ${EVENT_LIMITS.maxDataBytes} bytes of JSON; this is ${bytes}`);
  }
  return { kind, level: (level as EventLevel | undefined) ?? 'info', message: (message as string | undefined) ?? '', ts: (ts as number | undefined) ?? now, data: (data as Record<string, unknown> | undefined) ?? {} };
}

/** Checks decoded events (one object or an array); a missing `ts` takes the server time `now`. */
export function normalizeDeviceEvents(body: unknown, now: number): ParsedDeviceEvent[] {
  if (!Array.isArray(body)) return [parseOne(body, '', now)];
  if (body.length === 0) throw new DeviceEventPayloadError('', 'an empty array holds no event');
  if (body.length > EVENT_LIMITS.maxEventsPerMessage) {
    throw new DeviceEventPayloadError('', `at most ${EVENT_LIMITS.maxEventsPerMessage} events fit in one message; this has ${body.length}`);
  }
  return body.map((entry, index) => parseOne(entry, `[${index}]`, now));
}

/** Parses JSON text of events; see normalizeDeviceEvents. */
export function parseDeviceEvents(text: string, now: number): ParsedDeviceEvent[] {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw new DeviceEventPayloadError('', `payload is not JSON: ${(error as Error).message}`);
  }
  return normalizeDeviceEvents(body, now);
}

// A string enum rather than a union of literals: one clear error (`must be one of …`) instead of one per literal.
const EventLevelSchema = Type.Unsafe<EventLevel>({ type: 'string', enum: [...EVENT_LEVELS], description: EVENT_LEVELS.join(', ') });
const EventSourceSchema = Type.Unsafe<EventSource>({ type: 'string', enum: [...EVENT_SOURCES], description: 'device: sent by the device; server: noticed by the server' });
const EventKindSchema = Type.String({ pattern: EVENT_KIND_PATTERN, description: 'What happened, e.g. app.crashed, telemetry.rejected' });

/** One event a device sends (HTTP body and MQTT payload are one of these or an array). */
export const DeviceEventInputSchema = Type.Object(
  {
    kind: EventKindSchema,
    level: Type.Optional(EventLevelSchema),
    message: Type.Optional(Type.String({ maxLength: EVENT_LIMITS.maxMessageLength })),
    ts: Type.Optional(Type.Integer({ description: 'Epoch milliseconds; the time of arrival when left out' })),
    data: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: `Any JSON object, at most ${EVENT_LIMITS.maxDataBytes} bytes` })),
  },
  { additionalProperties: false },
);

/** `POST /device/events`: one event or an array of them. */
export const DeviceEventsBodySchema = Type.Union([DeviceEventInputSchema, Type.Array(DeviceEventInputSchema, { minItems: 1, maxItems: EVENT_LIMITS.maxEventsPerMessage })]);

/** What the server answers once a device's events are stored. */
export const DeviceEventsAcceptedSchema = Type.Object({ accepted: Type.Integer({ description: 'Events stored' }) });
export type DeviceEventsAccepted = Static<typeof DeviceEventsAcceptedSchema>;

/** A stored event as the API shows it. */
export const StoredEventSchema = Type.Object({
  id: Type.String(),
  deviceId: Type.String(),
  ts: Type.String({ format: 'date-time', description: 'When it happened (the device clock for device events)' }),
  kind: Type.String(),
  level: EventLevelSchema,
  message: Type.String(),
  data: Type.Record(Type.String(), Type.Unknown()),
  source: EventSourceSchema,
});
export type StoredEvent = Static<typeof StoredEventSchema>;

/** A page of events, newest first. */
export const EventPageSchema = PageSchema(StoredEventSchema);
export type EventPage = Static<typeof EventPageSchema>;

const eventFilters = {
  from: Type.Optional(Type.String({ format: 'date-time', description: 'Only events at or after this time' })),
  to: Type.Optional(Type.String({ format: 'date-time', description: 'Only events before this time' })),
  kind: Type.Optional(Type.String({ pattern: '^[a-z*][a-z0-9._:/*-]{0,63}$', description: 'A kind, or a prefix ending in * (`app.*`)' })),
  level: Type.Optional(Type.Unsafe<EventLevel>({ type: 'string', enum: [...EVENT_LEVELS], description: 'This level and above' })),
  source: Type.Optional(EventSourceSchema),
};

/** `GET /devices/{id}/events`. */
export const DeviceEventsQuerySchema = Type.Composite([PageQuerySchema, Type.Object(eventFilters)], { additionalProperties: false });
export type DeviceEventsQuery = Static<typeof DeviceEventsQuerySchema>;

/** `GET /events`: the whole fleet's events, narrowed by a label selector. */
export const EventsQuerySchema = Type.Composite(
  [PageQuerySchema, Type.Object({ ...eventFilters, selector: Type.Optional(Type.String({ maxLength: 2048, description: 'Label selector, e.g. `site=oslo`' })) })],
  { additionalProperties: false },
);
export type EventsQuery = Static<typeof EventsQuerySchema>;
