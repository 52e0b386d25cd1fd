/**
 * Schemas of the commands REST API (sending to one device or to a selector, lists, cancel) and
 * of the HTTP device routes (polling for commands, posting results), shared by the server, the
 * CLI and the dashboard. Times in `Command` are ISO 8601, like every resource of the API; the
 * device-facing `CommandMessage` (commands.ts) keeps epoch milliseconds.
 */
import { Type, type Static } from '@sinclair/typebox';
import { PageQuerySchema, PageSchema, Timestamp } from './api.js';
import { COMMAND_NAME_PATTERN, COMMAND_STATUSES, CommandMessageSchema, type CommandStatus } from './commands.js';

/** The largest params document of a command, in bytes of JSON. */
export const MAX_COMMAND_PARAMS_BYTES = 64 * 1024;
/** How long a command waits for its device unless the sender says otherwise. */
export const DEFAULT_COMMAND_EXPIRY_MS = 7 * 86_400_000;
/** The longest a command may wait for its device. */
export const MAX_COMMAND_EXPIRY_MS = 30 * 86_400_000;
/** The longest a device may run a command once acknowledged. */
export const MAX_COMMAND_TIMEOUT_MS = 7 * 86_400_000;
/** Devices one bulk request may address; a selector choosing more is refused. */
export const MAX_BULK_COMMAND_DEVICES = 1000;
/** Devices a bulk dry run lists by name; `count` counts them all. */
export const BULK_DRY_RUN_DEVICES = 50;
/** The longest a device's HTTP poll may wait for a command. */
export const MAX_COMMAND_POLL_WAIT_SECONDS = 30;

// A string enum rather than a union of literals: one clear error (`must be one of …`) instead of one per literal.
const CommandStatusSchema = Type.Unsafe<CommandStatus>({ type: 'string', enum: [...COMMAND_STATUSES], description: COMMAND_STATUSES.join(', ') });

const CommandNameSchema = Type.String({
  pattern: COMMAND_NAME_PATTERN,
  description: 'A well-known command (ping, reboot, restart-agent, collect-logs, …) or a custom name: lower-case letters, digits and ._:/-, starting with a letter',
});

/** What is sent, to one device or to many: the name, its params and the two deadlines. */
const commandRequestFields = {
  name: CommandNameSchema,
  params: Type.Optional(
    Type.Record(Type.String(), Type.Unknown(), { description: "Checked against the schema of a well-known command; any JSON object for a custom one (at most 64 KiB)" }),
  ),
  timeoutMs: Type.Optional(
    Type.Integer({ minimum: 1, maximum: MAX_COMMAND_TIMEOUT_MS, description: "How long the device may run it once acknowledged; default: the well-known command's, else 5 minutes" }),
  ),
  expiresInMs: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_COMMAND_EXPIRY_MS, description: 'Expire it this long after creation unless finished; default 7 days' })),
  expiresAt: Type.Optional(Type.String({ format: 'date-time', description: 'Expire it at this time unless finished (instead of expiresInMs); at most 30 days ahead' })),
};

/** `POST /devices/{id}/commands`. */
export const SendCommandBodySchema = Type.Object(commandRequestFields, { additionalProperties: false });
export type SendCommandBody = Static<typeof SendCommandBodySchema>;

/** `POST /commands`: one command to each device a selector chooses. */
export const BulkCommandBodySchema = Type.Object(
  {
    selector: Type.String({ maxLength: 2048, description: 'Label selector, e.g. `site=oslo,role!=gateway`; empty chooses every device of the tenant' }),
    ...commandRequestFields,
    dryRun: Type.Optional(
      Type.Boolean({ description: 'Check the request and answer which devices it would reach, creating nothing (answers 200, no batch, no audit entry)' }),
    ),
  },
  { additionalProperties: false },
);
export type BulkCommandBody = Static<typeof BulkCommandBodySchema>;

/** A command as the API shows it. */
export const CommandSchema = Type.Object({
  id: Type.String(),
  deviceId: Type.String(),
  deviceName: Type.Union([Type.String(), Type.Null()], { description: "The device's current name; null once the device has left your tenant" }),
  batchId: Type.Union([Type.String(), Type.Null()], { description: 'The bulk request it came from' }),
  name: Type.String(),
  params: Type.Record(Type.String(), Type.Unknown()),
  status: CommandStatusSchema,
  timeoutMs: Type.Integer(),
  expiresAt: Type.Union([Timestamp, Type.Null()]),
  createdBy: Type.Union([Type.String(), Type.Null()], { description: 'The user who sent it (directly or with an API token)' }),
  createdAt: Timestamp,
  sentAt: Type.Union([Timestamp, Type.Null()]),
  acknowledgedAt: Type.Union([Timestamp, Type.Null()]),
  finishedAt: Type.Union([Timestamp, Type.Null()]),
  output: Type.Unknown({ description: 'What the device answered; null until it did' }),
  error: Type.Union([Type.String(), Type.Null()], { description: 'Why it failed (from the device, or "timed out")' }),
});
export type Command = Static<typeof CommandSchema>;

/** A page of commands, newest first. */
export const CommandPageSchema = PageSchema(CommandSchema);

/** What a bulk request created. */
export const BulkCommandReplySchema = Type.Object({
  batchId: Type.Union([Type.String(), Type.Null()], { description: 'null for a dry run' }),
  count: Type.Integer({ description: 'Commands created (a dry run: that would be created): one per device the selector chose' }),
  commandIds: Type.Array(Type.String(), { description: 'empty for a dry run' }),
  dryRun: Type.Boolean(),
  devices: Type.Optional(
    Type.Array(Type.Object({ id: Type.String(), name: Type.String() }), { description: `A dry run only: the first ${BULK_DRY_RUN_DEVICES} devices it would reach, by id` }),
  ),
});
export type BulkCommandReply = Static<typeof BulkCommandReplySchema>;

const listFilters = {
  status: Type.Optional(CommandStatusSchema),
  name: Type.Optional(Type.String({ pattern: COMMAND_NAME_PATTERN })),
};

/** `GET /devices/{id}/commands`. */
export const DeviceCommandsQuerySchema = Type.Composite([PageQuerySchema, Type.Object(listFilters)], { additionalProperties: false });
export type DeviceCommandsQuery = Static<typeof DeviceCommandsQuerySchema>;

/** `GET /commands`. */
export const CommandsQuerySchema = Type.Composite(
  [
    PageQuerySchema,
    Type.Object({
      ...listFilters,
      deviceId: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' })),
      batchId: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' })),
    }),
  ],
  { additionalProperties: false },
);
export type CommandsQuery = Static<typeof CommandsQuerySchema>;

/** `GET /device/commands`: the calling device's pending commands. */
export const DeviceCommandPollQuerySchema = Type.Object(
  {
    waitSeconds: Type.Optional(
      Type.Integer({ minimum: 0, maximum: MAX_COMMAND_POLL_WAIT_SECONDS, default: 0, description: 'When nothing is pending, wait this long for a command (long poll)' }),
    ),
  },
  { additionalProperties: false },
);

/** What a device's poll answers: its pending commands, oldest first. */
export const DeviceCommandPollReplySchema = Type.Object({ commands: Type.Array(CommandMessageSchema) });
export type DeviceCommandPollReply = Static<typeof DeviceCommandPollReplySchema>;

/** What the server answers a device's result with. */
export const CommandResultReplySchema = Type.Object({ id: Type.String(), status: CommandStatusSchema });
