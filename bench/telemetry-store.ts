/**
 * Telemetry storage benchmarks on SQLite, side by side in one run:
 *   (a) the storage ceiling: better-sqlite3 inserting the same rows in batches, nothing else;
 *   (b) ingest.submit end to end through the group-commit writer, 10 producers, 10-value messages;
 *   (c) an hourly aggregate over 7 days of one key at 1 Hz (604,800 points);
 *   (d) the latest values of a 10,000-device fleet.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type SQLite from 'better-sqlite3';
import { createMemoryBus } from '../packages/server/src/bus/bus.js';
import { createLogger } from '../packages/server/src/log.js';
import { parseConfig } from '../packages/server/src/config.js';
import { openStore, type Store } from '../packages/server/src/store/database.js';
import { createBatchWriter, type BatchWriter } from '../packages/server/src/telemetry/batch-writer.js';
import { createIngest, type Ingest, type IngestOptions } from '../packages/server/src/telemetry/ingest.js';
import { createLatestCache } from '../packages/server/src/telemetry/latest-cache.js';
import { createTelemetryRepository } from '../packages/server/src/telemetry/telemetry.repository.js';
import { createTelemetryService } from '../packages/server/src/telemetry/telemetry.service.js';
import { medianTiming, quantile, type Timing } from './stats.js';

const log = createLogger(parseConfig({ flags: { logLevel: 'silent' } }));
const PRODUCERS = 10;
const VALUES_PER_MESSAGE = 10;

/** A fresh, migrated SQLite store in a temporary directory, with a tenant. */
export async function openBenchStore(): Promise<{ store: Store; sqlite: SQLite.Database; tenantId: string; close(): Promise<void> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'flotilla-bench-'));
  const store = await openStore({ dataDir, databaseUrl: null }, log);
  await store.migrate();
  const sqlite = store.sqlite as SQLite.Database;
  sqlite.prepare("insert into tenants (id, name, created_at) values ('ten_bench', 'Bench', 0)").run();
  return {
    store,
    sqlite,
    tenantId: 'ten_bench',
    async close() {
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Inserts `count` devices (`dev_00000`…) straight into the table; returns their ids. */
export function seedDevices(sqlite: SQLite.Database, tenantId: string, count: number): string[] {
  const insert = sqlite.prepare(
    `insert into devices (id, tenant_id, name, labels, metadata, secret_hash, inventory, online, last_seen_at, created_at, updated_at)
     values (?, ?, ?, '{}', '{}', null, null, 0, null, 0, 0)`,
  );
  const ids = Array.from({ length: count }, (_, index) => `dev_${String(index).padStart(5, '0')}`);
  sqlite.transaction(() => ids.forEach((id) => insert.run(id, tenantId, id)))();
  return ids;
}

/** (a) Rows a second that better-sqlite3 inserts into telemetry_points in batches of `batchPoints`. */
export function storageCeiling(sqlite: SQLite.Database, totalPoints: number, batchPoints: number): number {
  const insert = sqlite.prepare(
    'insert into telemetry_points (device_ref, key_id, ts, value_num, value_text, value_type) values (?, ?, ?, ?, ?, ?) on conflict do nothing',
  );
  // The rows the writer makes from 10 devices sending 10-value messages: series-interleaved.
  const batch = sqlite.transaction((first: number) => {
    for (let index = first; index < first + batchPoints; index++) {
      const message = Math.floor(index / VALUES_PER_MESSAGE);
      insert.run((message % PRODUCERS) + 1, (index % VALUES_PER_MESSAGE) + 1, 1.7e12 + Math.floor(message / PRODUCERS), index * 0.5, null, 0);
    }
  });
  const started = performance.now();
  for (let first = 0; first < totalPoints; first += batchPoints) batch(first);
  return totalPoints / ((performance.now() - started) / 1000);
}

/** What one end-to-end ingest run measured. */
export interface IngestRun {
  messagesPerSecond: number;
  pointsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  pointsPerBatch: number;
  /** Points per CPU-second of the whole process (all threads): less skewed by other load. */
  pointsPerCpuSecond: number;
}

/**
 * (b) Producers each keep `window` messages in flight (1: wait for each answer, like an HTTP
 * client; 20: Mosquitto's default QoS 1 in-flight window) for `durationMs`.
 */
export async function ingestEndToEnd(
  store: Store,
  deviceIds: string[],
  window: number,
  durationMs: number,
  options: Partial<IngestOptions> = {},
  writer: BatchWriter = createBatchWriter(store, log),
): Promise<IngestRun> {
  // The server starts the writer's thread when it starts listening; so does this, before the clock.
  await writer.write([]);
  let batches = 0;
  const counting: BatchWriter = { write: (batch) => (batches++, writer.write(batch)), close: () => writer.close() };
  const ingest: Ingest = createIngest({ writer: counting, bus: createMemoryBus(), log, options });
  const latencies: number[] = [];
  let messages = 0;
  let isRunning = true;
  const startTs = Date.UTC(2025, 0, 1);
  const keys = Array.from({ length: VALUES_PER_MESSAGE }, (_, index) => `metric_${index}`);

  const producer = async (deviceId: string, lane: number) => {
    for (let sequence = lane; isRunning; sequence += window) {
      const ts = startTs + sequence;
      const points = keys.map((key, index) => ({ key, ts, value: sequence * 0.25 + index }));
      const started = performance.now();
      await ingest.submit({ tenantId: 'ten_bench', deviceId, points });
      latencies.push(performance.now() - started);
      messages++;
    }
  };
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const producers = deviceIds.flatMap((deviceId) => Array.from({ length: window }, (_, lane) => producer(deviceId, lane)));
  await new Promise((resolve) => setTimeout(resolve, durationMs));
  isRunning = false;
  await Promise.all(producers);
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  await ingest.close();
  latencies.sort((a, b) => a - b);
  return {
    messagesPerSecond: messages / seconds,
    pointsPerSecond: (messages * VALUES_PER_MESSAGE) / seconds,
    p50Ms: quantile(latencies, 0.5),
    p99Ms: quantile(latencies, 0.99),
    pointsPerBatch: (messages * VALUES_PER_MESSAGE) / Math.max(1, batches),
    pointsPerCpuSecond: (messages * VALUES_PER_MESSAGE) / ((cpu.user + cpu.system) / 1e6),
  };
}

/** The telemetry service as app.ts builds it (with the latest-value cache on SQLite). */
function serviceOver(store: Store) {
  const latestCache = store.sqlite ? createLatestCache(store.sqlite) : undefined;
  const ingest = createIngest({ writer: createBatchWriter(store, log, latestCache), bus: createMemoryBus(), log });
  return createTelemetryService({ repository: createTelemetryRepository(store.db), ingest, bus: createMemoryBus(), log, latestCache });
}

/** (c) Median time of a 7-day hourly average of one key written once a second. */
export async function weeklyAggregate(store: Store, sqlite: SQLite.Database, tenantId: string): Promise<Timing> {
  const [deviceId] = seedDevices(sqlite, tenantId, 1) as [string];
  sqlite.prepare("insert into telemetry_devices (ref, device_id) values (1, ?)").run(deviceId);
  sqlite.prepare("insert into telemetry_keys (id, name) values (1, 'temp')").run();
  const from = Date.UTC(2025, 0, 6);
  const insert = sqlite.prepare('insert into telemetry_points (device_ref, key_id, ts, value_num, value_text, value_type) values (1, 1, ?, ?, null, 0)');
  sqlite.transaction(() => {
    for (let second = 0; second < 604_800; second++) insert.run(from + second * 1000, 20 + Math.sin(second / 3600) * 5);
  })();
  sqlite.prepare('insert into telemetry_latest select * from telemetry_points where ts = (select max(ts) from telemetry_points)').run();
  const service = serviceOver(store);
  const query = { keys: 'temp', from: String(from), to: String(from + 7 * 86_400_000), agg: 'avg' as const, bucket: '1h' as const };
  const reply = await service.aggregate(tenantId, deviceId, query);
  if (reply.series[0]?.points.length !== 168) throw new Error('the weekly aggregate should have 168 hourly buckets');
  return medianTiming(() => service.aggregate(tenantId, deviceId, query));
}

/** (d) Median time to read the latest values (3 keys each) of a 10,000-device fleet. */
export async function fleetLatest(store: Store, sqlite: SQLite.Database, tenantId: string): Promise<Timing> {
  const deviceIds = seedDevices(sqlite, tenantId, 10_000);
  const keys = ['cpu', 'memory', 'temperature'];
  sqlite.transaction(() => {
    keys.forEach((key, index) => sqlite.prepare('insert into telemetry_keys (id, name) values (?, ?)').run(index + 1, key));
    const device = sqlite.prepare('insert into telemetry_devices (ref, device_id) values (?, ?)');
    const latest = sqlite.prepare('insert into telemetry_latest values (?, ?, ?, ?, null, 0)');
    deviceIds.forEach((id, index) => {
      device.run(index + 1, id);
      keys.forEach((_, key) => latest.run(index + 1, key + 1, Date.UTC(2025, 0, 1) + index, index * 0.1));
    });
  })();
  const service = serviceOver(store);
  const page = await service.latest(tenantId, { limit: 10_000 });
  if (page.items.length !== 10_000) throw new Error('the fleet read should return 10,000 devices');
  return medianTiming(() => service.latest(tenantId, { limit: 10_000 }));
}
