/**
 * Table types of the store, shared by SQLite and PostgreSQL. Times are epoch milliseconds,
 * JSON documents are text, booleans are 0/1 integers, so every query is written once.
 */
import type { Generated } from 'kysely';

export interface TenantsTable {
  id: string;
  name: string;
  created_at: number;
}

export interface UsersTable {
  id: string;
  tenant_id: string;
  email: string;
  name: string;
  role: string;
  password_hash: string;
  disabled: number;
  created_at: number;
  updated_at: number;
}

export interface SessionsTable {
  id: string;
  tenant_id: string;
  user_id: string;
  token_hash: string;
  created_at: number;
  expires_at: number;
  revoked_at: number | null;
}

export interface ApiTokensTable {
  id: string;
  tenant_id: string;
  user_id: string;
  name: string;
  role: string;
  prefix: string;
  token_hash: string;
  created_at: number;
  expires_at: number | null;
  last_used_at: number | null;
  revoked_at: number | null;
}

export interface DevicesTable {
  id: string;
  tenant_id: string;
  name: string;
  labels: string;
  metadata: string;
  secret_hash: string | null;
  inventory: string | null;
  online: number;
  last_seen_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface DeviceLabelsTable {
  device_id: string;
  tenant_id: string;
  key: string;
  value: string;
}

export interface EnrollmentTokensTable {
  id: string;
  tenant_id: string;
  name: string;
  token_hash: string;
  labels: string;
  expires_at: number | null;
  max_uses: number | null;
  uses: number;
  created_by: string | null;
  created_at: number;
  revoked_at: number | null;
}

export interface ClaimCodesTable {
  id: string;
  maker_tenant_id: string;
  device_id: string;
  code_hash: string;
  created_at: number;
  enrolled_at: number | null;
  claimed_at: number | null;
  claimed_tenant_id: string | null;
}

export interface AuditLogTable {
  id: string;
  tenant_id: string | null;
  at: number;
  actor_type: string;
  actor_id: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  outcome: string;
  status: number;
  ip: string | null;
  detail: string | null;
}

export interface SettingsTable {
  key: string;
  value: string;
  updated_at: number;
}

/** Telemetry keys, interned: points store the integer id instead of the text. */
export interface TelemetryKeysTable {
  id: Generated<number>;
  name: string;
}

/**
 * Devices that have telemetry, interned to small integers so each point row stays narrow.
 * No foreign key: points of a deleted device are orphans that retention sweeps.
 */
export interface TelemetryDevicesTable {
  ref: Generated<number>;
  device_id: string;
}

/** One point. `value_type` says which value column holds it (see telemetry/values.ts). */
export interface TelemetryPointsTable {
  device_ref: number;
  key_id: number;
  ts: number;
  value_num: number | null;
  value_text: string | null;
  value_type: number;
}

/** The newest point of each (device, key); it only moves forward in time. */
export type TelemetryLatestTable = TelemetryPointsTable;

/** A tenant's telemetry retention, when it differs from the default. */
export interface TelemetryRetentionTable {
  tenant_id: string;
  retention_days: number;
  updated_at: number;
}

/** Telemetry payloads a device sent that could not be stored, counted per device. */
export interface TelemetryRejectionsTable {
  device_id: string;
  tenant_id: string;
  count: number;
  last_at: number;
  last_reason: string;
}

/** A label-scoped layer of desired state. `document` has its secrets sealed. */
export interface ProfilesTable {
  id: string;
  tenant_id: string;
  name: string;
  selector: string;
  priority: number;
  document: string;
  schema: string | null;
  revision: number;
  created_at: number;
  updated_at: number;
}

/** One saved version of a profile. */
export interface ProfileRevisionsTable {
  profile_id: string;
  revision: number;
  name: string;
  selector: string;
  priority: number;
  document: string;
  schema: string | null;
  author_type: string;
  author_id: string | null;
  author_name: string;
  message: string;
  created_at: number;
}

/**
 * A device's state: its own layer, the effective desired document (the merge of its profiles and
 * layer) with its version and hash, and what the device reported. `applied_*` mirror the
 * reported `applied` section, so drift is a query.
 */
export interface DeviceStatesTable {
  device_id: string;
  layer: string;
  layer_schema: string | null;
  layer_revision: number;
  effective: string;
  effective_hash: string;
  effective_version: number;
  reported: string;
  reported_version: number;
  reported_at: number | null;
  applied_version: number | null;
  applied_status: string | null;
  applied_error: string | null;
  rejected_count: number;
  rejected_at: number | null;
  rejected_reason: string | null;
}

/** One saved version of a device's own layer. */
export interface DeviceStateRevisionsTable {
  device_id: string;
  revision: number;
  document: string;
  schema: string | null;
  author_type: string;
  author_id: string | null;
  author_name: string;
  message: string;
  created_at: number;
}

/** One command to one device; `status` follows COMMAND_STATUSES, `params` and `output` are JSON. */
export interface CommandsTable {
  seq: Generated<number>;
  id: string;
  tenant_id: string;
  device_id: string;
  batch_id: string | null;
  name: string;
  params: string;
  status: string;
  timeout_ms: number;
  expires_at: number | null;
  /** When an acknowledged command times out: acknowledged_at + timeout_ms. */
  timeout_at: number | null;
  created_by: string | null;
  created_at: number;
  sent_at: number | null;
  acknowledged_at: number | null;
  finished_at: number | null;
  output: string | null;
  error: string | null;
}

/** The whole database, as Kysely sees it. */
/** One device event; `data` is a JSON object as text, `source` is `device` or `server`. */
export interface DeviceEventsTable {
  seq: Generated<number>;
  tenant_id: string;
  device_id: string;
  ts: number;
  kind: string;
  level: string;
  message: string;
  data: string;
  source: string;
  received_at: number;
}

export interface Database {
  tenants: TenantsTable;
  users: UsersTable;
  sessions: SessionsTable;
  api_tokens: ApiTokensTable;
  devices: DevicesTable;
  device_labels: DeviceLabelsTable;
  enrollment_tokens: EnrollmentTokensTable;
  claim_codes: ClaimCodesTable;
  audit_log: AuditLogTable;
  settings: SettingsTable;
  telemetry_keys: TelemetryKeysTable;
  telemetry_devices: TelemetryDevicesTable;
  telemetry_points: TelemetryPointsTable;
  telemetry_latest: TelemetryLatestTable;
  telemetry_retention: TelemetryRetentionTable;
  telemetry_rejections: TelemetryRejectionsTable;
  profiles: ProfilesTable;
  profile_revisions: ProfileRevisionsTable;
  device_states: DeviceStatesTable;
  device_state_revisions: DeviceStateRevisionsTable;
  commands: CommandsTable;
  device_events: DeviceEventsTable;
}

/** Kept for tables that may later use generated columns. */
export type { Generated };
