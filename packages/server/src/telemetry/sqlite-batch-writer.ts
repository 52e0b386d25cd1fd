/**
 * The SQLite batch writer: batches are written by a worker thread with a connection of its own
 * (sqlite-writer.worker.ts), so that SQLite's work and the protocol work of MQTT and HTTP run on
 * two cores instead of taking turns on one (BENCHMARKS.md). A write resolves once the worker's
 * transaction has committed; then the in-memory latest values learn the batch.
 *
 * The main thread's connection still writes the rest of the schema through Kysely; SQLite lets one
 * writer in at a time, and each connection waits for the other through its busy timeout.
 */
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../log.js';
import type { BatchWriter, LatestCandidate, TelemetrySubmission } from './batch-writer.js';
import type { LatestCache } from './latest-cache.js';

/** A message to the writer's thread. */
export type WriterRequest = { type: 'write'; id: number; batch: readonly TelemetrySubmission[] } | { type: 'close' };

/** The thread's answer to one write. */
export type WriterReply = { id: number; latest: LatestCandidate[] } | { id: number; error: string };

const CLOSE_TIMEOUT_MS = 5000;

// The worker is a module next to this one: .ts when the server runs from source, .js from dist.
const workerUrl = new URL(`./sqlite-writer.worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url);

function startWorker(file: string): Worker {
  if (!workerUrl.pathname.endsWith('.ts')) return new Worker(workerUrl, { workerData: { file } });
  // From source (tests, benchmarks) the thread needs the TypeScript loader this one runs with.
  const loader = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const source = `import(${loader}).then(({ register }) => { register(); return import(${JSON.stringify(workerUrl.href)}); })`;
  return new Worker(source, { eval: true, workerData: { file } });
}

/** Starts the writer's thread on the database `file`; `latestCache` learns each committed batch. */
export function createSqliteBatchWriter(file: string, log: Logger, latestCache?: LatestCache): BatchWriter {
  const pending = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
  let nextId = 0;
  let worker: Worker | null = null;
  let isClosed = false;

  const failAll = (error: Error) => {
    for (const { reject } of pending.values()) reject(error);
    pending.clear();
  };

  // Started by start() when the server starts listening (a thread takes a while to load, and a
  // fleet reconnecting after a restart should not queue up behind it), else on first use; and
  // again after a thread that died: a write in flight then fails (its transaction rolled back
  // with the thread), and the next one gets a new thread.
  const thread = (): Worker => {
    if (worker) return worker;
    const started = startWorker(file);
    started.on('message', (reply: WriterReply) => {
      const waiter = pending.get(reply.id);
      if (!waiter) return;
      pending.delete(reply.id);
      if ('error' in reply) return waiter.reject(new Error(`telemetry batch not written: ${reply.error}`));
      latestCache?.apply(reply.latest);
      waiter.resolve();
    });
    started.on('error', (error) => log.error({ err: error }, 'sqlite writer thread failed'));
    started.on('exit', (code) => {
      if (worker === started) worker = null;
      if (!isClosed) log.error({ code }, 'sqlite writer thread exited; the next batch starts a new one');
      failAll(new Error(`telemetry batch not written: the writer thread exited with code ${code}`));
    });
    worker = started;
    return started;
  };

  return {
    start() {
      if (!isClosed) thread();
    },

    write(batch) {
      if (isClosed) return Promise.reject(new Error('telemetry batch not written: the writer is closed'));
      const id = nextId++;
      return new Promise<void>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        thread().postMessage({ type: 'write', id, batch } satisfies WriterRequest);
      });
    },

    async close() {
      isClosed = true;
      const running = worker;
      if (!running) return;
      const exited = new Promise((resolve) => running.once('exit', resolve));
      // Requests are handled in order, so writes posted before this one are answered first.
      running.postMessage({ type: 'close' } satisfies WriterRequest);
      const timer = setTimeout(() => void running.terminate(), CLOSE_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}
