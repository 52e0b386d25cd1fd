/** Prometheus metrics of device events, registered on the app's registry. */
import type { EventSource } from '@flotilla/protocol';
import { Counter, type Registry } from 'prom-client';

/** Why an event was not stored. */
export type EventDropReason = 'invalid' | 'rate_limited' | 'overloaded' | 'store_failed';

/** Counters of events stored and dropped, by source. */
export function createEventMetrics(registry: Registry) {
  const registers = [registry];
  const stored = new Counter({ name: 'flotilla_device_events_stored_total', help: 'Device events stored, by source (device, server)', labelNames: ['source'] as const, registers });
  const dropped = new Counter({
    name: 'flotilla_device_events_dropped_total',
    help: 'Device events not stored, by source and reason (invalid, rate_limited, overloaded, store_failed)',
    labelNames: ['source', 'reason'] as const,
    registers,
  });
  return {
    stored: (source: EventSource, count: number) => stored.inc({ source }, count),
    dropped: (source: EventSource, reason: EventDropReason) => dropped.inc({ source, reason }),
  };
}

/** What the events feature reports to. */
export type EventMetrics = ReturnType<typeof createEventMetrics>;
