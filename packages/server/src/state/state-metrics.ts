import { Counter, type Registry } from 'prom-client';

/** Counts of the state feature, exported at /metrics. */
export function createStateMetrics(registry: Registry) {
  const rejected = new Counter({
    name: 'flotilla_state_reports_rejected_total',
    help: 'Reported-state patches refused (not JSON, not an object, too large, bad applied section), by transport',
    labelNames: ['transport'] as const,
    registers: [registry],
  });
  return {
    /** Counts a refused report. */
    rejected: (transport: string) => rejected.inc({ transport }),
  };
}
