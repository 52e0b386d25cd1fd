/**
 * The durable telemetry pipeline (group commit). Submissions queue up; one writer takes
 * whatever has gathered (up to `maxBatchPoints`) and stores it in one transaction, then resolves
 * every submission of the batch and publishes their points on the bus. A submission therefore
 * resolves only once its points have committed: that is when the broker may PUBACK and the HTTP
 * route may answer 2xx.
 *
 * Memory stays bounded. Past `softLimitPoints` pending, new submissions wait for room (their
 * acknowledgements are delayed, which slows a well-behaved sender); past `hardLimitPoints` they
 * are refused with INGEST_OVERLOADED.
 *
 *   const ingest = createIngest({ writer, bus, log, metrics });
 *   await ingest.submit({ tenantId, deviceId, points }); // committed
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Bus } from '../bus/bus.js';
import { AppError, appError } from '../errors.js';
import type { Logger } from '../log.js';
import type { BatchWriter, TelemetrySubmission } from './batch-writer.js';
import { Fifo } from './fifo.js';
import type { IngestMetrics } from './ingest-metrics.js';

/** Tuning of the pipeline; the defaults are what BENCHMARKS.md measured. */
export interface IngestOptions {
  /** A batch closes at this many points (a single larger submission still goes in one). */
  maxBatchPoints: number;
  /** How long a lone submission waits for company before its batch is written. */
  lingerMs: number;
  /** Pending points past which submissions wait for room. */
  softLimitPoints: number;
  /** Pending points past which submissions are refused. */
  hardLimitPoints: number;
}

/** The defaults. */
export const defaultIngestOptions: Readonly<IngestOptions> = Object.freeze({
  maxBatchPoints: 5_000,
  lingerMs: 0,
  softLimitPoints: 50_000,
  hardLimitPoints: 200_000,
});

/** What the pipeline is built from. */
export interface IngestDependencies {
  writer: BatchWriter;
  bus: Bus;
  log: Logger;
  metrics?: IngestMetrics;
  options?: Partial<IngestOptions>;
}

interface Pending {
  submission: TelemetrySubmission;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** The ingest API the broker and the HTTP device route call. */
export interface Ingest {
  /** Resolves once these points are committed; rejects with an AppError or the storage error. */
  submit(submission: TelemetrySubmission): Promise<void>;
  /** Readies the writer before the first submission arrives. */
  start(): void;
  /** Points accepted and not yet committed (queued or waiting for room). */
  pendingPoints(): number;
  /** Refuses new submissions, writes everything accepted, then resolves. */
  close(): Promise<void>;
}

/** Creates the pipeline. */
export function createIngest({ writer, bus, log, metrics, options }: IngestDependencies): Ingest {
  const settings: IngestOptions = { ...defaultIngestOptions, ...options };
  const queue = new Fifo<Pending>();
  const waiting = new Fifo<Pending>();
  let queuedPoints = 0;
  let waitingPoints = 0;
  let isWriting = false;
  let isScheduled = false;
  let isClosed = false;
  let drained: (() => void) | null = null;

  function enqueue(pending: Pending): void {
    queue.push(pending);
    queuedPoints += pending.submission.points.length;
    schedule();
  }

  function schedule(): void {
    if (isWriting || isScheduled) return;
    isScheduled = true;
    const isFull = queuedPoints >= settings.maxBatchPoints || isClosed;
    if (settings.lingerMs > 0 && !isFull) setTimeout(run, settings.lingerMs);
    else setImmediate(run);
  }

  /** Moves waiting submissions into the queue while there is room, oldest first. */
  function admitWaiting(): void {
    while (waiting.length > 0) {
      const next = waiting.peek() as Pending;
      const size = next.submission.points.length;
      if (queue.length > 0 && queuedPoints + size > settings.softLimitPoints) return;
      waiting.shift();
      waitingPoints -= size;
      enqueue(next);
    }
  }

  function takeBatch(): Pending[] {
    const batch: Pending[] = [];
    let points = 0;
    while (queue.length > 0) {
      const size = (queue.peek() as Pending).submission.points.length;
      if (batch.length > 0 && points + size > settings.maxBatchPoints) break;
      points += size;
      batch.push(queue.shift() as Pending);
    }
    return batch;
  }

  async function writeBatch(batch: Pending[]): Promise<void> {
    const points = batch.reduce((sum, pending) => sum + pending.submission.points.length, 0);
    const started = performance.now();
    try {
      await writer.write(batch.map((pending) => pending.submission));
    } catch (error) {
      log.error({ err: error, points, messages: batch.length }, 'telemetry batch failed');
      metrics?.rejected('storage', batch.length);
      for (const pending of batch) pending.reject(error);
      return;
    } finally {
      queuedPoints -= points;
    }
    metrics?.committed(points, batch.length, (performance.now() - started) / 1000);
    for (const pending of batch) {
      pending.resolve();
      const { tenantId, deviceId, points: committed } = pending.submission;
      bus.publish('telemetry', { tenantId, deviceId, points: committed });
    }
  }

  async function run(): Promise<void> {
    isScheduled = false;
    isWriting = true;
    try {
      while (queue.length > 0) {
        await writeBatch(takeBatch());
        admitWaiting();
        // Let I/O in (HTTP requests, MQTT packets) between batches: the next batch gathers what
        // they bring, and a backlog never starves them.
        if (queue.length > 0) await yieldToEventLoop();
      }
    } finally {
      isWriting = false;
    }
    if (queue.length > 0) schedule();
    else if (drained && waiting.length === 0) drained();
  }

  return {
    submit(submission) {
      const size = submission.points.length;
      if (isClosed) {
        metrics?.rejected('closed');
        return Promise.reject(appError('SERVICE_UNAVAILABLE', 'the server is shutting down; send again later'));
      }
      if (size === 0) return Promise.resolve();
      if (queuedPoints + waitingPoints + size > settings.hardLimitPoints) {
        metrics?.rejected('overloaded');
        const detail = `${queuedPoints + waitingPoints} telemetry points are waiting to be written; send again later`;
        return Promise.reject(new AppError('INGEST_OVERLOADED', detail, undefined, { 'retry-after': '1' }));
      }
      return new Promise<void>((resolve, reject) => {
        const pending: Pending = { submission, resolve, reject };
        if (waiting.length > 0 || (queue.length > 0 && queuedPoints + size > settings.softLimitPoints)) {
          waiting.push(pending);
          waitingPoints += size;
        } else {
          enqueue(pending);
        }
      });
    },
    start: () => writer.start?.(),
    pendingPoints: () => queuedPoints + waitingPoints,
    async close() {
      isClosed = true;
      if (queue.length > 0 || waiting.length > 0 || isWriting) {
        await new Promise<void>((resolve) => {
          drained = resolve;
          if (!isWriting) schedule();
        });
      }
      await writer.close();
    },
  };
}
