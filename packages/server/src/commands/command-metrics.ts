/** Prometheus metrics of commands, registered on the app's registry. */
import type { CommandStatus } from '@flotilla/protocol';
import { Counter, type Registry } from 'prom-client';

/** Why a device's result was not used. */
export type ResultRejectReason = 'invalid_payload' | 'unknown_command' | 'finished';

/** Counters of commands created, finished and of results refused. */
export function createCommandMetrics(registry: Registry) {
  const registers = [registry];
  const created = new Counter({ name: 'flotilla_commands_created_total', help: 'Commands queued for a device', registers });
  const finished = new Counter({
    name: 'flotilla_commands_finished_total',
    help: 'Commands that reached a final status, by status (succeeded, failed, expired, cancelled)',
    labelNames: ['status'] as const,
    registers,
  });
  const rejected = new Counter({
    name: 'flotilla_command_results_rejected_total',
    help: 'Command results from devices that were refused, by reason (invalid_payload, unknown_command, finished)',
    labelNames: ['reason'] as const,
    registers,
  });
  return {
    created: (count: number) => created.inc(count),
    finished: (status: CommandStatus) => finished.inc({ status }),
    resultRejected: (reason: ResultRejectReason) => rejected.inc({ reason }),
  };
}

/** What the commands feature reports to. */
export type CommandMetrics = ReturnType<typeof createCommandMetrics>;
