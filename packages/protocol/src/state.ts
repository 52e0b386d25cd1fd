/**
 * Desired and reported state. The owner declares a device's desired state as layers (profiles
 * chosen by label selector, then the device's own layer); the device receives the merged,
 * effective document with its version, applies it, and reports what it runs as a JSON merge
 * patch of its reported document.
 *
 * The desired document is free JSON; the agent understands the sections below (`apps`, `files`,
 * `settings`) and other device code may use any other keys.
 */
import { Type, type Static } from '@sinclair/typebox';

/** A JSON object. */
export type JsonObject = { [key: string]: JsonValue };
/** Any JSON value. */
export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;

/**
 * The key that marks a secret. Writing `{"$secret":"s3cret"}` at any place of a layer stores
 * the string encrypted; every read except the device's own shows `{"$secret":true}` there, and
 * writing `{"$secret":true}` back keeps the stored value. The device receives the plain string
 * in place of the whole object.
 */
export const SECRET_KEY = '$secret';

/** A secret as written (`value` a string) or as read back redacted (`value` true). */
export type SecretRef = { [SECRET_KEY]: string | true };

/** True for `{"$secret": …}` with a string or `true` and no other key. */
export function isSecretRef(value: unknown): value is SecretRef {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  const secret = (value as Record<string, unknown>)[SECRET_KEY];
  return keys.length === 1 && keys[0] === SECRET_KEY && (typeof secret === 'string' || secret === true);
}

/** What the server sends on `…/state/desired` (retained) and answers to `GET /api/v1/device/state`. */
export const DesiredStateMessageSchema = Type.Object({
  /** The effective desired version; it grows by one at every change of any layer the device has. */
  version: Type.Integer({ minimum: 0 }),
  /** The effective document, secrets in plain text (for this device only). */
  state: Type.Record(Type.String(), Type.Unknown()),
});
export type DesiredStateMessage = { version: number; state: JsonObject };

/** The status of one part of the desired state (an app, a file) as the device applied it. */
export const PartStatusSchema = Type.Object(
  {
    status: Type.Union([Type.Literal('ok'), Type.Literal('pending'), Type.Literal('failed')]),
    error: Type.Optional(Type.String({ maxLength: 4096 })),
  },
  { additionalProperties: true },
);
export type PartStatus = Static<typeof PartStatusSchema>;

/**
 * The `applied` section of the reported document: which desired version the device has applied,
 * how it went as a whole and per part (`apps/web`, `files//etc/motd`). Drift is a device whose
 * applied version is behind its desired version, or whose status is `failed`.
 */
export const AppliedStateSchema = Type.Object(
  {
    version: Type.Integer({ minimum: 0 }),
    status: Type.Union([Type.Literal('applied'), Type.Literal('applying'), Type.Literal('failed')]),
    /** Epoch milliseconds. */
    at: Type.Optional(Type.Integer({ minimum: 0 })),
    parts: Type.Optional(Type.Record(Type.String(), PartStatusSchema)),
    error: Type.Optional(Type.String({ maxLength: 4096 })),
  },
  { additionalProperties: true },
);
export type AppliedState = Static<typeof AppliedStateSchema>;

/** The largest reported document the server keeps, in bytes of JSON. */
export const MAX_REPORTED_STATE_BYTES = 256 * 1024;
/**
 * The largest `inventory` section of a report, in bytes of JSON: the device's registry entry
 * carries it, so it stays far below a whole reported document.
 */
export const MAX_INVENTORY_BYTES = 64 * 1024;
/** The largest desired document (one layer, or the effective one), in bytes of JSON. */
export const MAX_DESIRED_STATE_BYTES = 256 * 1024;

/** A process the agent runs and supervises: `desired.apps[name]`. */
export const AppSpecSchema = Type.Object(
  {
    /** The program to run; resolved on PATH when it has no slash. */
    command: Type.String({ minLength: 1, maxLength: 4096 }),
    args: Type.Optional(Type.Array(Type.String({ maxLength: 4096 }), { maxItems: 256 })),
    env: Type.Optional(Type.Record(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }), Type.String({ maxLength: 65536 }))),
    /** Working directory; the app's own directory under the agent's state directory by default. */
    cwd: Type.Optional(Type.String({ maxLength: 4096 })),
    restart: Type.Optional(Type.Union([Type.Literal('always'), Type.Literal('on-failure'), Type.Literal('never')], { default: 'always' })),
    /** False declares the app but keeps it stopped. */
    enabled: Type.Optional(Type.Boolean({ default: true })),
  },
  { additionalProperties: false },
);
export type AppSpec = Static<typeof AppSpecSchema>;

/** A file the agent writes atomically: `desired.files[absolutePath]`. */
export const FileSpecSchema = Type.Object(
  {
    content: Type.String({ maxLength: 1024 * 1024 }),
    encoding: Type.Optional(Type.Union([Type.Literal('utf8'), Type.Literal('base64')], { default: 'utf8' })),
    /** Octal permission bits as a string, `"0644"` by default. */
    mode: Type.Optional(Type.String({ pattern: '^0?[0-7]{3}$' })),
  },
  { additionalProperties: false },
);
export type FileSpec = Static<typeof FileSpecSchema>;

/** The sections of the desired document the agent acts on; any other key passes through. */
export interface AgentDesiredState {
  apps?: Record<string, AppSpec>;
  files?: Record<string, FileSpec>;
  settings?: JsonObject;
}
