import type { CommandStatus } from '@flotilla/protocol';
import type { Kysely, Updateable } from 'kysely';
import type { CommandsTable, Database } from '../store/schema.js';

/** A command's columns as written, before the database numbers it. */
export type NewCommandRow = Omit<CommandsTable, 'seq'>;

/** A commands row as read. */
export type CommandRow = NewCommandRow & { seq: number };

/** A commands row with its device's current name (null once the device left the tenant). */
export type NamedCommandRow = CommandRow & { device_name: string | null };

/** What a command list is narrowed by; `beforeSeq` is the cursor (lists run newest first). */
export interface CommandListFilter {
  tenantId: string;
  deviceId?: string;
  batchId?: string;
  status?: CommandStatus;
  name?: string;
  beforeSeq?: number;
  limit: number;
}

/** Columns a status change writes. */
export type CommandChanges = Updateable<CommandsTable>;

// Rows per INSERT: a bulk request of 1,000 commands stays far below both dialects' limits on
// bound parameters (18 columns × 200 rows).
const INSERT_CHUNK_ROWS = 200;

/** SQL of commands. Status changes are conditional UPDATEs, so concurrent writers cannot undo each other. */
export function createCommandsRepository(db: Kysely<Database>) {
  // The tenant is part of the join: a device claimed into another tenant keeps its old commands,
  // and their tenant must not learn the name its new owner gave it.
  const withDeviceName = () =>
    db
      .selectFrom('commands')
      .leftJoin('devices', (join) => join.onRef('devices.id', '=', 'commands.device_id').onRef('devices.tenant_id', '=', 'commands.tenant_id'))
      .selectAll('commands')
      .select('devices.name as device_name');

  return {
    /** Inserts commands in one transaction; they get `seq` in the order given. */
    async insert(rows: NewCommandRow[]): Promise<void> {
      await db.transaction().execute(async (trx) => {
        for (let start = 0; start < rows.length; start += INSERT_CHUNK_ROWS) {
          await trx.insertInto('commands').values(rows.slice(start, start + INSERT_CHUNK_ROWS)).execute();
        }
      });
    },

    async findById(tenantId: string, id: string): Promise<NamedCommandRow | undefined> {
      return withDeviceName().where('commands.tenant_id', '=', tenantId).where('commands.id', '=', id).executeTakeFirst();
    },

    /** A command of one device, found by the device itself (which knows no tenant). */
    async findOfDevice(deviceId: string, id: string): Promise<CommandRow | undefined> {
      return db.selectFrom('commands').selectAll().where('device_id', '=', deviceId).where('id', '=', id).executeTakeFirst();
    },

    async list(filter: CommandListFilter): Promise<NamedCommandRow[]> {
      let query = withDeviceName().where('commands.tenant_id', '=', filter.tenantId);
      if (filter.deviceId !== undefined) query = query.where('commands.device_id', '=', filter.deviceId);
      if (filter.batchId !== undefined) query = query.where('commands.batch_id', '=', filter.batchId);
      if (filter.status !== undefined) query = query.where('commands.status', '=', filter.status);
      if (filter.name !== undefined) query = query.where('commands.name', '=', filter.name);
      if (filter.beforeSeq !== undefined) query = query.where('commands.seq', '<', filter.beforeSeq);
      return query.orderBy('commands.seq', 'desc').limit(filter.limit).execute();
    },

    /** A device's unexpired commands in these statuses, oldest first, after `afterSeq`. */
    async pending(deviceId: string, statuses: readonly CommandStatus[], now: number, limit: number, afterSeq = 0): Promise<CommandRow[]> {
      return db
        .selectFrom('commands')
        .selectAll()
        .where('device_id', '=', deviceId)
        .where('status', 'in', statuses)
        .where('seq', '>', afterSeq)
        .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
        .orderBy('seq')
        .limit(limit)
        .execute();
    },

    /** Applies changes to one command if it is still in one of `from`; the changed row, or undefined. */
    async transition(id: string, from: readonly CommandStatus[], changes: CommandChanges): Promise<CommandRow | undefined> {
      return db.updateTable('commands').set(changes).where('id', '=', id).where('status', 'in', from).returningAll().executeTakeFirst();
    },

    /**
     * Applies changes to at most `limit` commands in `from` whose `column` is at or before `now`
     * (the sweeper). The status test is repeated outside the subquery, so on PostgreSQL a row
     * another instance changed meanwhile is re-checked and skipped.
     */
    async transitionDue(column: 'expires_at' | 'timeout_at', from: readonly CommandStatus[], now: number, limit: number, changes: CommandChanges): Promise<CommandRow[]> {
      const due = db.selectFrom('commands').select('id').where('status', 'in', from).where(column, '<=', now).limit(limit);
      return db.updateTable('commands').set(changes).where('id', 'in', due).where('status', 'in', from).returningAll().execute();
    },
  };
}

export type CommandsRepository = ReturnType<typeof createCommandsRepository>;
