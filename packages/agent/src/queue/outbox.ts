/**
 * What the agent sends that must not be lost, in the offline buffer: telemetry entries with
 * their original timestamps, and command results. (Reported state is a document, not a stream:
 * the session sends its latest form on every connect instead.)
 */
import type { CommandResult, TelemetryValue } from '@flotilla/protocol';
import type { DurableQueue } from './durable-queue.js';

/** One record of the offline buffer. */
export type OutboxRecord =
  | { kind: 'telemetry'; ts: number; values: Record<string, TelemetryValue> }
  | { kind: 'result'; commandId: string; result: CommandResult };

export type Outbox = DurableQueue<OutboxRecord>;
