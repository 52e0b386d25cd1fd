/**
 * SQL of telemetry retention: which tenants keep what, and deleting old points in small chunks
 * so that no statement holds the database for long.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../store/schema.js';

/** One series of a tenant: the unit that deletes walk through. */
export interface SeriesRef {
  device_ref: number;
  key_id: number;
}

/** SQL of retention. */
export function createRetentionRepository(db: Kysely<Database>) {
  return {
    /** Every tenant with its retention setting (null: the default). */
    async tenants(): Promise<{ id: string; retention_days: number | null }[]> {
      return db
        .selectFrom('tenants as t')
        .leftJoin('telemetry_retention as r', 'r.tenant_id', 't.id')
        .select(['t.id', 'r.retention_days'])
        .orderBy('t.id')
        .execute();
    },

    /** A page of a tenant's series, ordered, after the given one. */
    async seriesOfTenant(tenantId: string, after: SeriesRef | null, limit: number): Promise<SeriesRef[]> {
      return db
        .selectFrom('telemetry_latest as l')
        .innerJoin('telemetry_devices as td', 'td.ref', 'l.device_ref')
        .innerJoin('devices as d', 'd.id', 'td.device_id')
        .select(['l.device_ref', 'l.key_id'])
        .where('d.tenant_id', '=', tenantId)
        .$if(after !== null, (query) =>
          query.where((eb) => eb(eb.refTuple('l.device_ref', 'l.key_id'), '>', eb.tuple((after as SeriesRef).device_ref, (after as SeriesRef).key_id))),
        )
        .orderBy('l.device_ref')
        .orderBy('l.key_id')
        .limit(limit)
        .execute();
    },

    /** Deletes up to `limit` points of a series older than `cutoff`; returns how many. */
    async deleteOlder(series: SeriesRef, cutoff: number, limit: number): Promise<number> {
      const result = await sql`
        delete from telemetry_points where (device_ref, key_id, ts) in (
          select device_ref, key_id, ts from telemetry_points
          where device_ref = ${series.device_ref} and key_id = ${series.key_id} and ts < ${cutoff}
          order by ts limit ${limit})`.execute(db);
      return Number(result.numAffectedRows ?? 0);
    },

    /** Interned devices whose device row is gone (deleted devices), a page at a time. */
    async orphanDevices(limit: number): Promise<number[]> {
      const rows = await db
        .selectFrom('telemetry_devices as td')
        .leftJoin('devices as d', 'd.id', 'td.device_id')
        .select('td.ref')
        .where('d.id', 'is', null)
        .limit(limit)
        .execute();
      return rows.map((row) => row.ref);
    },

    /** Up to `limit` points of a device, whatever their age; returns how many were deleted. */
    async deleteOfDevice(deviceRef: number, limit: number): Promise<number> {
      const result = await sql`
        delete from telemetry_points where (device_ref, key_id, ts) in (
          select device_ref, key_id, ts from telemetry_points where device_ref = ${deviceRef} limit ${limit})`.execute(db);
      return Number(result.numAffectedRows ?? 0);
    },

    /** Forgets an orphan device once its points are gone. */
    async forgetDevice(deviceRef: number): Promise<void> {
      await db.deleteFrom('telemetry_latest').where('device_ref', '=', deviceRef).execute();
      await db.deleteFrom('telemetry_devices').where('ref', '=', deviceRef).execute();
    },
  };
}

/** The repository's interface. */
export type RetentionRepository = ReturnType<typeof createRetentionRepository>;
