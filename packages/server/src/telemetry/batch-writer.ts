/**
 * Writes one batch of submissions in one transaction: the points (stored once per device, key
 * and time), the latest value of each series (only moving forward), and the devices' last-seen
 * time. The ingest pipeline (ingest.ts) decides what goes in a batch; this decides how it is
 * written, once per dialect.
 */
import type { TelemetryPoint } from '@flotilla/protocol';
import type { Logger } from '../log.js';
import type { Store } from '../store/database.js';
import type { LatestCache } from './latest-cache.js';
import { createPostgresBatchWriter } from './postgres-batch-writer.js';
import { createSqliteBatchWriter } from './sqlite-batch-writer.js';

/** Points of one device handed to ingest by the broker or the HTTP device API. */
export interface TelemetrySubmission {
  tenantId: string;
  deviceId: string;
  points: TelemetryPoint[];
  /** When set, the device's last_seen_at moves up to this time in the same transaction. */
  seenAt?: number;
}

/** Writes a batch; resolves once its transaction has committed. */
export interface BatchWriter {
  write(batch: readonly TelemetrySubmission[]): Promise<void>;
  /** Gets ready for the first write now rather than on it (the SQLite writer starts its thread). */
  start?(): void;
  /** Ends the writer once the writes already asked for are answered. */
  close(): Promise<void>;
}

/** The writer of the store's dialect; on SQLite it keeps `latestCache` current. */
export function createBatchWriter(store: Store, log: Logger, latestCache?: LatestCache): BatchWriter {
  if (store.sqlite) return createSqliteBatchWriter(store.sqlite.name, log, latestCache);
  return createPostgresBatchWriter(store.db, log);
}

/**
 * An id cache for interned names. Entries learnt inside a transaction are staged and kept only
 * after it commits, so a rolled-back insert never leaves an id that does not exist. Bounded:
 * past `capacity` entries it starts over (interning is idempotent, misses only cost a query).
 */
export class InternCache {
  private readonly ids = new Map<string, number>();
  private staged = new Map<string, number>();

  constructor(private readonly capacity = 100_000) {}

  get(name: string): number | undefined {
    return this.ids.get(name) ?? this.staged.get(name);
  }

  stage(name: string, id: number): void {
    this.staged.set(name, id);
  }

  commit(): void {
    if (this.ids.size + this.staged.size > this.capacity) this.ids.clear();
    for (const [name, id] of this.staged) this.ids.set(name, id);
    this.staged = new Map();
  }

  rollback(): void {
    this.staged = new Map();
  }
}

/** A series' number: device ref and key id packed into one exact integer (both stay below 2^26). */
export function seriesNumber(deviceRef: number, keyId: number): number {
  return deviceRef * 67_108_864 + keyId;
}

/** The newest point of each series in a batch; on equal times the first one wins, as in the points table. */
export interface LatestCandidate {
  deviceRef: number;
  keyId: number;
  point: TelemetryPoint;
}

/** Keeps, per series, the point with the greatest time (the first of equals). */
export function keepNewest(latest: Map<number, LatestCandidate>, deviceRef: number, keyId: number, point: TelemetryPoint): void {
  const series = seriesNumber(deviceRef, keyId);
  const current = latest.get(series);
  if (!current || point.ts > current.point.ts) latest.set(series, { deviceRef, keyId, point });
}

/** The greatest `seenAt` per device of a batch. */
export function lastSeenByDevice(batch: readonly TelemetrySubmission[]): Map<string, number> {
  const seen = new Map<string, number>();
  for (const submission of batch) {
    if (submission.seenAt === undefined) continue;
    const current = seen.get(submission.deviceId);
    if (current === undefined || submission.seenAt > current) seen.set(submission.deviceId, submission.seenAt);
  }
  return seen;
}
