import type { LabelRequirement } from '@flotilla/protocol';
import { sql, type Expression, type ExpressionBuilder, type Kysely, type SqlBool } from 'kysely';
import type { CursorValues } from '../store/pagination.js';
import { inDriftSql } from '../state/drift.js';
import { selectorSql } from './selector-sql.js';
import type { DeviceWithStateRow } from './devices.mapper.js';
import type { Database, DeviceLabelsTable, DevicesTable } from '../store/schema.js';

/** The sortable columns of the device list, by their API name. */
export const deviceSortColumns = {
  name: 'devices.name',
  createdAt: 'devices.created_at',
  updatedAt: 'devices.updated_at',
  lastSeenAt: 'devices.last_seen_at',
} as const;
export type DeviceSortKey = keyof typeof deviceSortColumns;

/** What the device list is narrowed and ordered by. */
export interface DeviceListFilter {
  tenantId: string;
  requirements: readonly LabelRequirement[];
  /** Case-insensitive substring of the name. */
  search?: string;
  /** Only devices in drift (true) or not in drift (false). */
  isInDrift?: boolean;
  sortKey: DeviceSortKey;
  isDescending: boolean;
  /** Only rows after this keyset position (the cursor). */
  after?: CursorValues;
  limit: number;
}

/** Columns of a device that PATCH, rotation and moves change. */
export type DeviceChanges = Partial<Pick<DevicesTable, 'tenant_id' | 'name' | 'labels' | 'metadata' | 'secret_hash' | 'updated_at'>>;

type DevicesExpressions = ExpressionBuilder<Database, 'devices'>;

/** The state columns drift is computed from, joined to device rows. */
const DRIFT_COLUMNS = ['s.effective_version', 's.applied_version', 's.applied_status', 's.applied_error'] as const;

// Rows per INSERT: keeps a 1,000-device batch with 64 labels each far below both dialects'
// limits on bound parameters (32,766 in SQLite, 65,535 in PostgreSQL).
const INSERT_CHUNK_ROWS = 500;

/**
 * Rows after a keyset position. Never-seen devices (null lastSeenAt) come last in either
 * direction, so a position among them only moves on by id, and one before them includes them all.
 */
function afterPosition(eb: DevicesExpressions, filter: DeviceListFilter, [value, id]: CursorValues): Expression<SqlBool> {
  const column = eb.ref(deviceSortColumns[filter.sortKey]) as Expression<string | number | null>;
  const beyond = filter.isDescending ? '<' : '>';
  if (value === null) return eb.and([eb(column, 'is', null), eb('devices.id', beyond, id)]);
  const later = [eb(column, beyond, value), eb.and([eb(column, '=', value), eb('devices.id', beyond, id)])];
  if (filter.sortKey === 'lastSeenAt') later.push(eb(column, 'is', null));
  return eb.or(later);
}

/** `%text%` for LIKE, with the wildcard characters of `text` taken literally. */
function containsPattern(text: string): string {
  return `%${text.toLowerCase().replace(/[\\%_]/g, (char) => `\\${char}`)}%`;
}

function labelRows(deviceId: string, tenantId: string, labels: Record<string, string>): DeviceLabelsTable[] {
  return Object.entries(labels).map(([key, value]) => ({ device_id: deviceId, tenant_id: tenantId, key, value }));
}

async function insertChunked<Table extends 'devices' | 'device_labels'>(
  db: Kysely<Database>,
  table: Table,
  rows: Table extends 'devices' ? DevicesTable[] : DeviceLabelsTable[],
): Promise<void> {
  for (let start = 0; start < rows.length; start += INSERT_CHUNK_ROWS) {
    await db.insertInto(table).values(rows.slice(start, start + INSERT_CHUNK_ROWS) as never).execute();
  }
}

/** SQL of devices and their label rows. Pass a transaction to run several calls atomically. */
export function createDevicesRepository(db: Kysely<Database>) {
  return {
    /** Inserts devices and their label rows (taken from each row's labels document). */
    async insert(rows: DevicesTable[], labelsOf: (row: DevicesTable) => Record<string, string>): Promise<void> {
      await insertChunked(db, 'devices', rows);
      await insertChunked(db, 'device_labels', rows.flatMap((row) => labelRows(row.id, row.tenant_id, labelsOf(row))));
    },

    async findById(tenantId: string, id: string): Promise<DevicesTable | undefined> {
      return db.selectFrom('devices').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
    },

    async findByName(tenantId: string, name: string): Promise<DevicesTable | undefined> {
      return db.selectFrom('devices').selectAll().where('tenant_id', '=', tenantId).where('name', '=', name).executeTakeFirst();
    },

    /** A device of any tenant: for device credentials and claim codes, which carry no tenant. */
    async findAnyById(id: string): Promise<DevicesTable | undefined> {
      return db.selectFrom('devices').selectAll().where('id', '=', id).executeTakeFirst();
    },

    /** A device with the drift columns of its state row. */
    async findWithState(tenantId: string, id: string): Promise<DeviceWithStateRow | undefined> {
      return db
        .selectFrom('devices')
        .leftJoin('device_states as s', 's.device_id', 'devices.id')
        .selectAll('devices')
        .select(DRIFT_COLUMNS)
        .where('devices.tenant_id', '=', tenantId)
        .where('devices.id', '=', id)
        .executeTakeFirst();
    },

    /** A page of devices with the drift columns of their state rows. */
    async list(filter: DeviceListFilter): Promise<DeviceWithStateRow[]> {
      const direction = filter.isDescending ? 'desc' : 'asc';
      let query = db
        .selectFrom('devices')
        .leftJoin('device_states as s', 's.device_id', 'devices.id')
        .selectAll('devices')
        .select(DRIFT_COLUMNS)
        .where('devices.tenant_id', '=', filter.tenantId);
      query = query.where(selectorSql(sql.ref('devices.id'), filter.requirements));
      if (filter.search) query = query.where(sql<SqlBool>`lower(devices.name) like ${containsPattern(filter.search)} escape '\\'`);
      if (filter.isInDrift !== undefined) query = query.where(filter.isInDrift ? inDriftSql('s') : sql<SqlBool>`not ${inDriftSql('s')}`);
      const after = filter.after;
      if (after) query = query.where((eb) => afterPosition(eb, filter, after));
      return query
        .orderBy(deviceSortColumns[filter.sortKey], (order) => (filter.isDescending ? order.desc() : order.asc()).nullsLast())
        .orderBy('devices.id', direction)
        .limit(filter.limit)
        .execute();
    },

    /** Ids and names of the tenant's devices that satisfy every requirement, in id order (the first `limit`). */
    async summariesMatching(tenantId: string, requirements: readonly LabelRequirement[], limit: number): Promise<{ id: string; name: string }[]> {
      return db
        .selectFrom('devices')
        .select(['devices.id', 'devices.name'])
        .where('devices.tenant_id', '=', tenantId)
        .where(selectorSql(sql.ref('devices.id'), requirements))
        .orderBy('devices.id')
        .limit(limit)
        .execute();
    },

    /** How many of the tenant's devices satisfy every requirement. */
    async countMatching(tenantId: string, requirements: readonly LabelRequirement[]): Promise<number> {
      const row = await db
        .selectFrom('devices')
        .select((eb) => eb.fn.countAll<string | number>().as('count'))
        .where('devices.tenant_id', '=', tenantId)
        .where(selectorSql(sql.ref('devices.id'), requirements))
        .executeTakeFirstOrThrow();
      return Number(row.count);
    },

    /** Ids of the tenant's devices that satisfy every requirement, in id order (the first `limit` when given). */
    async idsMatching(tenantId: string, requirements: readonly LabelRequirement[], limit?: number): Promise<string[]> {
      let query = db.selectFrom('devices').select('devices.id').where('devices.tenant_id', '=', tenantId);
      query = query.where(selectorSql(sql.ref('devices.id'), requirements)).orderBy('devices.id');
      if (limit !== undefined) query = query.limit(limit);
      return (await query.execute()).map((row) => row.id);
    },

    /**
     * Reads a device for a read-modify-write. The no-op UPDATE takes PostgreSQL's row lock
     * (SELECT … FOR UPDATE is not portable), so concurrent patches of one device queue up.
     */
    async lockForUpdate(tenantId: string, id: string): Promise<DevicesTable | undefined> {
      return db
        .updateTable('devices')
        .set((eb) => ({ updated_at: eb.ref('updated_at') }))
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
    },

    /** lockForUpdate for a device of any tenant: claim codes carry no tenant. */
    async lockAnyForUpdate(id: string): Promise<DevicesTable | undefined> {
      return db
        .updateTable('devices')
        .set((eb) => ({ updated_at: eb.ref('updated_at') }))
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
    },

    async update(id: string, changes: DeviceChanges): Promise<void> {
      await db.updateTable('devices').set(changes).where('id', '=', id).execute();
    },

    /** Sets a new secret digest; false when the tenant has no such device. */
    async setSecretHash(tenantId: string, id: string, secretHash: string, now: number): Promise<boolean> {
      const result = await db
        .updateTable('devices')
        .set({ secret_hash: secretHash, updated_at: now })
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    /** Replaces a device's label rows, stamping them with its (possibly new) tenant. */
    async replaceLabels(deviceId: string, tenantId: string, labels: Record<string, string>): Promise<void> {
      await db.deleteFrom('device_labels').where('device_id', '=', deviceId).execute();
      await insertChunked(db, 'device_labels', labelRows(deviceId, tenantId, labels));
    },

    /** Deletes a device (its label rows go by cascade); false when the tenant has no such device. */
    async delete(tenantId: string, id: string): Promise<boolean> {
      const result = await db.deleteFrom('devices').where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
      return Number(result.numDeletedRows) === 1;
    },

    /** Names in the tenant that start with `prefix`, to pick a free one. */
    async namesStartingWith(tenantId: string, prefix: string): Promise<string[]> {
      const pattern = `${prefix.replace(/[\\%_]/g, (char) => `\\${char}`)}%`;
      const rows = await db
        .selectFrom('devices')
        .select('name')
        .where('tenant_id', '=', tenantId)
        .where(sql<SqlBool>`name like ${pattern} escape '\\'`)
        .execute();
      return rows.map((row) => row.name);
    },
  };
}

export type DevicesRepository = ReturnType<typeof createDevicesRepository>;
