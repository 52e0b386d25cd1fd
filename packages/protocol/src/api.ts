/**
 * Schemas of the REST API's resources, declared once with TypeBox: the server validates and
 * documents with them, and the CLI and dashboard take their TypeScript types from them.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { LABEL_KEY_PATTERN, LABEL_VALUE_PATTERN } from './selector.js';
import { ROLES } from './roles.js';

/** An ISO 8601 timestamp in UTC. */
export const Timestamp = Type.String({ format: 'date-time' });

/** A role name. */
export const RoleSchema = Type.Union(ROLES.map((role) => Type.Literal(role)));

/** Labels as sent and returned: `{"site":"oslo"}`. */
export const LabelsSchema = Type.Record(
  Type.String({ pattern: LABEL_KEY_PATTERN }),
  Type.String({ pattern: LABEL_VALUE_PATTERN }),
  // Without additionalProperties:false a key that misses the pattern would pass unchecked.
  { maxProperties: 64, additionalProperties: false, description: 'Labels: keys of letters, digits and ._/-; values of at most 63 characters' },
);
export type Labels = Static<typeof LabelsSchema>;

/** A label patch: a string sets the label, `null` removes it. */
export const LabelsPatchSchema = Type.Record(
  Type.String({ pattern: LABEL_KEY_PATTERN }),
  Type.Union([Type.String({ pattern: LABEL_VALUE_PATTERN }), Type.Null()]),
  { maxProperties: 64, additionalProperties: false, description: 'A string sets the label, null removes it' },
);

/** Free-form JSON metadata attached to a resource. */
export const MetadataSchema = Type.Record(Type.String(), Type.Unknown(), {
  maxProperties: 256,
  // A record's key schema becomes a pattern, so the key length is checked here instead.
  propertyNames: { minLength: 1, maxLength: 128 },
  description: 'Free-form JSON; at most 256 keys of 1-128 characters',
});

/** A metadata patch (JSON merge patch, RFC 7386): objects merge, a `null` value removes the key. */
export const MetadataPatchSchema = Type.Record(Type.String(), Type.Unknown(), {
  maxProperties: 256,
  propertyNames: { minLength: 1, maxLength: 128 },
  description: 'JSON merge patch (RFC 7386): objects merge, null removes',
});

/** A page of a list: the items and the cursor of the next page, if any. */
export function PageSchema<T extends TSchema>(item: T) {
  return Type.Object({ items: Type.Array(item), nextCursor: Type.Union([Type.String(), Type.Null()]) });
}
/** A page of a list. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Query parameters every list accepts. */
export const PageQuerySchema = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
  cursor: Type.Optional(Type.String({ maxLength: 512 })),
});

export const UserSchema = Type.Object({
  id: Type.String(),
  email: Type.String(),
  name: Type.String(),
  role: RoleSchema,
  tenantId: Type.String(),
  disabled: Type.Boolean(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type User = Static<typeof UserSchema>;

export const TenantSchema = Type.Object({ id: Type.String(), name: Type.String() });
export type Tenant = Static<typeof TenantSchema>;

/** What login, refresh and setup answer. */
export const SessionSchema = Type.Object({
  accessToken: Type.String(),
  refreshToken: Type.String(),
  expiresIn: Type.Integer({ description: 'Seconds until the access token expires' }),
  user: UserSchema,
});
export type Session = Static<typeof SessionSchema>;

export const MeSchema = Type.Object({
  user: UserSchema,
  tenant: TenantSchema,
  via: Type.Union([Type.Literal('session'), Type.Literal('token')]),
});
export type Me = Static<typeof MeSchema>;

export const ApiTokenSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  role: RoleSchema,
  prefix: Type.String({ description: 'The first characters of the token, to recognise it' }),
  createdAt: Timestamp,
  expiresAt: Type.Union([Timestamp, Type.Null()]),
  lastUsedAt: Type.Union([Timestamp, Type.Null()]),
});
export type ApiToken = Static<typeof ApiTokenSchema>;

/**
 * A device name: 1-128 letters, digits, `.`, `_`, `-` and inner spaces, starting with a letter or
 * digit. ASCII only, so that case-insensitive search behaves the same on SQLite and PostgreSQL.
 */
export const DEVICE_NAME_PATTERN = '^[A-Za-z0-9](?:[A-Za-z0-9._ -]{0,126}[A-Za-z0-9._-])?$';

/** A device name, unique within a tenant (case-sensitive). */
export const DeviceNameSchema = Type.String({
  pattern: DEVICE_NAME_PATTERN,
  maxLength: 128,
  description: 'Unique in the tenant: 1-128 letters, digits, ".", "_", "-" and inner spaces, starting with a letter or digit',
});

/**
 * Whether a device runs its desired state: in drift when it has not reported applying its
 * desired version, or reported that applying failed; `reason` says which.
 */
export const StateDriftSchema = Type.Object({
  inDrift: Type.Boolean(),
  reason: Type.Union([Type.String(), Type.Null()]),
  desiredVersion: Type.Integer({ description: 'the effective desired version; 0 while nothing is declared (never drift)' }),
  appliedVersion: Type.Union([Type.Integer(), Type.Null()], { description: 'the version the device last reported under applied' }),
  appliedStatus: Type.Union([Type.String(), Type.Null()], { description: 'applying, applied or failed, as the device reported' }),
});
export type StateDrift = Static<typeof StateDriftSchema>;

export const DeviceSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  labels: LabelsSchema,
  metadata: Type.Record(Type.String(), Type.Unknown()),
  online: Type.Boolean(),
  lastSeenAt: Type.Union([Timestamp, Type.Null()]),
  inventory: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
  drift: StateDriftSchema,
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type Device = Static<typeof DeviceSchema>;

export const EnrollmentTokenSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  labels: LabelsSchema,
  expiresAt: Type.Union([Timestamp, Type.Null()]),
  maxUses: Type.Union([Type.Integer(), Type.Null()]),
  uses: Type.Integer(),
  createdAt: Timestamp,
  revokedAt: Type.Union([Timestamp, Type.Null()]),
});
export type EnrollmentToken = Static<typeof EnrollmentTokenSchema>;

/**
 * Where a device reaches the server's MQTT broker: the TCP listener's port (MQTT over TLS when
 * `tls`; null when the server runs without one) on the server's host, and the path of MQTT over
 * WebSocket on the HTTP port. `GET /device/connection` and the enrollment answer carry it.
 */
export const DeviceConnectionSchema = Type.Object(
  {
    mqtt: Type.Union([
      Type.Object({ port: Type.Integer({ minimum: 1, maximum: 65535 }), tls: Type.Boolean({ description: 'MQTT over TLS (mqtts://)' }) }, { additionalProperties: false }),
      Type.Null(),
    ], { description: 'The broker\'s TCP listener on the server\'s host; null when it is off' }),
    websocketPath: Type.String({ description: 'MQTT over WebSocket on the HTTP port, e.g. /mqtt' }),
  },
  { additionalProperties: false },
);
export type DeviceConnection = Static<typeof DeviceConnectionSchema>;

/**
 * What a device gets back when it enrolls: its id and secret (shown only here), its name and
 * where the broker is (`connection`, absent from servers older than it).
 */
export const EnrolledDeviceSchema = Type.Object({ id: Type.String(), secret: Type.String(), name: Type.String(), connection: Type.Optional(DeviceConnectionSchema) });
export type EnrolledDevice = Static<typeof EnrolledDeviceSchema>;

/** A claim code as its maker sees it; the code itself is shown only when created. */
export const ClaimCodeSchema = Type.Object({
  id: Type.String(),
  deviceId: Type.String(),
  createdAt: Timestamp,
  enrolled: Type.Boolean({ description: 'The device has enrolled with its code' }),
  enrolledAt: Type.Union([Timestamp, Type.Null()]),
  claimed: Type.Boolean({ description: 'An owner has claimed the device' }),
  claimedAt: Type.Union([Timestamp, Type.Null()]),
});
export type ClaimCode = Static<typeof ClaimCodeSchema>;

export const AuditEntrySchema = Type.Object({
  id: Type.String(),
  at: Timestamp,
  actor: Type.Object({ type: Type.String(), id: Type.Union([Type.String(), Type.Null()]) }),
  action: Type.String(),
  target: Type.Object({ type: Type.Union([Type.String(), Type.Null()]), id: Type.Union([Type.String(), Type.Null()]) }),
  outcome: Type.Union([Type.Literal('success'), Type.Literal('failure')]),
  status: Type.Integer({ description: 'HTTP status the action answered' }),
  ip: Type.Union([Type.String(), Type.Null()]),
});
export type AuditEntry = Static<typeof AuditEntrySchema>;

/** The body of every error answer (`application/problem+json`, RFC 9457). */
export const ProblemSchema = Type.Object({
  type: Type.String(),
  title: Type.String(),
  status: Type.Integer(),
  code: Type.String({ description: 'Stable error code from the catalogue' }),
  detail: Type.String(),
  errors: Type.Optional(Type.Array(Type.Object({ field: Type.String(), message: Type.String() }))),
});
export type Problem = Static<typeof ProblemSchema>;
