/**
 * Monthly partitions of `telemetry_points` on PostgreSQL without TimescaleDB. Retention creates
 * the next months ahead of time; ingest creates a missing month on demand (a device with a wrong
 * clock), so no point ever lacks a partition and no default partition is needed. Retention drops
 * whole months once every tenant's window has passed them.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../store/schema.js';

/** How telemetry_points is laid out, as the migration recorded it. */
export type TelemetryLayout = 'sqlite' | 'partitioned' | 'hypertable';

/** Reads the layout the migration chose. */
export async function readLayout(db: Kysely<Database>): Promise<TelemetryLayout> {
  const row = await db.selectFrom('settings').select('value').where('key', '=', 'telemetry.layout').executeTakeFirst();
  return row?.value === 'partitioned' || row?.value === 'hypertable' ? row.value : 'sqlite';
}

/** A month as a number (year × 12 + month index), for sets and arithmetic. */
export function monthOf(ts: number): number {
  const date = new Date(ts);
  return date.getUTCFullYear() * 12 + date.getUTCMonth();
}

/** The first millisecond of a month number. */
export function monthStart(month: number): number {
  return Date.UTC(Math.floor(month / 12), month % 12, 1);
}

/** The partition name of a month: `telemetry_points_p202501`. */
export function partitionName(month: number): string {
  const year = Math.floor(month / 12);
  return `telemetry_points_p${year}${String((month % 12) + 1).padStart(2, '0')}`;
}

const namePattern = /^telemetry_points_p(\d{4})(\d{2})$/;

/** True for PostgreSQL's "no partition of relation … found for row" (a month dropped meanwhile). */
export function isMissingPartition(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '23514' && /no partition/i.test(String((error as Error).message));
}

/** Creates, lists and drops monthly partitions; remembers which exist to keep ingest cheap. */
export function createPartitions(db: Kysely<Database>) {
  const known = new Set<number>();

  async function create(month: number): Promise<void> {
    const name = sql.id(partitionName(month));
    const from = sql.lit(monthStart(month));
    const to = sql.lit(monthStart(month + 1));
    try {
      await sql`create table if not exists ${name} partition of telemetry_points for values from (${from}) to (${to})`.execute(db);
    } catch (error) {
      // Another instance may have created it between our check and our create.
      if (!(await exists(month))) throw error;
    }
    known.add(month);
  }

  async function exists(month: number): Promise<boolean> {
    const result = await sql<{ name: string | null }>`select to_regclass(${partitionName(month)})::text as name`.execute(db);
    return Boolean(result.rows[0]?.name);
  }

  return {
    /** Makes sure every month of these times has a partition. */
    async ensureFor(times: Iterable<number>): Promise<void> {
      const months = new Set<number>();
      for (const ts of times) {
        const month = monthOf(ts);
        if (!known.has(month)) months.add(month);
      }
      for (const month of months) await create(month);
    },

    /** Forgets which partitions exist (another part may have dropped some); they are checked again. */
    forgetKnown(): void {
      known.clear();
    },

    /** Creates this month's partition and the next `monthsAhead` ones. */
    async createAhead(now: number, monthsAhead = 2): Promise<void> {
      const first = monthOf(now);
      for (let month = first; month <= first + monthsAhead; month++) if (!known.has(month)) await create(month);
    },

    /** Every existing partition's month, oldest first. */
    async list(): Promise<number[]> {
      const result = await sql<{ name: string }>`
        select child.relname as name from pg_inherits
        join pg_class child on child.oid = pg_inherits.inhrelid
        where pg_inherits.inhparent = to_regclass('telemetry_points')`.execute(db);
      return result.rows
        .map((row) => namePattern.exec(row.name))
        .filter((match): match is RegExpExecArray => match !== null)
        .map((match) => Number(match[1]) * 12 + Number(match[2]) - 1)
        .sort((a, b) => a - b);
    },

    /** Drops the partitions that end at or before `cutoff`; returns their months. */
    async dropBefore(cutoff: number): Promise<number[]> {
      const dropped: number[] = [];
      for (const month of await this.list()) {
        if (monthStart(month + 1) > cutoff) break;
        await sql`drop table if exists ${sql.id(partitionName(month))}`.execute(db);
        known.delete(month);
        dropped.push(month);
      }
      return dropped;
    },
  };
}

/** The partition manager's interface. */
export type Partitions = ReturnType<typeof createPartitions>;
