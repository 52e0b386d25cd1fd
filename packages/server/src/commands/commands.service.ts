/**
 * The rules of commands: what may be sent (params, deadlines, bulk limits), the lifecycle
 * `queued → sent → acknowledged → succeeded | failed`, or `expired` / `cancelled` before that,
 * and who sees what (another tenant's commands are not found; a device sees only its own).
 * Every status change is one conditional UPDATE, then a `command` event on the bus.
 */
import {
  BULK_DRY_RUN_DEVICES,
  DEFAULT_COMMAND_EXPIRY_MS,
  DEFAULT_COMMAND_TIMEOUT_MS,
  FINAL_COMMAND_STATUSES,
  MAX_BULK_COMMAND_DEVICES,
  MAX_COMMAND_EXPIRY_MS,
  MAX_COMMAND_RESULT_BYTES,
  wellKnownCommand,
  type BulkCommandBody,
  type BulkCommandReply,
  type Command,
  type CommandMessage,
  type CommandResult,
  type CommandsQuery,
  type CommandStatus,
  type Page,
  type SendCommandBody,
} from '@flotilla/protocol';
import type { Kysely } from 'kysely';
import type { Bus } from '../bus/bus.js';
import { parseRequirements } from '../devices/devices.service.js';
import { createDevicesRepository } from '../devices/devices.repository.js';
import { appError } from '../errors.js';
import type { Logger } from '../log.js';
import { newId } from '../store/ids.js';
import { decodeCursor, pageOf } from '../store/pagination.js';
import type { Database } from '../store/schema.js';
import type { AuthenticatedDevice } from '../telemetry/device-auth.js';
import { checkCommandParams } from './command-params.js';
import type { CommandMetrics } from './command-metrics.js';
import { createCommandsRepository, type CommandRow, type NamedCommandRow, type NewCommandRow } from './commands.repository.js';
import { toCommand, toCommandMessage } from './commands.mapper.js';
import { createPollWaiters } from './poll-waiters.js';

/** Who sends a command. */
export interface CommandSender {
  tenantId: string;
  userId: string | null;
}

/** Statuses in which a command still waits for its device. */
export const PENDING_STATUSES: readonly CommandStatus[] = ['queued', 'sent'];
/** Statuses in which a command has not finished. */
const ACTIVE_STATUSES: readonly CommandStatus[] = ['queued', 'sent', 'acknowledged'];
/** Commands one HTTP poll hands out at most. */
const POLL_BATCH = 100;

function fieldError(field: string, message: string) {
  return appError('VALIDATION_FAILED', `${field} ${message}`, [{ field, message }]);
}

/** Epoch ms at which a command expires: `expiresAt`, else `expiresInMs` after now, else the default. */
function expiryOf(body: Pick<SendCommandBody, 'expiresAt' | 'expiresInMs'>, now: number): number {
  if (body.expiresAt !== undefined && body.expiresInMs !== undefined) throw fieldError('body/expiresAt', 'and body/expiresInMs cannot both be given');
  if (body.expiresAt === undefined) return now + (body.expiresInMs ?? DEFAULT_COMMAND_EXPIRY_MS);
  const at = Date.parse(body.expiresAt);
  if (!(at > now)) throw fieldError('body/expiresAt', 'must be in the future');
  if (at - now > MAX_COMMAND_EXPIRY_MS) throw fieldError('body/expiresAt', `must be at most ${MAX_COMMAND_EXPIRY_MS / 86_400_000} days ahead`);
  return at;
}

/** Creates the commands service. */
export function createCommandsService({ db, bus, log, metrics }: { db: Kysely<Database>; bus: Bus; log: Logger; metrics: CommandMetrics }) {
  const repository = createCommandsRepository(db);
  const devices = createDevicesRepository(db);
  const waiters = createPollWaiters(bus);

  /** Tells the bus (and the metrics) about commands that changed status. */
  function announce(rows: readonly NewCommandRow[], at = Date.now()): void {
    for (const row of rows) {
      const status = row.status as CommandStatus;
      if (FINAL_COMMAND_STATUSES.includes(status)) metrics.finished(status);
      bus.publish('command', { tenantId: row.tenant_id, deviceId: row.device_id, commandId: row.id, name: row.name, status, at, error: row.error, wasSent: row.sent_at !== null });
    }
  }

  /** The tenant's device (its name goes into answers), or DEVICE_NOT_FOUND. */
  async function requireDevice(tenantId: string, deviceId: string): Promise<{ name: string }> {
    const device = await devices.findById(tenantId, deviceId);
    if (!device) throw appError('DEVICE_NOT_FOUND', `no device ${deviceId} in your tenant`);
    return device;
  }

  async function findOrThrow(tenantId: string, id: string): Promise<NamedCommandRow> {
    const row = await repository.findById(tenantId, id);
    if (!row) throw appError('COMMAND_NOT_FOUND', `no command ${id} in your tenant`);
    return row;
  }

  /** The rows of new commands, one per device, sharing name, params and deadlines. */
  function newRows(sender: CommandSender, deviceIds: readonly string[], body: SendCommandBody, batchId: string | null): NewCommandRow[] {
    const now = Date.now();
    const params = JSON.stringify(checkCommandParams(body.name, body.params));
    const expiresAt = expiryOf(body, now);
    const timeoutMs = body.timeoutMs ?? wellKnownCommand(body.name)?.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    return deviceIds.map((deviceId) => ({
      id: newId('cmd', now),
      tenant_id: sender.tenantId,
      device_id: deviceId,
      batch_id: batchId,
      name: body.name,
      params,
      status: 'queued',
      timeout_ms: timeoutMs,
      expires_at: expiresAt,
      timeout_at: null,
      created_by: sender.userId,
      created_at: now,
      sent_at: null,
      acknowledged_at: null,
      finished_at: null,
      output: null,
      error: null,
    }));
  }

  async function queue(rows: NewCommandRow[]): Promise<void> {
    await repository.insert(rows);
    metrics.created(rows.length);
    announce(rows);
  }

  /** Moves a command by a device's result; retries once when another writer moved it first. */
  async function applyResult(device: AuthenticatedDevice, commandId: string, result: CommandResult, attempt = 0): Promise<CommandRow> {
    const row = await repository.findOfDevice(device.id, commandId);
    if (!row) throw appError('COMMAND_NOT_FOUND', `device ${device.id} has no command ${commandId}`);
    const status = row.status as CommandStatus;
    if (status === result.status) return row; // the same answer again: already applied
    if (FINAL_COMMAND_STATUSES.includes(status)) throw appError('COMMAND_FINISHED', `command ${commandId} is ${status} already`);
    const now = Date.now();
    const sentAt = row.sent_at ?? now;
    const changed =
      result.status === 'acknowledged'
        ? await repository.transition(row.id, PENDING_STATUSES, { status: 'acknowledged', sent_at: sentAt, acknowledged_at: now, timeout_at: now + row.timeout_ms })
        : await repository.transition(row.id, ACTIVE_STATUSES, {
            status: result.status,
            sent_at: sentAt,
            finished_at: now,
            timeout_at: null,
            output: result.output === undefined ? null : JSON.stringify(result.output),
            error: result.error ?? null,
          });
    if (changed) {
      announce([changed], now);
      return changed;
    }
    if (attempt > 0) throw appError('COMMAND_FINISHED', `command ${commandId} changed while its result was applied`);
    return applyResult(device, commandId, result, attempt + 1);
  }

  /** Marks a command sent once it has been handed to its device; false if it moved on meanwhile. */
  async function markSent(row: CommandRow): Promise<boolean> {
    const now = Date.now();
    const sent = await repository.transition(row.id, ['queued'], { status: 'sent', sent_at: now });
    if (sent) announce([sent], now);
    return sent !== undefined;
  }

  /** A page of the tenant's commands (or one device's), newest first. */
  async function list(tenantId: string, query: CommandsQuery): Promise<Page<Command>> {
    const limit = query.limit ?? 50;
    let beforeSeq: number | undefined;
    if (query.cursor) {
      const [seq] = decodeCursor(query.cursor);
      if (!Number.isSafeInteger(seq)) throw appError('INVALID_CURSOR', 'query/cursor is not a cursor this server returned');
      beforeSeq = seq as number;
    }
    const rows = await repository.list({ tenantId, deviceId: query.deviceId, batchId: query.batchId, status: query.status, name: query.name, beforeSeq, limit: limit + 1 });
    return pageOf(rows, limit, (row) => [row.seq, row.id], (row) => toCommand(row, row.device_name));
  }

  return {
    /** Queues a command for one device of the tenant. */
    async send(sender: CommandSender, deviceId: string, body: SendCommandBody): Promise<Command> {
      const device = await requireDevice(sender.tenantId, deviceId);
      const [row] = newRows(sender, [deviceId], body, null) as [NewCommandRow];
      await queue([row]);
      log.info({ commandId: row.id, deviceId, name: body.name }, 'command queued');
      return toCommand(row, device.name);
    },

    /**
     * Queues one command for each device of the tenant that the selector chooses (at most
     * MAX_BULK_COMMAND_DEVICES). A dry run checks everything a send checks, then answers the
     * count and the first devices instead of queuing, so a dry run that passes means the send would.
     */
    async sendBulk(sender: CommandSender, body: BulkCommandBody): Promise<BulkCommandReply> {
      const { selector, dryRun: isDryRun, ...command } = body;
      const chosen = await devices.summariesMatching(sender.tenantId, parseRequirements(selector), MAX_BULK_COMMAND_DEVICES + 1);
      if (chosen.length > MAX_BULK_COMMAND_DEVICES) {
        throw fieldError('body/selector', `chooses more than ${MAX_BULK_COMMAND_DEVICES} devices; narrow it and send several requests`);
      }
      const deviceIds = chosen.map((device) => device.id);
      if (isDryRun === true) {
        newRows(sender, [], command, null); // checks params and deadlines as a send would
        return { batchId: null, count: chosen.length, commandIds: [], dryRun: true, devices: chosen.slice(0, BULK_DRY_RUN_DEVICES) };
      }
      const batchId = newId('bat');
      const rows = newRows(sender, deviceIds, command, batchId);
      if (rows.length > 0) await queue(rows);
      log.info({ batchId, devices: rows.length, name: body.name }, 'bulk command queued');
      return { batchId, count: rows.length, commandIds: rows.map((row) => row.id), dryRun: false };
    },

    list,

    /** A page of one device's commands; the device must be the tenant's. */
    async listOfDevice(tenantId: string, deviceId: string, query: Omit<CommandsQuery, 'deviceId' | 'batchId'>): Promise<Page<Command>> {
      await requireDevice(tenantId, deviceId);
      return list(tenantId, { ...query, deviceId });
    },

    async get(tenantId: string, id: string): Promise<Command> {
      const row = await findOrThrow(tenantId, id);
      return toCommand(row, row.device_name);
    },

    /**
     * Cancels a command that the device has not acknowledged (queued or sent). The `cancelled`
     * event carries `wasSent`, so delivery tells a connected device that was given it to stop.
     */
    async cancel(tenantId: string, id: string): Promise<Command> {
      const row = await findOrThrow(tenantId, id);
      const now = Date.now();
      const cancelled = await repository.transition(row.id, PENDING_STATUSES, { status: 'cancelled', finished_at: now });
      if (!cancelled) {
        const current = (await repository.findById(tenantId, id))?.status ?? row.status;
        throw appError('COMMAND_NOT_CANCELLABLE', `command ${id} is ${current}; only a queued or sent command can be cancelled`);
      }
      announce([cancelled], now);
      log.info({ commandId: id, deviceId: cancelled.device_id, wasSent: cancelled.sent_at !== null }, 'command cancelled');
      return toCommand(cancelled, row.device_name);
    },

    /**
     * Applies a device's result (`acknowledged`, then `succeeded` or `failed`). Sending the
     * same status again is harmless; any other answer to a finished command is COMMAND_FINISHED.
     */
    async recordResult(device: AuthenticatedDevice, commandId: string, result: CommandResult): Promise<{ id: string; status: CommandStatus }> {
      const bytes = result.output === undefined ? 0 : Buffer.byteLength(JSON.stringify(result.output));
      if (bytes > MAX_COMMAND_RESULT_BYTES) throw fieldError('body/output', `must be at most ${MAX_COMMAND_RESULT_BYTES} bytes of JSON; this is ${bytes}`);
      const row = await applyResult(device, commandId, result);
      return { id: row.id, status: row.status as CommandStatus };
    },

    /** A page of a device's unexpired commands in these statuses, oldest first, after `afterSeq` (MQTT delivery). */
    pending: (deviceId: string, statuses: readonly CommandStatus[], afterSeq = 0) => repository.pending(deviceId, statuses, Date.now(), POLL_BATCH, afterSeq),

    markSent,

    /**
     * A device's HTTP poll: its queued and sent (not yet acknowledged) commands, oldest first,
     * the queued ones marked sent. With `waitMs`, an empty answer waits for a command to be
     * queued (or `signal` to abort, or the service to stop).
     */
    async poll(device: AuthenticatedDevice, waitMs: number, signal?: AbortSignal): Promise<CommandMessage[]> {
      const deadline = Date.now() + waitMs;
      for (;;) {
        // Listening starts before the query, so a command queued in between is not missed.
        const queued = waiters.next(device.id, deadline - Date.now(), signal);
        const rows = await repository.pending(device.id, PENDING_STATUSES, Date.now(), POLL_BATCH);
        if (rows.length > 0 || Date.now() >= deadline || signal?.aborted || waiters.isStopped()) {
          queued.cancel();
          for (const row of rows) if (row.status === 'queued') await markSent(row);
          return rows.map(toCommandMessage);
        }
        await queued.promise;
      }
    },

    /** Expires commands past their expiry and fails acknowledged ones past their timeout; at most `batch` of each. */
    async sweep(now: number, batch: number): Promise<{ expired: number; timedOut: number }> {
      const expired = await repository.transitionDue('expires_at', ACTIVE_STATUSES, now, batch, { status: 'expired', finished_at: now, timeout_at: null });
      announce(expired, now);
      const timedOut = await repository.transitionDue('timeout_at', ['acknowledged'], now, batch, { status: 'failed', finished_at: now, timeout_at: null, error: 'timed out' });
      announce(timedOut, now);
      return { expired: expired.length, timedOut: timedOut.length };
    },

    /** Ends every long poll at once (shutdown). */
    stop: () => waiters.stop(),
  };
}

/** The commands service. */
export type CommandsService = ReturnType<typeof createCommandsService>;
