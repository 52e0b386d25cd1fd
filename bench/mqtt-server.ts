/**
 * The Flotilla server of the MQTT benchmarks, run as a child process of bench/mqtt.ts so that its
 * CPU time and RSS are its own: SQLite in a temporary directory, the broker on a free loopback
 * port, HTTP on another. The parent drives it over the IPC channel:
 *
 *   { type: 'devices', count }  → { type: 'devices', devices: [{ id, secret }] }   (made in the store)
 *   { type: 'points' }          → { type: 'points', count }                        (rows in telemetry_points)
 *   { type: 'memory' }          → { type: 'memory', rssKb, heapUsedKb }            (after a full GC)
 *   { type: 'ingest' }          → { type: 'ingest', batches, messages }            (committed so far, from /metrics)
 *   { type: 'stop' }            → closes the server, removes the data and exits
 *
 * It exits by itself when the parent goes away (IPC disconnect), so no server outlives a run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type SQLite from 'better-sqlite3';
import { buildApp } from '../packages/server/src/app.js';
import { parseConfig } from '../packages/server/src/config.js';
import { createLogger } from '../packages/server/src/log.js';
import { openStore } from '../packages/server/src/store/database.js';
import { hashSecret, newSecret } from '../packages/server/src/store/ids.js';

const TENANT = 'ten_bench';

/** Messages the parent sends. */
export type ServerRequest = { type: 'devices'; count: number } | { type: 'points' } | { type: 'memory' } | { type: 'ingest' } | { type: 'stop' };

/** Messages this process sends back; 'ready' first, once it listens. */
export type ServerReply =
  | { type: 'ready'; mqttPort: number; pid: number }
  | { type: 'devices'; devices: { id: string; secret: string }[] }
  | { type: 'points'; count: number }
  | { type: 'memory'; rssKb: number; heapUsedKb: number }
  | { type: 'ingest'; batches: number; messages: number };

const dataDir = mkdtempSync(join(tmpdir(), 'flotilla-bench-mqtt-'));
const config = parseConfig({
  env: {},
  flags: {
    dataDir,
    httpHost: '127.0.0.1',
    httpPort: '0',
    mqttHost: '127.0.0.1',
    mqttPort: '0',
    logLevel: 'silent',
    webDir: '',
    // The default (2,000 a second) is a guard against connect storms; the benchmark measures
    // what the server can do, so the guard must not be what it measures.
    mqttConnectRatePerSecond: '1000000',
  },
});
const log = createLogger(config);
const store = await openStore(config, log);
await store.migrate();
const sqlite = store.sqlite as SQLite.Database;
sqlite.prepare("insert into tenants (id, name, created_at) values (?, 'Bench', 0)").run(TENANT);
const app = await buildApp({ config, log, store });
await app.listen({ host: '127.0.0.1', port: 0 });
const mqttPort = await app.broker.listen('127.0.0.1', 0);
let deviceCount = 0;

// Straight into the table (as the tests' createDevice does): 10,000 devices through the HTTP API
// would take longer than the measurement.
function createDevices(count: number): { id: string; secret: string }[] {
  const insert = sqlite.prepare(
    `insert into devices (id, tenant_id, name, labels, metadata, secret_hash, inventory, online, last_seen_at, created_at, updated_at)
     values (?, ?, ?, '{}', '{}', ?, null, 0, null, 0, 0)`,
  );
  const devices = Array.from({ length: count }, () => ({ id: `dev_bench_${String(deviceCount++).padStart(6, '0')}`, secret: newSecret('fld_') }));
  sqlite.transaction(() => devices.forEach((device) => insert.run(device.id, TENANT, device.id, hashSecret(device.secret))))();
  return devices;
}

function memory(): ServerReply {
  // A full collection first, so that garbage waiting for the next GC is not counted as held.
  (globalThis as { gc?: () => void }).gc?.();
  const usage = process.memoryUsage();
  return { type: 'memory', rssKb: Math.round(usage.rss / 1024), heapUsedKb: Math.round(usage.heapUsed / 1024) };
}

/** Ingest transactions and messages committed so far, as Prometheus sees them. */
async function ingestCounts(): Promise<ServerReply> {
  const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
  const counter = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
  return { type: 'ingest', batches: counter('flotilla_telemetry_batches_total'), messages: counter('flotilla_telemetry_messages_total') };
}

let isStopping = false;
async function stop(): Promise<void> {
  if (isStopping) return;
  isStopping = true;
  // A slow close must not keep the process: the data directory goes either way.
  setTimeout(() => process.exit(0), 5000).unref();
  try {
    await app.close();
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
    process.exit(0);
  }
}

process.on('message', (request: ServerRequest) => {
  const reply = (message: ServerReply) => process.send?.(message);
  if (request.type === 'devices') reply({ type: 'devices', devices: createDevices(request.count) });
  else if (request.type === 'points') reply({ type: 'points', count: Number(sqlite.prepare('select count(*) from telemetry_points').pluck().get()) });
  else if (request.type === 'memory') reply(memory());
  else if (request.type === 'ingest') void ingestCounts().then(reply);
  else void stop();
});
process.on('disconnect', () => void stop());
process.on('SIGTERM', () => void stop());
process.send?.({ type: 'ready', mqttPort, pid: process.pid } satisfies ServerReply);
