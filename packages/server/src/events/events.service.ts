/**
 * The rules of device events: what a device may send (checked against the protocol, limited
 * per device), storing what the server notices about a device (every `deviceEvent` on the bus),
 * and who reads what (a tenant's own devices only). A device's events are stored first, then
 * published on the bus with `source: 'device'`, so live viewers see only what is kept.
 */
import {
  DeviceEventPayloadError,
  EVENT_LEVELS,
  normalizeDeviceEvents,
  type DeviceEventsQuery,
  type EventLevel,
  type EventPage,
  type EventsQuery,
  type ParsedDeviceEvent,
} from '@flotilla/protocol';
import type { Kysely } from 'kysely';
import type { Bus, BusEvents } from '../bus/bus.js';
import { createDevicesRepository } from '../devices/devices.repository.js';
import { parseRequirements } from '../devices/devices.service.js';
import { AppError, appError } from '../errors.js';
import type { Logger } from '../log.js';
import { decodeCursor, pageOf } from '../store/pagination.js';
import type { Database } from '../store/schema.js';
import type { AuthenticatedDevice } from '../telemetry/device-auth.js';
import { createEventLimiter, defaultEventLimits, type EventLimiterOptions } from './event-limiter.js';
import type { EventMetrics } from './event-metrics.js';
import { createEventWriter, EventWriterFullError, type EventWriterOptions } from './event-writer.js';
import { toStoredEvent } from './events.mapper.js';
import { createEventsRepository, type EventListFilter, type NewEventRow } from './events.repository.js';
import { levelOfServerEvent, messageOfServerEvent } from './server-events.js';

/** A refused message raises one `events.rejected` per device at most this often; the rest are counted in it. */
const REJECTION_NOTICE_INTERVAL_MS = 10_000;

/** What the service is built from. */
export interface EventsServiceDependencies {
  db: Kysely<Database>;
  bus: Bus;
  log: Logger;
  metrics: EventMetrics;
  limits?: Partial<EventLimiterOptions>;
  writer?: Partial<EventWriterOptions>;
}

/** Why a device's events were refused. */
type Refusal = { code: 'EVENT_PAYLOAD_INVALID'; error: DeviceEventPayloadError } | { code: 'EVENTS_RATE_LIMITED'; retryAfterSeconds: number };

function toFilterTime(value: string | undefined): number | undefined {
  return value === undefined ? undefined : Date.parse(value);
}

/** Creates the events service; `start()` begins storing the server's notices. */
export function createEventsService({ db, bus, log, metrics, limits, writer: writerOptions }: EventsServiceDependencies) {
  const repository = createEventsRepository(db);
  const devices = createDevicesRepository(db);
  const writer = createEventWriter({ repository, log, options: writerOptions });
  const effectiveLimits = { ...defaultEventLimits, ...limits };
  const limiter = createEventLimiter(effectiveLimits);
  const lastNotice = new Map<string, { at: number; suppressed: number }>();
  let unsubscribe: (() => void) | null = null;

  /** Tells the owner that a device's events were refused, at most once per interval per device. */
  function noticeRejection(device: AuthenticatedDevice, reason: string, transport: string): void {
    const now = Date.now();
    const previous = lastNotice.get(device.id);
    if (previous && now - previous.at < REJECTION_NOTICE_INTERVAL_MS) {
      previous.suppressed += 1;
      return;
    }
    if (lastNotice.size > 10_000) lastNotice.clear();
    lastNotice.set(device.id, { at: now, suppressed: 0 });
    const data = { reason, transport, ...(previous?.suppressed ? { alsoRefusedSinceLastNotice: previous.suppressed } : {}) };
    bus.publish('deviceEvent', { tenantId: device.tenantId, deviceId: device.id, kind: 'events.rejected', at: now, data });
  }

  /** Checks and limits a device's events; the refusal, or the rows to store. */
  function admit(device: AuthenticatedDevice, parse: () => ParsedDeviceEvent[], now: number): Refusal | NewEventRow[] {
    let events: ParsedDeviceEvent[];
    try {
      events = parse();
    } catch (error) {
      if (error instanceof DeviceEventPayloadError) return { code: 'EVENT_PAYLOAD_INVALID', error };
      throw error;
    }
    if (!limiter.take(`device:${device.id}`, events.length, now)) return { code: 'EVENTS_RATE_LIMITED', retryAfterSeconds: limiter.secondsUntil(`device:${device.id}`, events.length, now) };
    return events.map((event) => ({
      tenant_id: device.tenantId,
      device_id: device.id,
      ts: event.ts,
      kind: event.kind,
      level: event.level,
      message: event.message,
      data: JSON.stringify(event.data),
      source: 'device',
      received_at: now,
    }));
  }

  /** Stores rows of a device's own events, then tells the bus. */
  async function store(rows: NewEventRow[]): Promise<void> {
    try {
      await writer.submit(rows);
    } catch (error) {
      if (error instanceof EventWriterFullError) throw new AppError('EVENTS_OVERLOADED', error.message, undefined, { 'retry-after': '1' });
      throw error;
    }
    metrics.stored('device', rows.length);
    for (const row of rows) {
      bus.publish('deviceEvent', {
        tenantId: row.tenant_id,
        deviceId: row.device_id,
        kind: row.kind,
        at: row.ts,
        data: JSON.parse(row.data) as Record<string, unknown>,
        level: row.level as EventLevel,
        message: row.message,
        source: 'device',
      });
    }
  }

  /** Stores a notice the server raised about a device; never throws (the bus calls it). */
  function recordServerEvent(event: BusEvents['deviceEvent']): void {
    if (event.source === 'device') return; // stored already, by acceptFromDevice or the MQTT handler
    const now = Date.now();
    if (!limiter.take(`server:${event.deviceId}`, 1, now)) {
      metrics.dropped('server', 'rate_limited');
      return;
    }
    const row: NewEventRow = {
      tenant_id: event.tenantId,
      device_id: event.deviceId,
      ts: event.at,
      kind: event.kind,
      level: event.level ?? levelOfServerEvent(event.kind),
      message: event.message ?? messageOfServerEvent(event.data),
      data: JSON.stringify(event.data),
      source: 'server',
      received_at: now,
    };
    writer.submit([row]).then(
      () => metrics.stored('server', 1),
      (error: unknown) => {
        metrics.dropped('server', error instanceof EventWriterFullError ? 'overloaded' : 'store_failed');
        // A device deleted meanwhile fails its foreign key; nothing to tell anyone.
        log.debug({ err: error, deviceId: event.deviceId, kind: event.kind }, 'server event not stored');
      },
    );
  }

  /** Narrows a list query into the repository's filter. */
  function filterOf(tenantId: string, query: DeviceEventsQuery & { selector?: string }, deviceId?: string): EventListFilter {
    const limit = query.limit ?? 50;
    let before: EventListFilter['before'];
    if (query.cursor) {
      const [ts, seq] = decodeCursor(query.cursor);
      if (!Number.isSafeInteger(ts) || !/^\d{1,15}$/.test(seq)) throw appError('INVALID_CURSOR', 'query/cursor is not a cursor this server returned');
      before = { ts: ts as number, seq: Number(seq) };
    }
    const kindIsPrefix = query.kind?.endsWith('*') ?? false;
    const kind = kindIsPrefix ? query.kind?.slice(0, -1) : query.kind;
    if (kind !== undefined && kind.includes('*')) throw appError('VALIDATION_FAILED', 'query/kind may hold * only at its end', [{ field: 'query/kind', message: 'may hold * only at its end' }]);
    return {
      tenantId,
      deviceId,
      requirements: query.selector ? parseRequirements(query.selector) : undefined,
      fromTs: toFilterTime(query.from),
      toTs: toFilterTime(query.to),
      kind: kind === '' ? undefined : kind,
      kindIsPrefix,
      levels: query.level ? EVENT_LEVELS.slice(EVENT_LEVELS.indexOf(query.level)) : undefined,
      source: query.source,
      before,
      limit: limit + 1,
    };
  }

  async function list(filter: EventListFilter): Promise<EventPage> {
    const rows = await repository.list(filter);
    return pageOf(rows, filter.limit - 1, (row) => [row.ts, String(row.seq)], toStoredEvent);
  }

  return {
    /** Begins storing the server's notices about devices. */
    start(): void {
      unsubscribe ??= bus.subscribe('deviceEvent', recordServerEvent);
    },

    /** Stops listening and waits for what is queued to be written. */
    async stop(): Promise<void> {
      unsubscribe?.();
      unsubscribe = null;
      await writer.idle();
    },

    /** `POST /device/events`: checks, limits and stores; resolves once committed. */
    async acceptFromDevice(device: AuthenticatedDevice, body: unknown): Promise<{ accepted: number }> {
      const now = Date.now();
      const admitted = admit(device, () => normalizeDeviceEvents(body, now), now);
      if (!Array.isArray(admitted)) {
        metrics.dropped('device', admitted.code === 'EVENTS_RATE_LIMITED' ? 'rate_limited' : 'invalid');
        if (admitted.code === 'EVENTS_RATE_LIMITED') {
          noticeRejection(device, 'the device sends events faster than it may', 'http');
          throw new AppError('EVENTS_RATE_LIMITED', `a device may send ${effectiveLimits.burst} events at once, then ${effectiveLimits.ratePerSecond} a second; retry in ${admitted.retryAfterSeconds} s`, undefined, {
            'retry-after': String(admitted.retryAfterSeconds),
          });
        }
        noticeRejection(device, admitted.error.message, 'http');
        const field = `body${admitted.error.pointer}`;
        throw appError('EVENT_PAYLOAD_INVALID', `${field} ${admitted.error.reason}`, [{ field, message: admitted.error.reason }]);
      }
      await store(admitted);
      return { accepted: admitted.length };
    },

    /**
     * An MQTT message on the device's events topic. A bad or over-limit message is dropped,
     * counted and told to the owner (MQTT has no negative acknowledgement); a failure to store
     * throws, so the broker closes the connection and the device resends.
     */
    async acceptMqttMessage(device: AuthenticatedDevice, payload: Buffer): Promise<void> {
      const now = Date.now();
      const admitted = admit(device, () => parseDeviceEventsText(payload, now), now);
      if (!Array.isArray(admitted)) {
        metrics.dropped('device', admitted.code === 'EVENTS_RATE_LIMITED' ? 'rate_limited' : 'invalid');
        noticeRejection(device, admitted.code === 'EVENTS_RATE_LIMITED' ? 'the device sends events faster than it may' : admitted.error.message, 'mqtt');
        return;
      }
      await store(admitted);
    },

    recordServerEvent,

    /** A page of the tenant's events across the fleet, newest first. */
    async list(tenantId: string, query: EventsQuery): Promise<EventPage> {
      return list(filterOf(tenantId, query));
    },

    /** A page of one device's events; the device must be the tenant's. */
    async listOfDevice(tenantId: string, deviceId: string, query: DeviceEventsQuery): Promise<EventPage> {
      if (!(await devices.findById(tenantId, deviceId))) throw appError('DEVICE_NOT_FOUND', `no device ${deviceId} in your tenant`);
      return list(filterOf(tenantId, query, deviceId));
    },

    /** Resolves once every queued event is written (tests and shutdown). */
    idle: () => writer.idle(),
  };
}

function parseDeviceEventsText(payload: Buffer, now: number): ParsedDeviceEvent[] {
  let body: unknown;
  try {
    body = JSON.parse(payload.toString('utf8'));
  } catch (error) {
    throw new DeviceEventPayloadError('', `payload is not JSON: ${(error as Error).message}`);
  }
  return normalizeDeviceEvents(body, now);
}

/** The events service. */
export type EventsService = ReturnType<typeof createEventsService>;
