/**
 * SQL of device events: inserting a batch, reading a device's or the fleet's events newest
 * first, and deleting old ones in small chunks for retention.
 */
import type { EventLevel, EventSource, LabelRequirement } from '@flotilla/protocol';
import { sql, type Kysely } from 'kysely';
import { selectorSql } from '../devices/selector-sql.js';
import type { Database, DeviceEventsTable } from '../store/schema.js';

/** An event's columns as written, before the database numbers it. */
export type NewEventRow = Omit<DeviceEventsTable, 'seq'>;

/** An event row as read. */
export type EventRow = NewEventRow & { seq: number };

/** What an event list is narrowed by; `before` is the cursor (lists run newest first). */
export interface EventListFilter {
  tenantId: string;
  deviceId?: string;
  requirements?: readonly LabelRequirement[];
  fromTs?: number;
  toTs?: number;
  /** An exact kind, or a prefix when `kindIsPrefix`. */
  kind?: string;
  kindIsPrefix?: boolean;
  levels?: readonly EventLevel[];
  source?: EventSource;
  before?: { ts: number; seq: number };
  limit: number;
}

// Rows per INSERT: 10 columns × 100 rows stays far below both dialects' limits on bound parameters.
const INSERT_CHUNK_ROWS = 100;

/** Escapes LIKE wildcards, so a kind prefix matches only itself (`\` is the escape character). */
function likePrefix(prefix: string): string {
  return `${prefix.replace(/[\\%_]/g, (character) => `\\${character}`)}%`;
}

/** SQL of device events. */
export function createEventsRepository(db: Kysely<Database>) {
  return {
    /** Inserts a batch of events in one transaction. */
    async insert(rows: readonly NewEventRow[]): Promise<void> {
      if (rows.length === 0) return;
      await db.transaction().execute(async (trx) => {
        for (let start = 0; start < rows.length; start += INSERT_CHUNK_ROWS) {
          await trx.insertInto('device_events').values(rows.slice(start, start + INSERT_CHUNK_ROWS)).execute();
        }
      });
    },

    /** A page of events, newest first (by time, then insertion order). */
    async list(filter: EventListFilter): Promise<EventRow[]> {
      let query = db.selectFrom('device_events').selectAll('device_events').where('device_events.tenant_id', '=', filter.tenantId);
      if (filter.deviceId !== undefined) query = query.where('device_events.device_id', '=', filter.deviceId);
      if (filter.requirements && filter.requirements.length > 0) {
        // The device must still be the tenant's for its labels to choose it.
        query = query.where((eb) =>
          eb.exists(
            eb
              .selectFrom('devices')
              .select(sql`1`.as('one'))
              .whereRef('devices.id', '=', 'device_events.device_id')
              .whereRef('devices.tenant_id', '=', 'device_events.tenant_id')
              .where(selectorSql(sql.ref('devices.id'), filter.requirements ?? [])),
          ),
        );
      }
      if (filter.fromTs !== undefined) query = query.where('device_events.ts', '>=', filter.fromTs);
      if (filter.toTs !== undefined) query = query.where('device_events.ts', '<', filter.toTs);
      if (filter.kind !== undefined) {
        query = filter.kindIsPrefix
          ? query.where(sql<boolean>`device_events.kind like ${likePrefix(filter.kind)} escape '\\'`)
          : query.where('device_events.kind', '=', filter.kind);
      }
      if (filter.levels !== undefined) query = query.where('device_events.level', 'in', filter.levels);
      if (filter.source !== undefined) query = query.where('device_events.source', '=', filter.source);
      if (filter.before !== undefined) {
        const { ts, seq } = filter.before;
        query = query.where((eb) => eb.or([eb('device_events.ts', '<', ts), eb.and([eb('device_events.ts', '=', ts), eb('device_events.seq', '<', seq)])]));
      }
      return query.orderBy('device_events.ts', 'desc').orderBy('device_events.seq', 'desc').limit(filter.limit).execute();
    },

    /** Deletes up to `limit` of a tenant's events older than `cutoff`; returns how many. */
    async deleteOlder(tenantId: string, cutoff: number, limit: number): Promise<number> {
      const result = await sql`
        delete from device_events where seq in (
          select seq from device_events where tenant_id = ${tenantId} and ts < ${cutoff} order by ts limit ${limit})`.execute(db);
      return Number(result.numAffectedRows ?? 0);
    },
  };
}

/** The repository's interface. */
export type EventsRepository = ReturnType<typeof createEventsRepository>;

/** The retention pruner of device events: the tenant's telemetry retention applies to them too. */
export const deviceEventsPruner = {
  name: 'deviceEvents',
  deleteOlder: (db: Kysely<Database>, tenantId: string, cutoff: number, limit: number) => createEventsRepository(db).deleteOlder(tenantId, cutoff, limit),
};
