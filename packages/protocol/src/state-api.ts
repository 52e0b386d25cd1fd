/**
 * Schemas of the desired-state REST API (device layers, profiles, revisions, diffs, previews,
 * drift), shared by the server, the CLI and the dashboard. Documents come back with secrets
 * redacted to `{"$secret":true}`; paths are JSON Pointers (RFC 6901), e.g. `/settings/interval`.
 */
import { Type, type Static } from '@sinclair/typebox';
import { PageQuerySchema, PageSchema, StateDriftSchema, Timestamp } from './api.js';

/** A desired-state document: any JSON object. */
export const StateDocumentSchema = Type.Record(Type.String(), Type.Unknown(), { description: 'A JSON object; {"$secret":"…"} marks a secret' });

/** A JSON Schema a layer declares for the `settings` section of the effective document. */
export const StateSettingsSchemaSchema = Type.Record(Type.String(), Type.Unknown(), {
  description: 'A JSON Schema (draft 2020-12 subset that Ajv understands) for the settings section of the effective document',
});

/** A revision message. */
const Message = Type.String({ maxLength: 1000, description: 'Why the change was made; kept with the revision' });

/** Where a value of the effective document comes from. */
export const StateSourceSchema = Type.Union([
  Type.Object({ type: Type.Literal('profile'), id: Type.String(), name: Type.String() }),
  Type.Object({ type: Type.Literal('device') }),
]);
export type StateSource = Static<typeof StateSourceSchema>;

/** One difference between two documents. */
export const StateChangeSchema = Type.Object({
  path: Type.String({ description: 'JSON Pointer of the value' }),
  op: Type.Union([Type.Literal('added'), Type.Literal('removed'), Type.Literal('changed')]),
  from: Type.Optional(Type.Unknown()),
  to: Type.Optional(Type.Unknown()),
});
export type StateChange = Static<typeof StateChangeSchema>;

/** Who made a revision. */
export const StateAuthorSchema = Type.Object({
  type: Type.String({ description: 'user, token or system' }),
  id: Type.Union([Type.String(), Type.Null()]),
  name: Type.String(),
});


/** `GET /devices/{id}/state`. */
export const DeviceStateSchema = Type.Object({
  deviceId: Type.String(),
  layer: Type.Object({
    revision: Type.Integer({ description: '0 until the layer is first written; send it back as If-Match: "<revision>" to refuse overwriting a change made meanwhile' }),
    state: StateDocumentSchema,
    schema: Type.Union([StateSettingsSchemaSchema, Type.Null()]),
  }),
  desired: Type.Object({
    version: Type.Integer(),
    state: StateDocumentSchema,
    provenance: Type.Record(Type.String(), StateSourceSchema, { description: 'JSON Pointer of each value → the layer that set it' }),
    profiles: Type.Array(Type.Object({ id: Type.String(), name: Type.String(), priority: Type.Integer() }), { description: 'Profiles applied, lowest priority first' }),
  }),
  reported: Type.Object({
    version: Type.Integer(),
    state: StateDocumentSchema,
    updatedAt: Type.Union([Timestamp, Type.Null()]),
    rejected: Type.Object({ count: Type.Integer(), lastAt: Type.Union([Timestamp, Type.Null()]), lastReason: Type.Union([Type.String(), Type.Null()]) }),
  }),
  drift: StateDriftSchema,
});
export type DeviceState = Static<typeof DeviceStateSchema>;

/** `PUT /devices/{id}/state`: replaces the device layer. */
export const PutDeviceStateBodySchema = Type.Object(
  {
    state: StateDocumentSchema,
    schema: Type.Optional(Type.Union([StateSettingsSchemaSchema, Type.Null()], { description: 'absent keeps the layer\'s schema; null removes it' })),
    message: Type.Optional(Message),
  },
  { additionalProperties: false },
);
export type PutDeviceStateBody = Static<typeof PutDeviceStateBodySchema>;

/** `PATCH /devices/{id}/state`: a JSON merge patch of the device layer. */
export const PatchDeviceStateBodySchema = Type.Object(
  {
    state: Type.Record(Type.String(), Type.Unknown(), { description: 'JSON merge patch (RFC 7386) of the layer: objects merge, null removes' }),
    schema: Type.Optional(Type.Union([StateSettingsSchemaSchema, Type.Null()], { description: 'null removes the schema' })),
    message: Type.Optional(Message),
  },
  { additionalProperties: false },
);
export type PatchDeviceStateBody = Static<typeof PatchDeviceStateBodySchema>;

/** One revision of a device layer or a profile. */
export const StateRevisionSchema = Type.Object({
  revision: Type.Integer(),
  author: StateAuthorSchema,
  message: Type.String(),
  createdAt: Timestamp,
  state: StateDocumentSchema,
  schema: Type.Union([StateSettingsSchemaSchema, Type.Null()]),
  /** Profiles only. */
  name: Type.Optional(Type.String()),
  selector: Type.Optional(Type.String()),
  priority: Type.Optional(Type.Integer()),
});
export type StateRevision = Static<typeof StateRevisionSchema>;

/** A page of revisions, newest first. */
export const StateRevisionPageSchema = PageSchema(StateRevisionSchema);

/** `?from=&to=` of a diff: revision numbers. */
export const StateDiffQuerySchema = Type.Object(
  { from: Type.Integer({ minimum: 0, description: 'revision number; 0 is the empty document before the first revision' }), to: Type.Integer({ minimum: 0 }) },
  { additionalProperties: false },
);

/** A diff between two revisions. */
export const StateDiffSchema = Type.Object({ from: Type.Integer(), to: Type.Integer(), changes: Type.Array(StateChangeSchema) });
export type StateDiff = Static<typeof StateDiffSchema>;

/** `POST …/revert`: makes a new revision with the content of an old one. */
export const StateRevertBodySchema = Type.Object(
  { revision: Type.Integer({ minimum: 1 }), message: Type.Optional(Message) },
  { additionalProperties: false },
);
export type StateRevertBody = Static<typeof StateRevertBodySchema>;

/** A profile name: letters, digits, `.`, `_`, `-`; it names the profile's file in the git history. */
export const PROFILE_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$';

/** A profile's priority: higher wins; the device's own layer is above every profile. */
export const ProfilePrioritySchema = Type.Integer({ minimum: -1_000_000, maximum: 1_000_000 });

/** What a profile is made of, as written. */
export const ProfileInputSchema = Type.Object(
  {
    name: Type.String({ pattern: PROFILE_NAME_PATTERN, description: 'Unique in the tenant: 1-63 letters, digits, ".", "_", "-"' }),
    selector: Type.String({ maxLength: 2048, description: 'Label selector of the devices it applies to; "" applies to every device' }),
    priority: ProfilePrioritySchema,
    state: StateDocumentSchema,
    schema: Type.Optional(Type.Union([StateSettingsSchemaSchema, Type.Null()], { description: 'absent keeps the schema on PUT (none on create); null removes it' })),
    message: Type.Optional(Message),
  },
  { additionalProperties: false },
);
export type ProfileInput = Static<typeof ProfileInputSchema>;

/** `PATCH /profiles/{id}`: any field; `state` is a merge patch of the document. */
export const ProfilePatchSchema = Type.Object(
  {
    name: Type.Optional(ProfileInputSchema.properties.name),
    selector: Type.Optional(ProfileInputSchema.properties.selector),
    priority: Type.Optional(ProfilePrioritySchema),
    state: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'JSON merge patch (RFC 7386) of the document' })),
    schema: Type.Optional(Type.Union([StateSettingsSchemaSchema, Type.Null()], { description: 'null removes the schema' })),
    message: Type.Optional(Message),
  },
  { additionalProperties: false },
);
export type ProfilePatch = Static<typeof ProfilePatchSchema>;

/** A profile as the API shows it. */
export const ProfileSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  selector: Type.String(),
  priority: Type.Integer(),
  state: StateDocumentSchema,
  schema: Type.Union([StateSettingsSchemaSchema, Type.Null()]),
  revision: Type.Integer({ description: 'grows by one on each write; send it back as If-Match: "<revision>" to refuse overwriting a change made meanwhile' }),
  matchedDevices: Type.Integer({ description: 'devices of the tenant the selector chooses now' }),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type Profile = Static<typeof ProfileSchema>;

/**
 * `If-Match: "<revision>"` on writes of a device layer or a profile: the write is refused with
 * `412 STATE_REVISION_CONFLICT` unless the layer is still at that revision.
 */
export const RevisionPreconditionHeadersSchema = Type.Object({
  'if-match': Type.Optional(Type.String({ pattern: '^"[0-9]{1,15}"$', description: 'The revision the change was made against, quoted: "3"' })),
});

/** A page of profiles, by name. */
export const ProfilePageSchema = PageSchema(ProfileSchema);

/** `POST /profiles/preview`: a profile change to try without saving it. */
export const ProfilePreviewBodySchema = Type.Object(
  {
    action: Type.Union([Type.Literal('create'), Type.Literal('update'), Type.Literal('delete')]),
    id: Type.Optional(Type.String({ maxLength: 64, description: 'The profile, for update and delete' })),
    profile: Type.Optional(Type.Omit(ProfileInputSchema, ['message'], { additionalProperties: false })),
  },
  { additionalProperties: false },
);
export type ProfilePreviewBody = Static<typeof ProfilePreviewBodySchema>;

/** What a profile change would do to each device whose effective document it changes. */
export const ProfilePreviewSchema = Type.Object({
  devices: Type.Array(
    Type.Object({
      deviceId: Type.String(),
      name: Type.String(),
      version: Type.Integer({ description: 'the current desired version' }),
      changes: Type.Array(StateChangeSchema),
      errors: Type.Array(Type.Object({ field: Type.String(), message: Type.String() }), { description: 'schema violations that would refuse the change' }),
    }),
  ),
  total: Type.Integer({ description: 'devices that would change; at most 500 are listed' }),
});
export type ProfilePreview = Static<typeof ProfilePreviewSchema>;

/** `GET /state/drift`. */
export const StateDriftQuerySchema = Type.Composite(
  [PageQuerySchema, Type.Object({ selector: Type.Optional(Type.String({ maxLength: 2048, description: 'Label selector' })) })],
  { additionalProperties: false },
);

/** A device in drift. */
export const StateDriftItemSchema = Type.Composite([Type.Object({ deviceId: Type.String(), name: Type.String() }), StateDriftSchema]);
export type StateDriftItem = Static<typeof StateDriftItemSchema>;

/** A page of devices in drift, by id. */
export const StateDriftPageSchema = PageSchema(StateDriftItemSchema);

/** What the device gets back for a report. */
export const ReportedAcceptedSchema = Type.Object({ version: Type.Integer({ description: 'the reported version after the patch' }) });
