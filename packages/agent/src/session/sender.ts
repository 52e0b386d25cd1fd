/**
 * Drains the offline buffer to the server in order: runs of telemetry entries go as one
 * message (original timestamps kept), command results one by one. A record leaves the buffer
 * only after the server acknowledged it. A record the server refuses for good (a payload it
 * will never store) is logged, counted and skipped, so one bad reading cannot block the rest.
 */
import type { CommandResult } from '@flotilla/protocol';
import type { Logger } from 'pino';
import type { QueuedRecord } from '../queue/durable-queue.js';
import type { Outbox, OutboxRecord } from '../queue/outbox.js';

/** What the sender needs of the connection to the server. */
export interface DeliveryChannel {
  isConnected(): boolean;
  publishTelemetry(entries: Array<{ ts: number; values: Record<string, unknown> }>): Promise<void>;
  sendCommandResult(commandId: string, result: CommandResult): Promise<void>;
  /** True for an error that sending the same thing again will not fix. */
  isPermanentRefusal(error: unknown): boolean;
}

export interface Sender {
  /** Wakes the loop (after a connect). */
  nudge(): void;
  stats(): { sent: number; skipped: number };
  stop(): Promise<void>;
}

const MAX_BATCH_RECORDS = 500;
const MAX_BATCH_BYTES = 128 * 1024;
const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 30_000;

export function startSender(outbox: Outbox, channel: DeliveryChannel, log: Logger): Sender {
  let isStopped = false;
  let wake: (() => void) | null = null;
  let sent = 0;
  let skipped = 0;
  let retryMs = RETRY_MIN_MS;
  const nudge = () => {
    const resolve = wake;
    wake = null;
    resolve?.();
  };
  outbox.onAppend(nudge);

  function sleep(ms: number | null): Promise<void> {
    return new Promise((resolve) => {
      const timer = ms === null ? null : setTimeout(() => done(), ms);
      const done = () => {
        if (timer) clearTimeout(timer);
        resolve();
      };
      wake = done;
    });
  }

  async function deliver(records: QueuedRecord<OutboxRecord>[]): Promise<void> {
    const first = records[0] as QueuedRecord<OutboxRecord>;
    if (first.value.kind === 'result') {
      await channel.sendCommandResult(first.value.commandId, first.value.result);
      return;
    }
    const entries = records.map((record) => record.value as Extract<OutboxRecord, { kind: 'telemetry' }>).map(({ ts, values }) => ({ ts, values }));
    await channel.publishTelemetry(entries);
  }

  /** The leading run of records that go in one message. */
  function nextBatch(): QueuedRecord<OutboxRecord>[] {
    const records = outbox.peek({ maxRecords: MAX_BATCH_RECORDS, maxBytes: MAX_BATCH_BYTES });
    if (records.length === 0) return records;
    if (records[0]?.value.kind === 'result') return records.slice(0, 1);
    const end = records.findIndex((record) => record.value.kind !== 'telemetry');
    return end === -1 ? records : records.slice(0, end);
  }

  async function sendBatch(batch: QueuedRecord<OutboxRecord>[]): Promise<void> {
    try {
      await deliver(batch);
      sent += batch.length;
    } catch (error) {
      if (!channel.isPermanentRefusal(error)) throw error;
      if (batch.length > 1) {
        // Find the one the server will not take: send the batch's records one by one.
        for (const record of batch) await sendBatch([record]);
        return;
      }
      skipped += 1;
      log.warn({ err: error, record: batch[0]?.value.kind }, 'server refused a buffered record for good: skipped');
    }
    outbox.ack((batch[batch.length - 1] as QueuedRecord<OutboxRecord>).position);
  }

  const loop = (async () => {
    while (!isStopped) {
      if (!channel.isConnected()) {
        await sleep(5000);
        continue;
      }
      const batch = nextBatch();
      if (batch.length === 0) {
        await sleep(null);
        continue;
      }
      try {
        await sendBatch(batch);
        retryMs = RETRY_MIN_MS;
      } catch (error) {
        log.debug({ err: error, retryMs }, 'sending buffered records failed; will retry');
        await sleep(retryMs);
        retryMs = Math.min(RETRY_MAX_MS, retryMs * 2);
      }
    }
  })();

  return {
    nudge,
    stats: () => ({ sent, skipped }),
    async stop() {
      isStopped = true;
      nudge();
      await loop;
    },
  };
}
