/**
 * Desired state of devices: each device's own layer (write, patch, history, diff, revert), its
 * effective document with provenance, delivery to the device, what the device reports, and
 * drift. Profiles live in profiles.service.ts; both recompute through desired.ts.
 */
import {
  AppliedStateSchema,
  MAX_INVENTORY_BYTES,
  MAX_REPORTED_STATE_BYTES,
  type DesiredStateMessage,
  type DeviceState,
  type JsonObject,
  type Page,
  type PatchDeviceStateBody,
  type PutDeviceStateBody,
  type StateDiff,
  type StateDriftItem,
  type StateRevision,
} from '@flotilla/protocol';
import { Value } from '@sinclair/typebox/value';
import type { Kysely } from 'kysely';
import type { Principal } from '../auth/principal.js';
import type { Bus, BusEvents } from '../bus/bus.js';
import { parseRequirements } from '../devices/devices.service.js';
import { applyMergePatch, jsonDepth } from '../devices/merge-patch.js';
import { AppError, appError } from '../errors.js';
import type { Logger } from '../log.js';
import { isoOrNull } from '../store/json.js';
import { decodeCursor, pageOf } from '../store/pagination.js';
import type { Database } from '../store/schema.js';
import type { AuthenticatedDevice } from '../telemetry/device-auth.js';
import { checkDocumentBounds, MAX_STATE_DEPTH, type DesiredState } from './desired.js';
import { applyStatePatch } from './documents.js';
import { documentOf, effectiveOf, layerOf, schemaOf, type Effective, type LayerContent } from './effective.js';
import { createProfilesRepository } from './profiles.repository.js';
import { authorColumns, authorOf, checkExpectedRevision, revisionDiff, revisionPage, revisionToRevert, type Author, type RevisionQuery } from './revisions.js';
import { redactDocument, sealDocument, type SecretBox } from './secrets.js';
import type { SettingsSchemas } from './settings-schema.js';
import type { StateHistory } from './state-history.js';
import { driftOf } from './state.mapper.js';
import { createStateRepository, type StateDevice } from './state.repository.js';

/** What the state service is built from. */
export interface StateServiceDependencies {
  db: Kysely<Database>;
  box: SecretBox;
  schemas: SettingsSchemas;
  desired: DesiredState;
  history: StateHistory | null;
  bus: Bus;
  log: Logger;
  /** Counts a refused report (metrics). */
  onRejected?: (transport: string) => void;
}

/** The git path of a device's layer. */
export function deviceHistoryPath(tenantId: string, deviceId: string): string {
  return `${tenantId}/devices/${deviceId}.json`;
}

/** The file the git history keeps for a layer: redacted. */
export function historyFile(content: Record<string, unknown> & { state: JsonObject }): string {
  return `${JSON.stringify({ ...content, state: redactDocument(content.state) }, null, 2)}\n`;
}

/** Refuses an effective document some declared schema rejects, naming each path. */
export function refuseViolations(schemas: SettingsSchemas, effective: Effective, prefix = ''): void {
  const errors = schemas.violations(effective.document, effective.schemas).map((error) => ({ ...error, field: `${prefix}${error.field}` }));
  if (errors.length > 0) throw appError('STATE_SCHEMA_VIOLATION', errors.map((error) => `${error.field} ${error.message}`).join('; '), errors);
}

/** Creates the state service. */
export function createStateService({ db, box, schemas, desired, history, bus, log, onRejected }: StateServiceDependencies) {
  const repository = createStateRepository(db);

  async function findDevice(tenantId: string, deviceId: string): Promise<StateDevice> {
    const device = await repository.findDevice(tenantId, deviceId);
    if (!device) throw appError('DEVICE_NOT_FOUND', `no device ${deviceId} in your tenant`);
    return device;
  }

  /** Writes a new layer revision built from the current layer; the effective document follows. */
  async function saveLayer(principal: Principal, deviceId: string, build: (current: LayerContent) => LayerContent, message: string, expectedRevision?: number): Promise<DeviceState> {
    const tenantId = principal.tenantId;
    const author: Author = await authorOf(repository, principal);
    const now = Date.now();
    const { recomputed, layer } = await db.transaction().execute(async (trx) => {
      const states = createStateRepository(trx);
      const device = await states.findDevice(tenantId, deviceId);
      if (!device) throw appError('DEVICE_NOT_FOUND', `no device ${deviceId} in your tenant`);
      const row = await states.lock(device.id);
      checkExpectedRevision(`the layer of device ${deviceId}`, row.layer_revision, expectedRevision);
      const next = build(layerOf(row));
      checkDocumentBounds(next.document, 'body/state');
      if (next.schema) schemas.check(next.schema, 'body/schema');
      const result = await desired.recompute(trx, device, await createProfilesRepository(trx).all(tenantId), next);
      refuseViolations(schemas, result.effective);
      const revision = row.layer_revision + 1;
      const document = JSON.stringify(next.document);
      const schema = next.schema ? JSON.stringify(next.schema) : null;
      await states.update(device.id, { layer: document, layer_schema: schema, layer_revision: revision });
      await states.insertRevision({ device_id: device.id, revision, document, schema, ...authorColumns(author), message, created_at: now });
      return { recomputed: result, layer: next };
    });
    desired.announce([recomputed]);
    history?.record({
      files: { [deviceHistoryPath(tenantId, deviceId)]: historyFile({ state: layer.document, ...(layer.schema ? { schema: layer.schema } : {}) }) },
      author,
      message,
      at: now,
    });
    return service.get(tenantId, deviceId);
  }

  /** Refuses a report, counts it and tells the device's owner; never throws. */
  async function recordRejection(device: AuthenticatedDevice, reason: string, transport: string): Promise<void> {
    const at = Date.now();
    onRejected?.(transport);
    bus.publish('deviceEvent', { tenantId: device.tenantId, deviceId: device.id, kind: 'state.reported_rejected', at, data: { reason, transport } });
    try {
      await repository.countRejection(device.id, reason.slice(0, 500), at);
    } catch (error) {
      log.warn({ err: error, deviceId: device.id }, 'counting a state report rejection failed');
    }
  }

  function invalidReport(reason: string, field = 'body'): AppError {
    return appError('STATE_DOCUMENT_INVALID', reason, [{ field, message: reason }]);
  }

  /**
   * The registry's copy of the merged `inventory` section (JSON text, null once removed), or
   * undefined when the report does not touch it. Refuses a section that is not an object or too big.
   */
  function inventoryText(patch: object, reported: Record<string, unknown>): string | null | undefined {
    if (!('inventory' in patch)) return undefined;
    const inventory = reported.inventory;
    if (inventory === undefined) return null;
    if (typeof inventory !== 'object' || inventory === null || Array.isArray(inventory)) throw invalidReport('inventory must be a JSON object (or null to remove it)', 'body/inventory');
    const text = JSON.stringify(inventory);
    const bytes = Buffer.byteLength(text);
    if (bytes > MAX_INVENTORY_BYTES) throw invalidReport(`the inventory would be ${bytes} bytes; at most ${MAX_INVENTORY_BYTES} are kept`, 'body/inventory');
    return text;
  }

  /** Merges a report into the stored one, and its inventory into the registry; returns the new reported version. */
  async function mergeReport(device: AuthenticatedDevice, patch: unknown): Promise<{ version: number; applied: unknown; hasInventory: boolean }> {
    if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) throw invalidReport('the report must be a JSON object (a merge patch of the reported document)');
    if (jsonDepth(patch, MAX_STATE_DEPTH) > MAX_STATE_DEPTH) throw invalidReport(`the report nests deeper than ${MAX_STATE_DEPTH} levels`);
    return db.transaction().execute(async (trx) => {
      const states = createStateRepository(trx);
      const row = await states.lock(device.id);
      const reported = applyMergePatch(documentOf(row.reported), patch) as Record<string, unknown>;
      const text = JSON.stringify(reported);
      const bytes = Buffer.byteLength(text);
      if (bytes > MAX_REPORTED_STATE_BYTES) throw invalidReport(`the reported document would be ${bytes} bytes; at most ${MAX_REPORTED_STATE_BYTES} are kept`);
      const applied = reported.applied;
      if (applied !== undefined) {
        const problem = Value.Errors(AppliedStateSchema, applied).First();
        if (problem) throw invalidReport(`applied${problem.path} ${problem.message}`, `body/applied${problem.path}`);
      }
      const inventory = inventoryText(patch, reported);
      const section = applied as { version?: number; status?: string; error?: string } | undefined;
      const version = row.reported_version + 1;
      await states.update(device.id, {
        reported: text,
        reported_version: version,
        reported_at: Date.now(),
        applied_version: section?.version ?? null,
        applied_status: section?.status ?? null,
        applied_error: section?.error?.slice(0, 4096) ?? null,
      });
      if (inventory !== undefined) await states.setInventory(device.id, inventory);
      return { version, applied, hasInventory: inventory !== undefined };
    });
  }

  const service = {
    /** A device's layer, effective document with provenance, report and drift, redacted. */
    async get(tenantId: string, deviceId: string): Promise<DeviceState> {
      const device = await findDevice(tenantId, deviceId);
      const row = await repository.find(device.id);
      const layer = layerOf(row);
      const effective = effectiveOf(device.labels, await createProfilesRepository(db).all(tenantId), layer);
      return {
        deviceId: device.id,
        layer: { revision: row?.layer_revision ?? 0, state: redactDocument(layer.document), schema: layer.schema },
        desired: {
          version: row?.effective_version ?? 0,
          state: redactDocument(effective.document),
          provenance: effective.provenance,
          profiles: effective.profiles.map((profile) => ({ id: profile.id, name: profile.name, priority: profile.priority })),
        },
        reported: {
          version: row?.reported_version ?? 0,
          state: documentOf(row?.reported ?? '{}'),
          updatedAt: isoOrNull(row?.reported_at ?? null),
          rejected: { count: row?.rejected_count ?? 0, lastAt: isoOrNull(row?.rejected_at ?? null), lastReason: row?.rejected_reason ?? null },
        },
        drift: driftOf(row),
      };
    },

    /**
     * Replaces the device layer's document. Without `schema` the layer keeps its schema, so a
     * client that edits only the document cannot drop it by leaving it out; `schema: null` removes it.
     */
    async put(principal: Principal, deviceId: string, body: PutDeviceStateBody, expectedRevision?: number): Promise<DeviceState> {
      return saveLayer(
        principal,
        deviceId,
        (current) => ({
          document: sealDocument(body.state as JsonObject, current.document, box),
          schema: body.schema === undefined ? current.schema : (body.schema as JsonObject | null),
        }),
        body.message ?? 'update the device layer',
        expectedRevision,
      );
    },

    /** Merges a patch into the device layer; `schema: null` removes the schema. */
    async patch(principal: Principal, deviceId: string, body: PatchDeviceStateBody, expectedRevision?: number): Promise<DeviceState> {
      return saveLayer(
        principal,
        deviceId,
        (current) => ({
          document: applyStatePatch(current.document, sealDocument(body.state as JsonObject, current.document, box)),
          schema: body.schema === undefined ? current.schema : (body.schema as JsonObject | null),
        }),
        body.message ?? 'patch the device layer',
        expectedRevision,
      );
    },

    /** Makes a new revision with the content of an old one. */
    async revert(principal: Principal, deviceId: string, body: { revision: number; message?: string }): Promise<DeviceState> {
      const device = await findDevice(principal.tenantId, deviceId);
      const old = await revisionToRevert(body.revision, (revision) => repository.revision(device.id, revision));
      return saveLayer(principal, deviceId, () => ({ document: documentOf(old.document), schema: schemaOf(old.schema) }), body.message ?? `revert to revision ${body.revision}`);
    },

    async history(tenantId: string, deviceId: string, query: RevisionQuery): Promise<Page<StateRevision>> {
      const device = await findDevice(tenantId, deviceId);
      return revisionPage(query, (before, limit) => repository.revisions(device.id, before, limit));
    },

    async diff(tenantId: string, deviceId: string, from: number, to: number): Promise<StateDiff> {
      const device = await findDevice(tenantId, deviceId);
      return revisionDiff(from, to, (revision) => repository.revision(device.id, revision));
    },

    /** Devices whose applied version is behind their desired one, or whose apply failed. */
    async drift(tenantId: string, query: { selector?: string; limit?: number; cursor?: string }): Promise<Page<StateDriftItem>> {
      const limit = query.limit ?? 50;
      const requirements = parseRequirements(query.selector ?? '');
      const afterId = query.cursor ? decodeCursor(query.cursor)[1] : undefined;
      const rows = await repository.drift(tenantId, requirements, afterId, limit + 1);
      return pageOf(rows, limit, (row) => [null, row.device_id], (row) => ({ deviceId: row.device_id, name: row.name, ...driftOf(row) }));
    },

    /** What the device itself gets: secrets in plain text. */
    async messageFor(device: AuthenticatedDevice): Promise<DesiredStateMessage> {
      return desired.messageFor(device.id);
    },

    /** A device's report (a merge patch of its reported document), over HTTP or MQTT. */
    async report(device: AuthenticatedDevice, patch: unknown, transport: 'http' | 'mqtt'): Promise<{ version: number }> {
      let result: { version: number; applied: unknown; hasInventory: boolean };
      try {
        result = await mergeReport(device, patch);
      } catch (error) {
        if (error instanceof AppError && error.status < 500) await recordRejection(device, error.detail, transport);
        throw error;
      }
      const applied = result.applied as { version?: number; status?: string } | undefined;
      bus.publish('deviceEvent', {
        tenantId: device.tenantId,
        deviceId: device.id,
        kind: 'state.reported',
        at: Date.now(),
        // `inventory` tells a viewer of the device to fetch it again: its inventory changed.
        data: { version: result.version, appliedVersion: applied?.version ?? null, appliedStatus: applied?.status ?? null, inventory: result.hasInventory, transport },
      });
      return { version: result.version };
    },

    /**
     * A report over MQTT. A payload that is not a usable patch is counted, told to the owner and
     * dropped (the broker acknowledges it anyway); only a failure to store throws, so the device resends.
     */
    async reportPayload(device: AuthenticatedDevice, payload: Buffer): Promise<void> {
      let patch: unknown;
      try {
        patch = JSON.parse(payload.toString('utf8'));
      } catch {
        await recordRejection(device, 'the report is not JSON', 'mqtt');
        return;
      }
      try {
        await service.report(device, patch, 'mqtt');
      } catch (error) {
        if (!(error instanceof AppError) || error.status >= 500) throw error;
      }
    },

    /** Follows the registry: labels move devices in and out of profiles; a moved device starts afresh. */
    async onDeviceChanged(event: BusEvents['deviceChanged']): Promise<void> {
      if (event.change === 'deleted' || event.change === 'credentials') return;
      const recomputed = await db.transaction().execute(async (trx) => {
        const states = createStateRepository(trx);
        const device = await states.findAnyDevice(event.deviceId);
        if (!device) return null;
        // Another tenant's layer (and its secrets) must not follow the device to its new owner.
        if (event.change === 'moved') await states.resetLayer(device.id);
        return desired.recompute(trx, device, await createProfilesRepository(trx).all(device.tenant_id));
      });
      if (recomputed) desired.announce([recomputed]);
    },
  };
  return service;
}

export type StateService = ReturnType<typeof createStateService>;
