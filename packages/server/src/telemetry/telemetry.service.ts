/**
 * The rules of telemetry reads: tenant isolation (another tenant's device is not found), ranges,
 * pagination across keys, aggregates, the fleet's latest values, retention settings, and what
 * happens to a device's payload before and after ingest.
 */
import {
  defaultTelemetryLimits,
  normalizeTelemetry,
  TelemetryPayloadError,
  type Page,
  type TelemetryAggregateReply,
  type TelemetryLatestItem,
  type TelemetryPointItem,
  type TelemetryQueryBody,
  type TelemetryPoint,
  type TelemetryQueryReply,
} from '@flotilla/protocol';
import type { Bus } from '../bus/bus.js';
import { appError } from '../errors.js';
import type { Logger } from '../log.js';
import { isoOrNull } from '../store/json.js';
import { decodeCursor, pageOf } from '../store/pagination.js';
import type { AuthenticatedDevice } from './device-auth.js';
import type { Ingest } from './ingest.js';
import type { IngestMetrics } from './ingest-metrics.js';
import { DEFAULT_RETENTION_DAYS } from './retention.js';
import { parseRequirements } from '../devices/devices.service.js';
import type { LatestCache } from './latest-cache.js';
import type { LatestPage, TelemetryRepository } from './telemetry.repository.js';
import { bucketMs, bucketStart, parseDeviceIds, parseKeys, parseRange, type Aggregate, type BucketName, type TimeRange } from './time-range.js';
import { decodeValue } from './values.js';

/** Query of raw points of one device. */
export interface PointsQuery {
  keys?: string;
  from?: string;
  to?: string;
  limit?: number;
  cursor?: string;
  order?: 'asc' | 'desc';
}

/** Query of aggregates of one device. */
export interface AggregateQuery {
  keys?: string;
  from?: string;
  to?: string;
  agg: Aggregate;
  bucket?: BucketName;
}

/** Query of the fleet's latest values. */
export interface LatestQuery {
  selector?: string;
  devices?: string;
  keys?: string;
  limit?: number;
  cursor?: string;
}

/** Devices × keys a multi-device query may ask for at once. */
export const MAX_QUERY_SERIES = 500;

type PointItemWithCursor = TelemetryPointItem & { ts: number };

/** Creates the telemetry service. */
export function createTelemetryService({ repository, ingest, bus, log, metrics, latestCache }: {
  repository: TelemetryRepository;
  ingest: Ingest;
  bus: Bus;
  log: Logger;
  metrics?: IngestMetrics;
  /** On SQLite: latest values in memory (see latest-cache.ts); otherwise they are read from the table. */
  latestCache?: LatestCache;
}) {
  async function requireDevice(tenantId: string, deviceId: string) {
    const device = await repository.findDevice(tenantId, deviceId);
    if (!device) throw appError('DEVICE_NOT_FOUND', `no device ${deviceId} in your tenant`);
    return device;
  }

  /** The series to read: the named keys the device has, or all its keys. */
  async function seriesOf(deviceRef: number, keys: string[]) {
    return keys.length === 0 ? repository.keysOfDevice(deviceRef) : repository.keyIds(keys);
  }

  async function pointsPage(tenantId: string, deviceId: string, query: PointsQuery, now = Date.now()): Promise<Page<TelemetryPointItem>> {
    const device = await requireDevice(tenantId, deviceId);
    const range = parseRange(query, now);
    const keys = parseKeys(query.keys);
    const limit = query.limit ?? 1000;
    const order = query.order ?? 'asc';
    const cursor = query.cursor ? decodePointCursor(query.cursor) : null;
    if (device.ref === null) return { items: [], nextCursor: null };
    const rows: PointItemWithCursor[] = [];
    for (const series of await seriesOf(device.ref, keys)) {
      // Resume after (ts, key): a key after the cursor's in this order may still have points at its ts.
      const isAfterCursorKey = cursor !== null && (order === 'asc' ? series.name > cursor.key : series.name < cursor.key);
      const position = cursor ? { ts: cursor.ts, inclusive: isAfterCursorKey } : undefined;
      for (const row of await repository.points(device.ref, series.id, range, order, limit + 1, position)) {
        rows.push({ key: series.name, ts: Number(row.ts), value: decodeValue(row.value_num, row.value_text, row.value_type) });
      }
    }
    const sign = order === 'asc' ? 1 : -1;
    rows.sort((a, b) => sign * (a.ts - b.ts || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)));
    return pageOf(rows, limit, (row) => [row.ts, row.key], (row) => row);
  }

  async function aggregateSeries(deviceRef: number | null, keys: { id: number; name: string }[], range: TimeRange, agg: Aggregate, size: number) {
    const first = bucketStart(range.from, size);
    const series = [];
    for (const key of keys) {
      const points = deviceRef === null ? [] : await repository.aggregate(deviceRef, key.id, range, agg, size, first);
      series.push({ key: key.name, points });
    }
    return series;
  }

  return {
    /** A page of one device's raw points, by time then key. */
    pointsPage,

    /** Aggregates of one device's keys in time buckets. */
    async aggregate(tenantId: string, deviceId: string, query: AggregateQuery, now = Date.now()): Promise<TelemetryAggregateReply> {
      const device = await requireDevice(tenantId, deviceId);
      const range = parseRange(query, now);
      const size = bucketMs(query.bucket ?? 'auto', range);
      const keys = parseKeys(query.keys);
      const found = device.ref === null ? [] : await seriesOf(device.ref, keys);
      const series = await aggregateSeries(device.ref, found, range, query.agg, size);
      return { deviceId, agg: query.agg, bucketMs: size, from: range.from, to: range.to, series };
    },

    /** Aggregates of several devices × keys. */
    async query(tenantId: string, body: TelemetryQueryBody, now = Date.now()): Promise<TelemetryQueryReply> {
      const range = parseRange(body, now, 'body');
      const size = bucketMs(body.bucket ?? 'auto', range, 'body/bucket');
      const keys = parseKeys(body.keys, 'body/keys');
      const requirements = parseRequirements(body.selector ?? '');
      const maxDevices = Math.floor(MAX_QUERY_SERIES / keys.length);
      const devices = await repository.devicesFor(tenantId, body.deviceIds ?? null, requirements, maxDevices + 1);
      const missing = (body.deviceIds ?? []).find((id) => !devices.some((device) => device.id === id));
      if (missing) throw appError('DEVICE_NOT_FOUND', `no device ${missing} in your tenant`);
      if (devices.length > maxDevices) {
        const field = body.deviceIds ? 'body/deviceIds' : 'body/selector';
        const detail = `chooses more than ${maxDevices} devices; with ${keys.length} keys at most ${MAX_QUERY_SERIES} series are read at once`;
        throw appError('VALIDATION_FAILED', `${field} ${detail}`, [{ field, message: detail }]);
      }
      const known = await repository.keyIds(keys);
      const series: TelemetryQueryReply['series'] = [];
      for (const device of devices) {
        for (const entry of await aggregateSeries(device.ref, known, range, body.agg, size)) series.push({ deviceId: device.id, ...entry });
      }
      return { agg: body.agg, bucketMs: size, from: range.from, to: range.to, series };
    },

    /** A page of the fleet's devices (or a selector's) with their latest values. */
    async latest(tenantId: string, query: LatestQuery): Promise<Page<TelemetryLatestItem>> {
      const keys = parseKeys(query.keys);
      const limit = query.limit ?? 1000;
      const keyIds = keys.length === 0 ? null : (await repository.keyIds(keys)).map((key) => key.id);
      if (keyIds !== null && keyIds.length === 0) return { items: [], nextCursor: null };
      const page: LatestPage = {
        tenantId,
        requirements: parseRequirements(query.selector ?? ''),
        deviceIds: parseDeviceIds(query.devices),
        keyIds,
        afterDeviceId: query.cursor ? decodeCursor(query.cursor)[1] : null,
        limit: limit + 1,
      };
      const devices = latestCache ? await latestFromCache(repository, latestCache, page) : await latestFromTable(repository, page);
      return pageOf(devices, limit, (device) => [null, device.deviceId], (device) => device);
    },

    /** The tenant's retention in days. */
    async retention(tenantId: string): Promise<{ days: number }> {
      return { days: (await repository.retentionDays(tenantId)) ?? DEFAULT_RETENTION_DAYS };
    },

    /** Sets the tenant's retention in days. */
    async setRetention(tenantId: string, days: number): Promise<{ days: number }> {
      await repository.setRetentionDays(tenantId, days, Date.now());
      return { days };
    },

    /** How many payloads of a device were refused, and the last reason. */
    async rejections(tenantId: string, deviceId: string) {
      await requireDevice(tenantId, deviceId);
      const row = await repository.rejections(deviceId);
      return { count: row?.count ?? 0, lastAt: isoOrNull(row?.last_at ?? null), lastReason: row?.last_reason ?? null };
    },

    /** Validates a device's payload and stores it; resolves once committed. */
    async acceptFromDevice(device: AuthenticatedDevice, body: unknown, transport = 'http'): Promise<{ accepted: number }> {
      const now = Date.now();
      let points: TelemetryPoint[];
      try {
        points = normalizeTelemetry(body, now, defaultTelemetryLimits);
      } catch (error) {
        if (!(error instanceof TelemetryPayloadError)) throw error;
        await this.recordRejection(device, error.message, transport);
        throw appError('TELEMETRY_PAYLOAD_INVALID', error.message);
      }
      await ingest.submit({ tenantId: device.tenantId, deviceId: device.id, points, seenAt: now });
      return { accepted: points.length };
    },

    /**
     * Counts a refused payload on the device and tells its owner on the bus. The broker calls
     * this too; it never throws, since the caller is already answering an error.
     */
    async recordRejection(device: AuthenticatedDevice, reason: string, transport: string): Promise<void> {
      const at = Date.now();
      metrics?.rejected('payload');
      bus.publish('deviceEvent', { tenantId: device.tenantId, deviceId: device.id, kind: 'telemetry.rejected', at, data: { reason, transport } });
      try {
        await repository.countRejection(device.tenantId, device.id, reason.slice(0, 500), at);
      } catch (error) {
        log.warn({ err: error, deviceId: device.id }, 'counting a telemetry rejection failed');
      }
    },
  };
}

/** Latest values of a page of devices, from the table. */
async function latestFromTable(repository: TelemetryRepository, page: LatestPage): Promise<TelemetryLatestItem[]> {
  const devices: TelemetryLatestItem[] = [];
  for (const row of await repository.latest(page)) {
    let device = devices[devices.length - 1];
    if (device?.deviceId !== row.device_id) {
      device = { deviceId: row.device_id, name: row.device_name, values: {} };
      devices.push(device);
    }
    device.values[row.key] = { ts: Number(row.ts), value: decodeValue(row.value_num, row.value_text, row.value_type) };
  }
  return devices;
}

/** Latest values of a page of devices, from memory. */
async function latestFromCache(repository: TelemetryRepository, cache: LatestCache, page: LatestPage): Promise<TelemetryLatestItem[]> {
  const wanted = page.keyIds ? new Set(page.keyIds) : null;
  return (await repository.latestDevices(page)).map((device) => {
    const values: TelemetryLatestItem['values'] = {};
    for (const point of cache.of(device.ref)) {
      if (!wanted || wanted.has(point.keyId)) values[point.key] = { ts: point.ts, value: decodeValue(point.num, point.text, point.type) };
    }
    return { deviceId: device.id, name: device.name, values };
  });
}

function decodePointCursor(cursor: string): { ts: number; key: string } {
  const [ts, key] = decodeCursor(cursor);
  if (typeof ts !== 'number') throw appError('INVALID_CURSOR', 'query/cursor is not a cursor this server returned');
  return { ts, key };
}

/** The service's interface. */
export type TelemetryService = ReturnType<typeof createTelemetryService>;
