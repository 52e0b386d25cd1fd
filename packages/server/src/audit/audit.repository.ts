import type { Kysely } from 'kysely';
import type { AuditLogTable, Database } from '../store/schema.js';

/** Filters of the audit list. */
export interface AuditFilter {
  tenantId: string;
  action?: string;
  actorId?: string;
  targetId?: string;
  outcome?: string;
  /** Only entries older than this id (the cursor). */
  beforeId?: string;
  limit: number;
}

/** SQL of the audit log. */
export function createAuditRepository(db: Kysely<Database>) {
  return {
    async insert(entry: AuditLogTable): Promise<void> {
      await db.insertInto('audit_log').values(entry).execute();
    },

    /** Newest first; ids sort by time, so the id is the keyset. */
    async list(filter: AuditFilter): Promise<AuditLogTable[]> {
      let query = db.selectFrom('audit_log').selectAll().where('tenant_id', '=', filter.tenantId);
      if (filter.action) query = query.where('action', '=', filter.action);
      if (filter.actorId) query = query.where('actor_id', '=', filter.actorId);
      if (filter.targetId) query = query.where('target_id', '=', filter.targetId);
      if (filter.outcome) query = query.where('outcome', '=', filter.outcome);
      if (filter.beforeId) query = query.where('id', '<', filter.beforeId);
      return query.orderBy('id', 'desc').limit(filter.limit).execute();
    },
  };
}

export type AuditRepository = ReturnType<typeof createAuditRepository>;
