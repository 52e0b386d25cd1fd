/** Collects metrics every interval and puts them in the offline buffer with their time. */
import type { Logger } from 'pino';
import type { Outbox } from '../queue/outbox.js';
import { createMetricsCollector } from './collect-metrics.js';

export interface MetricsReporter {
  stop(): void;
}

export function startMetricsReporter({ intervalMs, outbox, log }: { intervalMs: number; outbox: Outbox; log: Logger }): MetricsReporter {
  const collector = createMetricsCollector();
  const sample = () => {
    try {
      const stats = outbox.stats();
      const values = {
        ...collector.collect(),
        // The agent's own footprint and what its buffer holds and lost, beside the device's.
        'agent.rss_bytes': process.memoryUsage.rss(),
        'agent.queue.pending': stats.pendingRecords,
        'agent.queue.dropped': stats.dropped,
        'agent.queue.corrupt': stats.corrupt,
      };
      outbox.append({ kind: 'telemetry', ts: Date.now(), values });
    } catch (error) {
      log.warn({ err: error }, 'collecting metrics failed');
    }
  };
  // The first sample after a short delay, so CPU percent covers a real interval.
  const first = setTimeout(sample, Math.min(intervalMs, 2000));
  const timer = setInterval(sample, intervalMs);
  first.unref();
  return {
    stop() {
      clearTimeout(first);
      clearInterval(timer);
    },
  };
}
