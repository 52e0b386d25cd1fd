/**
 * Writes events in batches: whatever arrives while one transaction commits goes into the next
 * (up to `maxBatchRows`), so a flood of server-raised events (every refused telemetry payload
 * raises one) costs a few transactions, not one per event, and never holds up telemetry. Each
 * submit resolves once its rows are committed, so a device is acknowledged only after that.
 */
import type { Logger } from '../log.js';
import type { EventsRepository, NewEventRow } from './events.repository.js';

interface PendingWrite {
  rows: readonly NewEventRow[];
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** Options of the writer. */
export interface EventWriterOptions {
  maxBatchRows: number;
  /** Rows waiting at most; past that, submit rejects with EventWriterFullError. */
  maxPendingRows: number;
}

/** Thrown when too many rows are waiting for the database. */
export class EventWriterFullError extends Error {
  constructor() {
    super('too many events are waiting to be stored');
    this.name = 'EventWriterFullError';
  }
}

/** Creates the batching writer around the repository. */
export function createEventWriter({ repository, log, options }: { repository: Pick<EventsRepository, 'insert'>; log: Logger; options?: Partial<EventWriterOptions> }) {
  const { maxBatchRows, maxPendingRows } = { maxBatchRows: 500, maxPendingRows: 20_000, ...options };
  const queue: PendingWrite[] = [];
  let pendingRows = 0;
  let draining: Promise<void> | null = null;

  /** Takes whole writes off the queue until the batch is full (one write may exceed it alone). */
  function takeBatch(): PendingWrite[] {
    const batch: PendingWrite[] = [];
    let rows = 0;
    while (queue.length > 0 && (batch.length === 0 || rows + (queue[0] as PendingWrite).rows.length <= maxBatchRows)) {
      const write = queue.shift() as PendingWrite;
      rows += write.rows.length;
      batch.push(write);
    }
    pendingRows -= rows;
    return batch;
  }

  async function drain(): Promise<void> {
    while (queue.length > 0) {
      const batch = takeBatch();
      try {
        await repository.insert(batch.flatMap((write) => write.rows));
        for (const write of batch) write.resolve();
      } catch (error) {
        log.warn({ err: error, rows: batch.reduce((sum, write) => sum + write.rows.length, 0) }, 'events not stored');
        for (const write of batch) write.reject(error);
      }
    }
  }

  return {
    /** Queues rows; resolves once they are committed. */
    submit(rows: readonly NewEventRow[]): Promise<void> {
      if (rows.length === 0) return Promise.resolve();
      if (pendingRows + rows.length > maxPendingRows) return Promise.reject(new EventWriterFullError());
      const written = new Promise<void>((resolve, reject) => queue.push({ rows, resolve, reject }));
      pendingRows += rows.length;
      draining ??= drain().finally(() => {
        draining = null;
      });
      return written;
    },

    /** Rows waiting to be written. */
    pendingRows: () => pendingRows,

    /** Resolves once everything submitted so far is written (or has failed). */
    async idle(): Promise<void> {
      while (draining) await draining;
    },
  };
}

/** The batching writer. */
export type EventWriter = ReturnType<typeof createEventWriter>;
