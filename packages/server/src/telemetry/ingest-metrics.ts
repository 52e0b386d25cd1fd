/** Prometheus metrics of the telemetry pipeline, registered on the app's registry. */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Why a submission was not stored. */
export type RejectReason = 'payload' | 'overloaded' | 'storage' | 'closed';

/** Counters and histograms of ingest; `pending` reads the live queue when scraped. */
export function createIngestMetrics(registry: Registry, pending: () => number) {
  const registers = [registry];
  const points = new Counter({ name: 'flotilla_telemetry_points_total', help: 'Telemetry points committed to the store', registers });
  const messages = new Counter({ name: 'flotilla_telemetry_messages_total', help: 'Telemetry messages (submissions) committed to the store', registers });
  const batches = new Counter({ name: 'flotilla_telemetry_batches_total', help: 'Ingest transactions committed', registers });
  const rejected = new Counter({
    name: 'flotilla_telemetry_rejected_total',
    help: 'Telemetry messages not stored, by reason (payload, overloaded, storage, closed)',
    labelNames: ['reason'] as const,
    registers,
  });
  const batchPoints = new Histogram({
    name: 'flotilla_telemetry_batch_points',
    help: 'Points per ingest transaction',
    buckets: [1, 10, 100, 500, 1000, 2500, 5000, 10000, 20000],
    registers,
  });
  const batchSeconds = new Histogram({
    name: 'flotilla_telemetry_batch_duration_seconds',
    help: 'Time to write and commit one ingest transaction',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers,
  });
  new Gauge({
    name: 'flotilla_telemetry_pending_points',
    help: 'Points accepted but not yet committed, including those waiting for room',
    registers,
    collect() {
      this.set(pending());
    },
  });

  return {
    committed(pointCount: number, messageCount: number, seconds: number): void {
      points.inc(pointCount);
      messages.inc(messageCount);
      batches.inc();
      batchPoints.observe(pointCount);
      batchSeconds.observe(seconds);
    },
    rejected(reason: RejectReason, messageCount = 1): void {
      rejected.inc({ reason }, messageCount);
    },
  };
}

/** What ingest reports to. */
export type IngestMetrics = ReturnType<typeof createIngestMetrics>;
