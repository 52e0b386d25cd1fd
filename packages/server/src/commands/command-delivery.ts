/**
 * Commands over MQTT. Push: when a command is queued (a `command` event on the bus, from any
 * instance) and this broker holds a connection of its device subscribed to its commands, the
 * command is published QoS 1 on `…/commands/{id}` and marked sent; when a device subscribes
 * (on every (re)connect), all its queued and sent-but-unacknowledged commands are published,
 * oldest first. The store decides what is pending, so no command depends on this instance's
 * memory. Results: `…/commands/{id}/result` is applied before the PUBACK goes out; a result
 * that cannot be used is acknowledged, dropped, counted and told to the owner as a device event.
 * Cancellations: a command cancelled after it was sent is announced on `…/commands/{id}/cancel`.
 */
import { CommandResultSchema, topics, type CommandCancel, type CommandResult, type CommandStatus } from '@flotilla/protocol';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { topicMatches } from '../broker/acl.js';
import type { Broker } from '../broker/broker.js';
import type { Bus } from '../bus/bus.js';
import { AppError } from '../errors.js';
import type { Logger } from '../log.js';
import type { AuthenticatedDevice } from '../telemetry/device-auth.js';
import type { CommandMetrics, ResultRejectReason } from './command-metrics.js';
import { toCommandMessage } from './commands.mapper.js';
import { PENDING_STATUSES, type CommandsService } from './commands.service.js';

const resultChecker = TypeCompiler.Compile(CommandResultSchema);
// Any id stands for "a command of this device" when asking whether a filter takes commands.
const PROBE_COMMAND_ID = 'probe';

interface DeviceRun {
  running: Promise<void>;
  /** Another pass is wanted after this one; with sent commands too when `includeSent`. */
  again: boolean;
  includeSent: boolean;
}

/** Parses and checks a result payload; the reason it is unusable as a string otherwise. */
function parseResult(payload: Buffer): CommandResult | string {
  let value: unknown;
  try {
    value = JSON.parse(payload.toString('utf8'));
  } catch {
    return 'the payload is not JSON';
  }
  if (resultChecker.Check(value)) return value;
  const first = resultChecker.Errors(value).First();
  return first ? `${first.path || '/'}: ${first.message}` : 'not a command result';
}

/** Wires MQTT delivery and results into the broker; `stop` waits for deliveries in progress. */
export function createCommandDelivery({ broker, commands, bus, metrics, log }: { broker: Broker; commands: CommandsService; bus: Bus; metrics: CommandMetrics; log: Logger }) {
  const runs = new Map<string, DeviceRun>();

  /** Publishes the device's pending commands in order while it stays subscribed. */
  async function deliver(deviceId: string, includeSent: boolean): Promise<void> {
    const statuses: readonly CommandStatus[] = includeSent ? PENDING_STATUSES : ['queued'];
    let afterSeq = 0;
    for (;;) {
      const rows = await commands.pending(deviceId, statuses, afterSeq);
      for (const row of rows) {
        const topic = topics.command(deviceId, row.id);
        if (!broker.isSubscribed(deviceId, topic)) return;
        await broker.publish(topic, JSON.stringify(toCommandMessage(row)), { qos: 1 });
        if (row.status === 'queued') await commands.markSent(row);
        afterSeq = row.seq;
      }
      if (rows.length === 0) return;
    }
  }

  /** Runs delivery for a device, one pass at a time; requests during a pass merge into one more. */
  function schedule(deviceId: string, includeSent: boolean): void {
    const current = runs.get(deviceId);
    if (current) {
      current.again = true;
      current.includeSent ||= includeSent;
      return;
    }
    const run: DeviceRun = { running: Promise.resolve(), again: false, includeSent: false };
    runs.set(deviceId, run);
    run.running = (async () => {
      let wantsSent = includeSent;
      for (;;) {
        try {
          await deliver(deviceId, wantsSent);
        } catch (error) {
          log.warn({ err: error, deviceId }, 'command delivery failed; the device gets its commands when it subscribes again');
        }
        if (!run.again) break;
        wantsSent = run.includeSent;
        run.again = false;
        run.includeSent = false;
      }
      runs.delete(deviceId);
    })();
  }

  /**
   * Tells a connected device that a command it was given is cancelled, so it can stop it.
   * Best effort: a device that is offline or not subscribed learns it from COMMAND_FINISHED
   * when it reports on the command.
   */
  async function tellCancelled(deviceId: string, commandId: string, at: number): Promise<void> {
    const topic = topics.commandCancel(deviceId, commandId);
    if (!broker.isSubscribed(deviceId, topic)) return;
    const notice: CommandCancel = { id: commandId, status: 'cancelled', at };
    try {
      await broker.publish(topic, JSON.stringify(notice), { qos: 1 });
    } catch (error) {
      log.warn({ err: error, deviceId, commandId }, 'telling a device about a cancelled command failed');
    }
  }

  function reject(device: AuthenticatedDevice, commandId: string, reason: ResultRejectReason, detail: string): void {
    metrics.resultRejected(reason);
    log.debug({ deviceId: device.id, commandId, reason: detail }, 'command result refused');
    bus.publish('deviceEvent', { tenantId: device.tenantId, deviceId: device.id, kind: 'command.result_rejected', at: Date.now(), data: { commandId, reason: detail, transport: 'mqtt' } });
  }

  broker.setHandler('commandResult', async (publish, parsed) => {
    if (parsed.kind !== 'commandResult') return;
    const result = parseResult(publish.payload);
    if (typeof result === 'string') return reject(publish.device, parsed.commandId, 'invalid_payload', result);
    try {
      await commands.recordResult(publish.device, parsed.commandId, result);
    } catch (error) {
      // Anything but a refusal (a storage failure) propagates: the connection closes and the device resends.
      if (!(error instanceof AppError)) throw error;
      const reason = error.code === 'COMMAND_NOT_FOUND' ? 'unknown_command' : error.code === 'COMMAND_FINISHED' ? 'finished' : 'invalid_payload';
      reject(publish.device, parsed.commandId, reason, error.detail);
    }
  });

  const stopListening = [
    broker.onSubscribe((device, filters) => {
      const probe = topics.command(device.id, PROBE_COMMAND_ID);
      if (filters.some((filter) => topicMatches(filter, probe))) schedule(device.id, true);
    }),
    bus.subscribe('command', (event) => {
      if (event.status === 'queued' && broker.isSubscribed(event.deviceId, topics.command(event.deviceId, event.commandId))) schedule(event.deviceId, false);
      if (event.status === 'cancelled' && event.wasSent) void tellCancelled(event.deviceId, event.commandId, event.at);
    }),
  ];

  return {
    /** Stops reacting to subscriptions and queued commands, and waits for deliveries in progress. */
    async stop(): Promise<void> {
      for (const stop of stopListening) stop();
      await Promise.all([...runs.values()].map((run) => run.running));
    },
  };
}
