/**
 * Commands: what the server sends a device to do once, and what the device answers. A command
 * goes `queued → sent → acknowledged → succeeded | failed`, or ends `expired` or `cancelled`
 * before the device finished it. The server moves it to `sent` when it delivers it (MQTT
 * publish or HTTP poll); the device reports `acknowledged` when it starts and a final status
 * when it ends.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';

/** Every status of a command, in lifecycle order. */
export const COMMAND_STATUSES = ['queued', 'sent', 'acknowledged', 'succeeded', 'failed', 'expired', 'cancelled'] as const;
export type CommandStatus = (typeof COMMAND_STATUSES)[number];

/** The statuses a command never leaves. */
export const FINAL_COMMAND_STATUSES: readonly CommandStatus[] = ['succeeded', 'failed', 'expired', 'cancelled'];

/** A command name: lower-case letters, digits and `-._:/`, starting with a letter. */
export const COMMAND_NAME_PATTERN = '^[a-z][a-z0-9._:/-]{0,63}$';

/**
 * What the device receives: on MQTT at `…/commands/{id}` (QoS 1), over HTTP from
 * `GET /api/v1/device/commands`. Queued commands arrive in the order they were created.
 */
export const CommandMessageSchema = Type.Object({
  id: Type.String(),
  name: Type.String({ pattern: COMMAND_NAME_PATTERN }),
  params: Type.Record(Type.String(), Type.Unknown()),
  /** Epoch milliseconds of creation. */
  createdAt: Type.Integer(),
  /** Epoch milliseconds after which the command is expired if not yet finished; null for never. */
  expiresAt: Type.Union([Type.Integer(), Type.Null()]),
  /** How long the device may run it, in milliseconds, once acknowledged. */
  timeoutMs: Type.Integer({ minimum: 1 }),
});
export type CommandMessage = Static<typeof CommandMessageSchema>;

/**
 * What the device answers on `…/commands/{id}/result` or
 * `POST /api/v1/device/commands/{id}/result`. `acknowledged` may come first; the final status
 * ends the command. `output` is any JSON the command produced, `error` says why it failed.
 */
export const CommandResultSchema = Type.Object(
  {
    status: Type.Union([Type.Literal('acknowledged'), Type.Literal('succeeded'), Type.Literal('failed')]),
    output: Type.Optional(Type.Unknown()),
    error: Type.Optional(Type.String({ maxLength: 8192 })),
  },
  { additionalProperties: false },
);
export type CommandResult = Static<typeof CommandResultSchema>;

/**
 * What the server publishes on `…/commands/{id}/cancel` (QoS 1, not retained) when a command
 * the device was given (`sent`) is cancelled, so that a device that has not finished it can
 * stop. A device that never got the command may receive it too and ignores an unknown id.
 */
export const CommandCancelSchema = Type.Object({
  id: Type.String(),
  status: Type.Literal('cancelled'),
  /** Epoch milliseconds of the cancellation. */
  at: Type.Integer(),
});
export type CommandCancel = Static<typeof CommandCancelSchema>;

/** The largest command result the server keeps, in bytes of JSON. */
export const MAX_COMMAND_RESULT_BYTES = 256 * 1024;

/** A command every Flotilla agent knows, with the schema of its params and what it answers. */
export interface WellKnownCommand {
  name: string;
  description: string;
  params: TSchema;
  /** Default timeout in milliseconds. */
  timeoutMs: number;
}

const noParams = Type.Object({}, { additionalProperties: false });

/** The well-known commands; any other name matching COMMAND_NAME_PATTERN is a custom command. */
export const WELL_KNOWN_COMMANDS = {
  ping: {
    name: 'ping',
    description: 'Answers at once with the device time: a round trip check.',
    params: noParams,
    timeoutMs: 30_000,
  },
  reboot: {
    name: 'reboot',
    description: 'Reboots the device, where its local policy allows it.',
    params: Type.Object({ delaySeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 3600, default: 5 })) }, { additionalProperties: false }),
    timeoutMs: 60_000,
  },
  'restart-agent': {
    name: 'restart-agent',
    description: 'Restarts the Flotilla agent process.',
    params: noParams,
    timeoutMs: 60_000,
  },
  'collect-logs': {
    name: 'collect-logs',
    description: "Returns the last lines of the agent's log, or of one app's.",
    params: Type.Object(
      {
        app: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'An app of the desired state; the agent itself when absent' })),
        lines: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, default: 200 })),
      },
      { additionalProperties: false },
    ),
    timeoutMs: 60_000,
  },
  'refresh-state': {
    name: 'refresh-state',
    description: 'Fetches the desired state again and re-applies it.',
    params: noParams,
    timeoutMs: 300_000,
  },
  'restart-app': {
    name: 'restart-app',
    description: 'Restarts one app of the desired state.',
    params: Type.Object({ app: Type.String({ minLength: 1, maxLength: 128 }) }, { additionalProperties: false }),
    timeoutMs: 60_000,
  },
  shell: {
    name: 'shell',
    description: "Runs a shell command, only where the device's local config enables it; answers exit code, stdout and stderr.",
    params: Type.Object(
      {
        command: Type.String({ minLength: 1, maxLength: 8192 }),
        timeoutSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 3600, default: 60 })),
      },
      { additionalProperties: false },
    ),
    timeoutMs: 3_600_000,
  },
} as const satisfies Record<string, WellKnownCommand>;

export type WellKnownCommandName = keyof typeof WELL_KNOWN_COMMANDS;

/** The well-known command of this name, if it is one. */
export function wellKnownCommand(name: string): WellKnownCommand | undefined {
  return Object.hasOwn(WELL_KNOWN_COMMANDS, name) ? WELL_KNOWN_COMMANDS[name as WellKnownCommandName] : undefined;
}

/** Timeout of a custom command unless the sender sets one. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 5 * 60_000;
