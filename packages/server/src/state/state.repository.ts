import type { LabelRequirement } from '@flotilla/protocol';
import { sql, type Kysely } from 'kysely';
import { selectorSql } from '../devices/selector-sql.js';
import { inDriftSql } from './drift.js';
import type { Database, DeviceStateRevisionsTable, DeviceStatesTable } from '../store/schema.js';

/** A device as state needs it: its id, name and labels document. */
export interface StateDevice {
  id: string;
  tenant_id: string;
  name: string;
  labels: string;
}

/** A device state row joined with its device, for the drift list. */
export type DriftRow = Pick<DeviceStatesTable, 'device_id' | 'effective_version' | 'applied_version' | 'applied_status' | 'applied_error'> & { name: string };

/** The state row of a device that has none yet: version 0 of an empty document. */
function emptyStateRow(deviceId: string): DeviceStatesTable {
  return {
    device_id: deviceId,
    layer: '{}',
    layer_schema: null,
    layer_revision: 0,
    effective: '{}',
    effective_hash: '',
    effective_version: 0,
    reported: '{}',
    reported_version: 0,
    reported_at: null,
    applied_version: null,
    applied_status: null,
    applied_error: null,
    rejected_count: 0,
    rejected_at: null,
    rejected_reason: null,
  };
}

/** SQL of device states and layer revisions. Pass a transaction to run several calls atomically. */
export function createStateRepository(db: Kysely<Database>) {
  const ensureRow = async (deviceId: string) => {
    await db.insertInto('device_states').values(emptyStateRow(deviceId)).onConflict((conflict) => conflict.column('device_id').doNothing()).execute();
  };

  return {
    async findDevice(tenantId: string, id: string): Promise<StateDevice | undefined> {
      return db.selectFrom('devices').select(['id', 'tenant_id', 'name', 'labels']).where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
    },

    /** A device of any tenant: device credentials and bus events carry the id only. */
    async findAnyDevice(id: string): Promise<StateDevice | undefined> {
      return db.selectFrom('devices').select(['id', 'tenant_id', 'name', 'labels']).where('id', '=', id).executeTakeFirst();
    },

    /** The tenant's devices a selector chooses, in id order. */
    async devicesMatching(tenantId: string, requirements: readonly LabelRequirement[]): Promise<StateDevice[]> {
      return db
        .selectFrom('devices')
        .select(['devices.id', 'devices.tenant_id', 'devices.name', 'devices.labels'])
        .where('devices.tenant_id', '=', tenantId)
        .where(selectorSql(sql.ref('devices.id'), requirements))
        .orderBy('devices.id')
        .execute();
    },

    async find(deviceId: string): Promise<DeviceStatesTable | undefined> {
      return db.selectFrom('device_states').selectAll().where('device_id', '=', deviceId).executeTakeFirst();
    },

    /**
     * Reads a device's state row for a read-modify-write, making it first if need be. The no-op
     * UPDATE takes PostgreSQL's row lock, so writers of one device queue up.
     */
    async lock(deviceId: string): Promise<DeviceStatesTable> {
      await ensureRow(deviceId);
      return db
        .updateTable('device_states')
        .set((eb) => ({ effective_version: eb.ref('effective_version') }))
        .where('device_id', '=', deviceId)
        .returningAll()
        .executeTakeFirstOrThrow();
    },

    async update(deviceId: string, changes: Partial<Omit<DeviceStatesTable, 'device_id'>>): Promise<void> {
      await db.updateTable('device_states').set(changes).where('device_id', '=', deviceId).execute();
    },

    /** Sets the registry's copy of the device's inventory (JSON text, or null to clear it). */
    async setInventory(deviceId: string, inventory: string | null): Promise<void> {
      await db.updateTable('devices').set({ inventory }).where('id', '=', deviceId).execute();
    },

    /** Forgets a device's layer and its revisions (it moved to another tenant). */
    async resetLayer(deviceId: string): Promise<void> {
      await db.deleteFrom('device_state_revisions').where('device_id', '=', deviceId).execute();
      await db.updateTable('device_states').set({ layer: '{}', layer_schema: null, layer_revision: 0, reported: '{}', applied_version: null, applied_status: null, applied_error: null }).where('device_id', '=', deviceId).execute();
    },

    /** Counts a refused report on the device. */
    async countRejection(deviceId: string, reason: string, at: number): Promise<void> {
      await ensureRow(deviceId);
      await db
        .updateTable('device_states')
        .set((eb) => ({ rejected_count: eb('rejected_count', '+', 1), rejected_at: at, rejected_reason: reason }))
        .where('device_id', '=', deviceId)
        .execute();
    },

    async insertRevision(row: DeviceStateRevisionsTable): Promise<void> {
      await db.insertInto('device_state_revisions').values(row).execute();
    },

    /** Revisions newest first, below `beforeRevision`. */
    async revisions(deviceId: string, beforeRevision: number | undefined, limit: number): Promise<DeviceStateRevisionsTable[]> {
      let query = db.selectFrom('device_state_revisions').selectAll().where('device_id', '=', deviceId);
      if (beforeRevision !== undefined) query = query.where('revision', '<', beforeRevision);
      return query.orderBy('revision', 'desc').limit(limit).execute();
    },

    async revision(deviceId: string, revision: number): Promise<DeviceStateRevisionsTable | undefined> {
      return db.selectFrom('device_state_revisions').selectAll().where('device_id', '=', deviceId).where('revision', '=', revision).executeTakeFirst();
    },

    /**
     * A page of the tenant's devices in drift, by id: a desired version they have not applied,
     * or a failed apply.
     */
    async drift(tenantId: string, requirements: readonly LabelRequirement[], afterId: string | undefined, limit: number): Promise<DriftRow[]> {
      let query = db
        .selectFrom('device_states as s')
        .innerJoin('devices', 'devices.id', 's.device_id')
        .select(['s.device_id', 'devices.name', 's.effective_version', 's.applied_version', 's.applied_status', 's.applied_error'])
        .where('devices.tenant_id', '=', tenantId)
        .where(selectorSql(sql.ref('devices.id'), requirements))
        .where(inDriftSql('s'));
      if (afterId !== undefined) query = query.where('s.device_id', '>', afterId);
      return query.orderBy('s.device_id').limit(limit).execute();
    },

    /** The name and email of a user, for revision authors. */
    async userName(userId: string): Promise<{ name: string; email: string } | undefined> {
      return db.selectFrom('users').select(['name', 'email']).where('id', '=', userId).executeTakeFirst();
    },
  };
}

export type StateRepository = ReturnType<typeof createStateRepository>;
