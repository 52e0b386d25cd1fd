import type { AuditEntry, Page } from '@flotilla/protocol';
import type { Logger } from '../log.js';
import { newId } from '../store/ids.js';
import { iso, parseJsonObject } from '../store/json.js';
import { decodeCursor, pageOf } from '../store/pagination.js';
import type { AuditLogTable } from '../store/schema.js';
import type { AuditRepository } from './audit.repository.js';

/** One action to record. */
export interface AuditRecord {
  tenantId: string | null;
  actorType: string;
  actorId: string | null;
  action: string;
  targetType: string | null;
  targetId: string | null;
  outcome: 'success' | 'failure';
  status: number;
  ip: string | null;
  detail: Record<string, unknown> | null;
}

/** Query of the audit list. */
export interface AuditQuery {
  action?: string;
  actorId?: string;
  targetId?: string;
  outcome?: 'success' | 'failure';
  limit?: number;
  cursor?: string;
}

/** The audit log: every mutating action, who did it, to what, and how it ended. */
export function createAuditService({ repository, log }: { repository: AuditRepository; log: Logger }) {
  return {
    async record(entry: AuditRecord): Promise<void> {
      const row: AuditLogTable = {
        id: newId('aud'),
        tenant_id: entry.tenantId,
        at: Date.now(),
        actor_type: entry.actorType,
        actor_id: entry.actorId,
        action: entry.action,
        target_type: entry.targetType,
        target_id: entry.targetId,
        outcome: entry.outcome,
        status: entry.status,
        ip: entry.ip,
        detail: entry.detail ? JSON.stringify(entry.detail) : null,
      };
      try {
        await repository.insert(row);
      } catch (error) {
        // An audit write must not turn a done action into an error answer; it is logged instead.
        log.error({ err: error, action: entry.action }, 'audit write failed');
      }
    },

    async list(tenantId: string, query: AuditQuery): Promise<Page<AuditEntry & { detail: Record<string, unknown> | null }>> {
      const limit = query.limit ?? 50;
      const beforeId = query.cursor ? decodeCursor(query.cursor)[1] : undefined;
      const rows = await repository.list({ tenantId, ...query, beforeId, limit: limit + 1 });
      return pageOf(rows, limit, (row) => [null, row.id], toEntry);
    },
  };
}

function toEntry(row: AuditLogTable) {
  return {
    id: row.id,
    at: iso(row.at),
    actor: { type: row.actor_type, id: row.actor_id },
    action: row.action,
    target: { type: row.target_type, id: row.target_id },
    outcome: row.outcome === 'success' ? ('success' as const) : ('failure' as const),
    status: row.status,
    ip: row.ip,
    detail: parseJsonObject(row.detail),
  };
}

export type AuditService = ReturnType<typeof createAuditService>;
