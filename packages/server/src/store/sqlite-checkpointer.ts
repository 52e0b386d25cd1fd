/**
 * Moves SQLite's WAL checkpoints off the main thread. With `synchronous=NORMAL` a commit does not
 * fsync, but the automatic checkpoint that some commits run does (the WAL, then the database),
 * and those fsyncs stalled ingest for tens of milliseconds every few transactions
 * (BENCHMARKS.md). A worker thread with its own connection checkpoints instead: PASSIVE
 * checkpoints copy pages without blocking anyone, and when the WAL has grown past
 * `restartBytes` and a pass has just caught up, a RESTART checkpoint makes the next writer start
 * the WAL file over, holding writers back only while the last few pages are copied. (A RESTART
 * with a large backlog held the writer lock for seconds under sustained ingest.)
 *
 * Durability is unchanged: a commit is in the WAL, and so survives a killed process, before
 * any checkpoint sees it.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type SQLite from 'better-sqlite3';
import type { Logger } from '../log.js';

/** Tuning of the checkpointer. */
export interface CheckpointerOptions {
  intervalMs: number;
  restartBytes: number;
}

const defaults: CheckpointerOptions = { intervalMs: 100, restartBytes: 256 * 2 ** 20 };
const STOP_TIMEOUT_MS = 5000;

// Plain CommonJS so it runs as an eval'd worker whether the server runs from source or dist.
const workerSource = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 5000');
const pageSize = db.pragma('page_size', { simple: true });
let timer = null;
function tick() {
  try {
    const [passive] = db.pragma('wal_checkpoint(PASSIVE)');
    // Restart only right after a pass that caught up: what is left to copy under the writer
    // lock is then only what was committed meanwhile, so the writer waits milliseconds.
    const isCaughtUp = passive && passive.checkpointed === passive.log;
    if (isCaughtUp && passive.log * pageSize > workerData.restartBytes) db.pragma('wal_checkpoint(RESTART)');
  } catch (error) {
    parentPort.postMessage({ error: String(error && error.message || error) });
  }
  timer = setTimeout(tick, workerData.intervalMs);
}
parentPort.on('message', () => {
  clearTimeout(timer);
  db.close();
  parentPort.close();
});
tick();
`;

/** A running checkpointer. */
export interface Checkpointer {
  /** Stops the worker and closes its connection. */
  stop(): Promise<void>;
}

/**
 * Starts checkpointing `file` in a worker and turns off automatic checkpoints on `sqlite`.
 * If the worker cannot start or fails, automatic checkpoints are turned back on.
 */
export function startCheckpointer(sqlite: SQLite.Database, file: string, log: Logger, options: Partial<CheckpointerOptions> = {}): Checkpointer {
  const settings = { ...defaults, ...options };
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  let worker: Worker;
  try {
    worker = new Worker(workerSource, { eval: true, workerData: { file, driver, ...settings } });
  } catch (error) {
    log.warn({ err: error }, 'sqlite checkpointer did not start; checkpoints stay automatic');
    return { stop: async () => undefined };
  }
  worker.unref();
  sqlite.pragma('wal_autocheckpoint = 0');
  const fallBack = (reason: unknown) => {
    sqlite.pragma('wal_autocheckpoint = 1000');
    log.warn({ reason }, 'sqlite checkpointer stopped; checkpoints are automatic again');
  };
  let isStopping = false;
  let hasExited = false;
  worker.on('message', (message: { error?: string }) => log.warn({ reason: message.error }, 'sqlite checkpoint failed'));
  worker.on('error', fallBack);
  worker.on('exit', (code) => {
    hasExited = true;
    if (!isStopping) fallBack(`worker exited with ${code}`);
  });
  return {
    async stop() {
      if (isStopping || hasExited) return;
      isStopping = true;
      const exited = new Promise((resolve) => worker.once('exit', resolve));
      worker.ref(); // keep the process alive until the worker has closed its connection
      worker.postMessage('stop');
      // A worker stuck in a long checkpoint must not hold shutdown forever.
      const timer = setTimeout(() => void worker.terminate(), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}
