/**
 * SQL of telemetry reads: raw points of one series, aggregates in time buckets, latest values
 * of a fleet, retention settings and rejection counts. Written once for both dialects.
 */
import type { LabelRequirement } from '@flotilla/protocol';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../store/schema.js';
import { selectorSql } from '../devices/selector-sql.js';
import type { Aggregate, TimeRange } from './time-range.js';

/** A stored point's time and value columns. */
export interface PointRow {
  ts: number;
  value_num: number | null;
  value_text: string | null;
  value_type: number;
}

/** Where a raw page of one series starts: after `ts`, or at `ts` itself when `inclusive`. */
export interface SeriesPosition {
  ts: number;
  inclusive: boolean;
}

/** One row of the fleet's latest values. */
export interface LatestRow extends PointRow {
  device_id: string;
  device_name: string;
  key: string;
}

/** A bucket's start and its aggregate. */
export interface BucketRow {
  ts: number;
  value: number;
}

interface FilledBucketRow {
  ts: number;
  value: number | null;
}

// One correlated subquery per bucket reads one index range each: measured 5x faster on SQLite
// than GROUP BY over a computed bucket, which sorts every point in a temporary b-tree. Each
// bucket carries its own [lo, hi) clipped to the range, so the index range is the whole filter.
function bucketValue(agg: Aggregate, deviceRef: number, keyId: number): RawBuilder<number | null> {
  const inBucket = sql`device_ref = ${deviceRef} and key_id = ${keyId} and ts >= buckets.lo and ts < buckets.hi`;
  switch (agg) {
    case 'first':
    case 'last': {
      const direction = sql.raw(agg === 'first' ? 'asc' : 'desc');
      return sql`(select value_num from telemetry_points where ${inBucket} and value_num is not null order by ts ${direction} limit 1)`;
    }
    case 'count':
      return sql`(select count(*) from telemetry_points where ${inBucket})`;
    default:
      return sql`(select ${sql.raw(agg)}(value_num) from telemetry_points where ${inBucket})`;
  }
}

/** Buckets of `size` from `firstBucket` (aligned) over the range, as (start, lo, hi) with lo/hi clipped to it. */
function bucketsCte(range: TimeRange, size: number, firstBucket: number): RawBuilder<unknown> {
  const step = sql.lit(size);
  const to = sql`cast(${range.to} as bigint)`;
  const end = (start: RawBuilder<unknown>) => sql`case when ${start} + ${step} > ${to} then ${to} else ${start} + ${step} end`;
  const first = sql`cast(${firstBucket} as bigint)`;
  return sql`buckets(start, lo, hi) as (
    select ${first}, cast(${range.from} as bigint), ${end(first)}
    union all
    select start + ${step}, start + ${step}, ${end(sql`start + ${step}`)} from buckets where start + ${step} < ${to}
  )`;
}

/** Which devices a page of latest values covers. */
export interface LatestPage {
  tenantId: string;
  requirements: readonly LabelRequirement[];
  /** Only these devices; null for any. */
  deviceIds: readonly string[] | null;
  /** Only devices with one of these keys; null for any. */
  keyIds: number[] | null;
  afterDeviceId: string | null;
  limit: number;
}

/** SQL of telemetry reads and settings. */
export function createTelemetryRepository(db: Kysely<Database>) {
  const devicePage = ({ tenantId, requirements, deviceIds, keyIds, afterDeviceId, limit }: LatestPage) =>
    db
      .selectFrom('devices as d')
      .innerJoin('telemetry_devices as td', 'td.device_id', 'd.id')
      .select('td.ref')
      .where('d.tenant_id', '=', tenantId)
      .$if(requirements.length > 0, (query) => query.where(selectorSql(sql.ref('d.id'), requirements)))
      .$if(deviceIds !== null, (query) => query.where('d.id', 'in', deviceIds as string[]))
      .$if(afterDeviceId !== null, (query) => query.where('d.id', '>', afterDeviceId as string))
      // With keys asked for, a page counts only devices that have one, so no page comes back short.
      .$if(keyIds !== null, (query) =>
        query.where((eb) =>
          eb.exists(
            eb.selectFrom('telemetry_latest as has').select('has.key_id').whereRef('has.device_ref', '=', 'td.ref').where('has.key_id', 'in', keyIds as number[]),
          ),
        ),
      )
      .orderBy('d.id')
      .limit(limit);

  return {
    /** The device of a tenant and its telemetry ref (null before its first point); undefined when not the tenant's. */
    async findDevice(tenantId: string, deviceId: string): Promise<{ id: string; ref: number | null } | undefined> {
      return db
        .selectFrom('devices as d')
        .leftJoin('telemetry_devices as td', 'td.device_id', 'd.id')
        .select(['d.id', 'td.ref'])
        .where('d.id', '=', deviceId)
        .where('d.tenant_id', '=', tenantId)
        .executeTakeFirst();
    },

    /** Keys a device has sent, by name. */
    async keysOfDevice(deviceRef: number): Promise<{ id: number; name: string }[]> {
      return db
        .selectFrom('telemetry_latest as l')
        .innerJoin('telemetry_keys as k', 'k.id', 'l.key_id')
        .select(['k.id', 'k.name'])
        .where('l.device_ref', '=', deviceRef)
        .orderBy('k.name')
        .execute();
    },

    /** Ids of these key names; unknown names are left out. */
    async keyIds(names: readonly string[]): Promise<{ id: number; name: string }[]> {
      if (names.length === 0) return [];
      return db.selectFrom('telemetry_keys').select(['id', 'name']).where('name', 'in', names).orderBy('name').execute();
    },

    /** Up to `limit` points of one series in the range, from `position` on. */
    async points(deviceRef: number, keyId: number, range: TimeRange, order: 'asc' | 'desc', limit: number, position?: SeriesPosition): Promise<PointRow[]> {
      let query = db
        .selectFrom('telemetry_points')
        .select(['ts', 'value_num', 'value_text', 'value_type'])
        .where('device_ref', '=', deviceRef)
        .where('key_id', '=', keyId)
        .where('ts', '>=', range.from)
        .where('ts', '<', range.to);
      if (position) {
        const operator = order === 'asc' ? (position.inclusive ? '>=' : '>') : position.inclusive ? '<=' : '<';
        query = query.where('ts', operator, position.ts);
      }
      return query.orderBy('ts', order).limit(limit).execute();
    },

    /** The aggregate of one series in each non-empty bucket of `size` ms, computed in the database. */
    async aggregate(deviceRef: number, keyId: number, range: TimeRange, agg: Aggregate, size: number, firstBucket: number): Promise<BucketRow[]> {
      const result = await sql<FilledBucketRow>`
        with recursive ${bucketsCte(range, size, firstBucket)}
        select buckets.start as ts, ${bucketValue(agg, deviceRef, keyId)} as value from buckets`.execute(db);
      // Empty buckets are dropped here: a WHERE on the value in SQL made SQLite run each
      // bucket's subquery twice (once to filter, once to answer).
      return result.rows.filter((row) => row.value !== null && !(agg === 'count' && Number(row.value) === 0)).map((row) => ({ ts: Number(row.ts), value: Number(row.value) }));
    },

    /** A page of the tenant's devices that have telemetry (with one of `keyIds`, if given), by id. */
    async latestDevices(page: LatestPage): Promise<{ ref: number; id: string; name: string }[]> {
      return devicePage(page).select(['d.id', 'd.name']).execute();
    },

    /** Latest values of a page of the tenant's devices, by device id then key. */
    async latest(page: LatestPage): Promise<LatestRow[]> {
      return db
        .selectFrom('telemetry_latest as l')
        .innerJoin('telemetry_devices as td', 'td.ref', 'l.device_ref')
        .innerJoin('devices as d', 'd.id', 'td.device_id')
        .innerJoin('telemetry_keys as k', 'k.id', 'l.key_id')
        .select(['d.id as device_id', 'd.name as device_name', 'k.name as key', 'l.ts', 'l.value_num', 'l.value_text', 'l.value_type'])
        .where('l.device_ref', 'in', devicePage(page))
        .$if(page.keyIds !== null, (query) => query.where('l.key_id', 'in', page.keyIds as number[]))
        .orderBy('d.id')
        .orderBy('k.name')
        .execute();
    },

    /** Devices of the tenant (with their telemetry refs) by id or selector, ordered by id. */
    async devicesFor(tenantId: string, ids: readonly string[] | null, requirements: readonly LabelRequirement[], limit: number) {
      return db
        .selectFrom('devices as d')
        .leftJoin('telemetry_devices as td', 'td.device_id', 'd.id')
        .select(['d.id', 'td.ref'])
        .where('d.tenant_id', '=', tenantId)
        .$if(ids !== null, (query) => query.where('d.id', 'in', ids as string[]))
        .$if(requirements.length > 0, (query) => query.where(selectorSql(sql.ref('d.id'), requirements)))
        .orderBy('d.id')
        .limit(limit)
        .execute();
    },

    /** The tenant's retention in days, or undefined for the default. */
    async retentionDays(tenantId: string): Promise<number | undefined> {
      const row = await db.selectFrom('telemetry_retention').select('retention_days').where('tenant_id', '=', tenantId).executeTakeFirst();
      return row?.retention_days;
    },

    /** Sets the tenant's retention, replacing any earlier setting. */
    async setRetentionDays(tenantId: string, days: number, now: number): Promise<void> {
      await db
        .insertInto('telemetry_retention')
        .values({ tenant_id: tenantId, retention_days: days, updated_at: now })
        .onConflict((conflict) => conflict.column('tenant_id').doUpdateSet({ retention_days: days, updated_at: now }))
        .execute();
    },

    /** Counts a rejected payload of a device. */
    async countRejection(tenantId: string, deviceId: string, reason: string, at: number): Promise<void> {
      await db
        .insertInto('telemetry_rejections')
        .values({ device_id: deviceId, tenant_id: tenantId, count: 1, last_at: at, last_reason: reason })
        .onConflict((conflict) =>
          conflict.column('device_id').doUpdateSet((eb) => ({
            count: eb('telemetry_rejections.count', '+', 1),
            last_at: at,
            last_reason: reason,
            tenant_id: tenantId,
          })),
        )
        .execute();
    },

    /** A device's rejection count and last reason, if it ever had one. */
    async rejections(deviceId: string) {
      return db.selectFrom('telemetry_rejections').select(['count', 'last_at', 'last_reason']).where('device_id', '=', deviceId).executeTakeFirst();
    },
  };
}

/** The repository's interface. */
export type TelemetryRepository = ReturnType<typeof createTelemetryRepository>;
