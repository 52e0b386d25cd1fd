/**
 * The device registry: listing with label selectors, creating, patching, deleting, secret
 * rotation, and checking a device's own credentials.
 */
import { DEVICE_NAME_PATTERN, parseSelector, SelectorSyntaxError, type Device, type LabelRequirement, type Page } from '@flotilla/protocol';
import type { Kysely } from 'kysely';
import { createClaimsRepository } from '../claims/claims.repository.js';
import type { Bus, DeviceChange } from '../bus/bus.js';
import { appError } from '../errors.js';
import type { Logger } from '../log.js';
import { isUniqueViolation } from '../store/errors.js';
import { hashSecret, newId, newSecret, secretMatches } from '../store/ids.js';
import { parseJsonObject } from '../store/json.js';
import { decodeCursor, pageOf, type CursorValues } from '../store/pagination.js';
import type { Database, DevicesTable } from '../store/schema.js';
import { toDevice } from './devices.mapper.js';
import { createDevicesRepository, type DeviceChanges, type DeviceSortKey } from './devices.repository.js';
import type { CreateDeviceBody, DeviceListQuery, PatchDeviceBody } from './devices.schemas.js';
import { applyMergePatch, jsonDepth, mergeLabels, sortedLabels } from './merge-patch.js';

/** Prefix of device secrets, so a leaked one is recognisable in logs and secret scanners. */
export const DEVICE_SECRET_PREFIX = 'fld_';

const MAX_LABELS = 64;
const MAX_METADATA_KEYS = 256;
// Deep enough for any real document; bounds the recursion of merging and serialising.
const MAX_METADATA_DEPTH = 32;
// SQLite refuses expressions nested deeper than 1,000; each requirement adds a level.
const MAX_SELECTOR_REQUIREMENTS = 50;
const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const deviceNamePattern = new RegExp(DEVICE_NAME_PATTERN);
// Compared against when a device has no secret, so that path costs what a wrong secret costs.
const DECOY_SECRET_HASH = hashSecret('decoy');

/** A device whose credentials checked out. */
export interface AuthenticatedDevice {
  id: string;
  tenantId: string;
  name: string;
}

/** Parses a selector for the API: a syntax error becomes INVALID_SELECTOR naming the bad part. */
export function parseRequirements(selector: string): LabelRequirement[] {
  let requirements: LabelRequirement[];
  try {
    requirements = parseSelector(selector);
  } catch (error) {
    if (error instanceof SelectorSyntaxError) throw appError('INVALID_SELECTOR', error.message);
    throw error;
  }
  if (requirements.length > MAX_SELECTOR_REQUIREMENTS) {
    throw appError('INVALID_SELECTOR', `a selector may have at most ${MAX_SELECTOR_REQUIREMENTS} requirements; this one has ${requirements.length}`);
  }
  return requirements;
}

/** A new devices row; `secretHash` is null for devices that get their secret when they enroll. */
export function newDeviceRow(input: {
  id?: string;
  tenantId: string;
  name: string;
  labels: Record<string, string>;
  metadata?: Record<string, unknown>;
  secretHash: string | null;
  now: number;
}): DevicesTable {
  return {
    id: input.id ?? newId('dev', input.now),
    tenant_id: input.tenantId,
    name: input.name,
    labels: JSON.stringify(sortedLabels(input.labels)),
    metadata: JSON.stringify(input.metadata ?? {}),
    secret_hash: input.secretHash,
    inventory: null,
    online: 0,
    last_seen_at: null,
    created_at: input.now,
    updated_at: input.now,
  };
}

/** The labels document of a row. */
export function labelsOf(row: DevicesTable): Record<string, string> {
  return parseJsonObject<Record<string, string>>(row.labels) ?? {};
}

/** Runs work that writes a device name; the database's unique constraint becomes DEVICE_NAME_TAKEN. */
export async function mapNameConflict<T>(name: string | undefined, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (isUniqueViolation(error)) throw appError('DEVICE_NAME_TAKEN', `another device of this tenant is named "${name ?? ''}"`);
    throw error;
  }
}

function validationError(field: string, message: string) {
  return appError('VALIDATION_FAILED', `${field} ${message}`, [{ field, message }]);
}

function checkMetadata(metadata: Record<string, unknown>, field: string): void {
  if (jsonDepth(metadata, MAX_METADATA_DEPTH) > MAX_METADATA_DEPTH) throw validationError(field, `must not nest deeper than ${MAX_METADATA_DEPTH} levels`);
  if (Object.keys(metadata).length > MAX_METADATA_KEYS) throw validationError(field, `must have at most ${MAX_METADATA_KEYS} keys`);
}

/** The columns a patch changes, or null when it changes nothing. */
function patchedColumns(current: DevicesTable, patch: PatchDeviceBody, now: number): DeviceChanges | null {
  const changes: DeviceChanges = {};
  if (patch.name !== undefined && patch.name !== current.name) changes.name = patch.name;
  if (patch.labels !== undefined) {
    const labels = mergeLabels(labelsOf(current), patch.labels);
    if (Object.keys(labels).length > MAX_LABELS) throw validationError('body/labels', `would leave more than ${MAX_LABELS} labels`);
    const text = JSON.stringify(labels);
    if (text !== current.labels) changes.labels = text;
  }
  if (patch.metadata !== undefined) {
    checkMetadata(patch.metadata, 'body/metadata');
    const metadata = applyMergePatch(parseJsonObject(current.metadata) ?? {}, patch.metadata) as Record<string, unknown>;
    checkMetadata(metadata, 'body/metadata');
    const text = JSON.stringify(metadata);
    if (text !== current.metadata) changes.metadata = text;
  }
  return Object.keys(changes).length === 0 ? null : { ...changes, updated_at: now };
}

/** Checks a decoded cursor against the sort it is used with; values reach SQL, so types matter. */
function checkCursor(values: CursorValues, sortKey: DeviceSortKey): CursorValues {
  const [value, id] = values;
  const isValueValid =
    sortKey === 'name'
      ? typeof value === 'string' && deviceNamePattern.test(value)
      : Number.isSafeInteger(value) || (sortKey === 'lastSeenAt' && value === null);
  if (!isValueValid || !ID_PATTERN.test(id)) throw appError('INVALID_CURSOR', 'query/cursor belongs to another sort order or was not made by this server');
  return values;
}

function sortValue(row: DevicesTable, sortKey: DeviceSortKey): string | number | null {
  switch (sortKey) {
    case 'name':
      return row.name;
    case 'createdAt':
      return row.created_at;
    case 'updatedAt':
      return row.updated_at;
    case 'lastSeenAt':
      return row.last_seen_at;
  }
}

/** Creates the devices service. */
export function createDevicesService({ db, log, bus }: { db: Kysely<Database>; log: Logger; bus?: Bus }) {
  const repository = createDevicesRepository(db);
  const changed = (tenantId: string, deviceId: string, change: DeviceChange) => bus?.publish('deviceChanged', { tenantId, deviceId, change, at: Date.now() });

  async function findWithStateOrThrow(tenantId: string, id: string) {
    const row = await repository.findWithState(tenantId, id);
    if (!row) throw appError('DEVICE_NOT_FOUND', `no device ${id} in your tenant`);
    return row;
  }

  return {
    async list(tenantId: string, query: DeviceListQuery): Promise<Page<Device>> {
      const limit = query.limit ?? 50;
      const sort = query.sort ?? 'name';
      const isDescending = sort.startsWith('-');
      const sortKey = (isDescending ? sort.slice(1) : sort) as DeviceSortKey;
      const requirements = parseRequirements(query.selector ?? '');
      const after = query.cursor ? checkCursor(decodeCursor(query.cursor), sortKey) : undefined;
      const rows = await repository.list({ tenantId, requirements, search: query.q, isInDrift: query.drift, sortKey, isDescending, after, limit: limit + 1 });
      return pageOf(rows, limit, (row) => [sortValue(row, sortKey), row.id], toDevice);
    },

    async get(tenantId: string, id: string): Promise<Device> {
      return toDevice(await findWithStateOrThrow(tenantId, id));
    },

    /** Registers a device; the secret is returned once and only its digest is kept. */
    async create(tenantId: string, input: CreateDeviceBody): Promise<{ device: Device; secret: string }> {
      if (input.metadata) checkMetadata(input.metadata, 'body/metadata');
      const secret = newSecret(DEVICE_SECRET_PREFIX);
      const row = newDeviceRow({ tenantId, name: input.name, labels: input.labels ?? {}, metadata: input.metadata, secretHash: hashSecret(secret), now: Date.now() });
      await mapNameConflict(input.name, () => db.transaction().execute((trx) => createDevicesRepository(trx).insert([row], labelsOf)));
      log.info({ deviceId: row.id, tenantId }, 'device created');
      changed(tenantId, row.id, 'created');
      return { device: toDevice(row), secret };
    },

    /** Applies a patch; the labels document and the label rows change in one transaction. */
    async update(tenantId: string, id: string, patch: PatchDeviceBody): Promise<Device> {
      const row = await mapNameConflict(patch.name, () =>
        db.transaction().execute(async (trx) => {
          const devices = createDevicesRepository(trx);
          const current = await devices.lockForUpdate(tenantId, id);
          if (!current) throw appError('DEVICE_NOT_FOUND', `no device ${id} in your tenant`);
          const changes = patchedColumns(current, patch, Date.now());
          if (!changes) return current;
          await devices.update(id, changes);
          const next = { ...current, ...changes };
          if (changes.labels !== undefined) await devices.replaceLabels(id, tenantId, labelsOf(next));
          return next;
        }),
      );
      changed(tenantId, id, 'updated');
      // Read again with its state: the answer shows drift as the list does.
      return toDevice((await repository.findWithState(tenantId, id)) ?? row);
    },

    /** Deletes a device; its unclaimed claim code goes too, as it would lead nowhere. */
    async remove(tenantId: string, id: string): Promise<void> {
      await db.transaction().execute(async (trx) => {
        // The code row first: claims lock it before the device, and the same order cannot deadlock.
        await createClaimsRepository(trx).deleteUnclaimedOf(tenantId, id);
        if (!(await createDevicesRepository(trx).delete(tenantId, id))) throw appError('DEVICE_NOT_FOUND', `no device ${id} in your tenant`);
      });
      log.info({ deviceId: id, tenantId }, 'device deleted');
      changed(tenantId, id, 'deleted');
    },

    /** Gives a device a new secret; the old one stops working at once. */
    async rotateSecret(tenantId: string, id: string): Promise<{ secret: string }> {
      const secret = newSecret(DEVICE_SECRET_PREFIX);
      if (!(await repository.setSecretHash(tenantId, id, hashSecret(secret), Date.now()))) {
        throw appError('DEVICE_NOT_FOUND', `no device ${id} in your tenant`);
      }
      changed(tenantId, id, 'credentials');
      return { secret };
    },

    /**
     * Checks a device's id and secret (MQTT connect, device HTTP routes). Null when they do not
     * match; the comparison takes constant time whether the device exists, has a secret, or not.
     */
    async authenticateDevice(id: string, secret: string): Promise<AuthenticatedDevice | null> {
      const row = ID_PATTERN.test(id) ? await repository.findAnyById(id) : undefined;
      const isMatch = secretMatches(secret, row?.secret_hash ?? DECOY_SECRET_HASH);
      if (!row || row.secret_hash === null || !isMatch) return null;
      return { id: row.id, tenantId: row.tenant_id, name: row.name };
    },

    /** Ids of the tenant's devices a selector chooses (bulk commands, rollouts). */
    async resolveSelector(tenantId: string, selector: string | readonly LabelRequirement[]): Promise<string[]> {
      const requirements = typeof selector === 'string' ? parseRequirements(selector) : selector;
      return repository.idsMatching(tenantId, requirements);
    },
  };
}

export type DevicesService = ReturnType<typeof createDevicesService>;
