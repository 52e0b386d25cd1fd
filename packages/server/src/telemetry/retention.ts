/**
 * Telemetry retention: a background job that deletes points older than each tenant's window
 * (30 days unless the tenant set another). On PostgreSQL it first drops whole monthly
 * partitions (or TimescaleDB chunks) that every tenant's window has passed, which costs nothing;
 * what remains is deleted series by series in chunks of `chunkSize` rows, yielding between
 * chunks, so ingest is never held up for longer than one small statement. It also creates the
 * coming months' partitions and removes the points of deleted devices.
 *
 * Other features with rows of the same lifetime (device events) give a pruner: the same pass
 * applies each tenant's window to their table too, in the same small chunks.
 *
 * With several instances on PostgreSQL only the holder of an advisory lock runs it.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { sql, type Kysely } from 'kysely';
import type { Logger } from '../log.js';
import type { Store } from '../store/database.js';
import type { Database } from '../store/schema.js';
import { createPartitions, readLayout } from './partitions.js';
import { createRetentionRepository, type RetentionRepository, type SeriesRef } from './retention.repository.js';

/** Retention when a tenant has not chosen one. */
export const DEFAULT_RETENTION_DAYS = 30;

const DAY_MS = 86_400_000;
// An arbitrary constant that names this job among PostgreSQL advisory locks.
const RETENTION_LOCK = 0x666c7472;

/** What one run did. */
export interface RetentionReport {
  deletedPoints: number;
  droppedPartitions: number;
  forgottenDevices: number;
  /** Rows each pruner deleted, by its name. */
  pruned: Record<string, number>;
  skipped: boolean;
}

/** Another table whose rows follow the tenant's retention. */
export interface RetentionPruner {
  name: string;
  /** Deletes up to `limit` of the tenant's rows older than `cutoff`; returns how many. */
  deleteOlder(db: Kysely<Database>, tenantId: string, cutoff: number, limit: number): Promise<number>;
}

/** Options of the job. */
export interface RetentionOptions {
  intervalMs: number;
  /** Rows per DELETE statement. */
  chunkSize: number;
}

/** The job with its lifecycle; `runOnce` is also what tests call. */
export function createRetention({ store, log, options, onDeviceForgotten = () => undefined, pruners = [] }: {
  store: Store;
  /** Other tables that follow the same retention (device events). */
  pruners?: readonly RetentionPruner[];
  log: Logger;
  options?: Partial<RetentionOptions>;
  /** Told when the telemetry of a deleted device is gone (the latest-value cache drops it). */
  onDeviceForgotten?: (deviceRef: number) => void;
}) {
  const { intervalMs, chunkSize } = { intervalMs: 10 * 60_000, chunkSize: 1000, ...options };
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<RetentionReport> | null = null;
  let isStopping = false;

  async function run(db: Kysely<Database>, now: number): Promise<RetentionReport> {
    const repository = createRetentionRepository(db);
    const report: RetentionReport = { deletedPoints: 0, droppedPartitions: 0, forgottenDevices: 0, pruned: {}, skipped: false };
    const tenants = await repository.tenants();
    const cutoffs = tenants.map((tenant) => ({ id: tenant.id, cutoff: now - (tenant.retention_days ?? DEFAULT_RETENTION_DAYS) * DAY_MS }));
    const everyonesCutoff = Math.min(now - DEFAULT_RETENTION_DAYS * DAY_MS, ...cutoffs.map((tenant) => tenant.cutoff));
    report.droppedPartitions = await dropWholePeriods(db, now, everyonesCutoff);
    for (const tenant of cutoffs) {
      if (isStopping) break;
      report.deletedPoints += await deleteTenantPoints(repository, tenant.id, tenant.cutoff);
      for (const pruner of pruners) report.pruned[pruner.name] = (report.pruned[pruner.name] ?? 0) + (await prune(db, pruner, tenant.id, tenant.cutoff));
    }
    report.forgottenDevices = await forgetDeletedDevices(repository);
    return report;
  }

  async function deleteTenantPoints(repository: RetentionRepository, tenantId: string, cutoff: number): Promise<number> {
    let deleted = 0;
    let after: SeriesRef | null = null;
    while (!isStopping) {
      const page: SeriesRef[] = await repository.seriesOfTenant(tenantId, after, 500);
      for (const series of page) {
        let count: number;
        do {
          count = await repository.deleteOlder(series, cutoff, chunkSize);
          deleted += count;
          await yieldToEventLoop();
        } while (count === chunkSize && !isStopping);
      }
      if (page.length < 500) break;
      after = page[page.length - 1] as SeriesRef;
    }
    return deleted;
  }

  async function prune(db: Kysely<Database>, pruner: RetentionPruner, tenantId: string, cutoff: number): Promise<number> {
    let deleted = 0;
    let count: number;
    do {
      count = await pruner.deleteOlder(db, tenantId, cutoff, chunkSize);
      deleted += count;
      await yieldToEventLoop();
    } while (count === chunkSize && !isStopping);
    return deleted;
  }

  async function forgetDeletedDevices(repository: RetentionRepository): Promise<number> {
    const orphans = await repository.orphanDevices(100);
    for (const deviceRef of orphans) {
      while (!isStopping && (await repository.deleteOfDevice(deviceRef, chunkSize)) === chunkSize) await yieldToEventLoop();
      if (isStopping) break;
      await repository.forgetDevice(deviceRef);
      onDeviceForgotten(deviceRef);
    }
    return orphans.length;
  }

  /** Drops partitions or chunks wholly older than every tenant's cutoff; creates the next ones. */
  async function dropWholePeriods(db: Kysely<Database>, now: number, cutoff: number): Promise<number> {
    const layout = await readLayout(db);
    if (layout === 'partitioned') {
      const partitions = createPartitions(db);
      await partitions.createAhead(now);
      return (await partitions.dropBefore(cutoff)).length;
    }
    if (layout === 'hypertable') {
      const result = await sql<{ chunk: string }>`select drop_chunks('telemetry_points', older_than => ${cutoff}::bigint) as chunk`.execute(db);
      return result.rows.length;
    }
    return 0;
  }

  /** Runs on PostgreSQL only while holding the advisory lock, on the connection that holds it. */
  async function runExclusive(now: number): Promise<RetentionReport> {
    if (store.dialect === 'sqlite') return run(store.db, now);
    return store.db.connection().execute(async (connection) => {
      const lock = await sql<{ locked: boolean }>`select pg_try_advisory_lock(${RETENTION_LOCK}) as locked`.execute(connection);
      if (!lock.rows[0]?.locked) return { deletedPoints: 0, droppedPartitions: 0, forgottenDevices: 0, pruned: {}, skipped: true };
      try {
        return await run(connection, now);
      } finally {
        await sql`select pg_advisory_unlock(${RETENTION_LOCK})`.execute(connection);
      }
    });
  }

  /** One pass; concurrent calls share the pass in progress. */
  function runOnce(now = Date.now()): Promise<RetentionReport> {
    running ??= runExclusive(now).finally(() => {
      running = null;
    });
    return running;
  }

  function tick(): void {
    runOnce().then(
      (report) => log.info(report, 'telemetry retention done'),
      (error: unknown) => log.error({ err: error }, 'telemetry retention failed'),
    );
  }

  return {
    runOnce,

    /** Runs a minute after start (sooner if the interval is shorter), then every `intervalMs`. */
    start(): void {
      if (timer || intervalMs <= 0) return;
      isStopping = false;
      timer = setTimeout(() => {
        tick();
        timer = setInterval(tick, intervalMs);
        timer.unref();
      }, Math.min(60_000, intervalMs));
      timer.unref();
    },

    /** Stops the schedule and waits for a pass in progress to stop at its next chunk. */
    async stop(): Promise<void> {
      if (timer) clearTimeout(timer);
      timer = null;
      isStopping = true;
      await running?.catch(() => undefined);
      isStopping = false;
    },
  };
}

/** The retention job's interface. */
export type Retention = ReturnType<typeof createRetention>;
