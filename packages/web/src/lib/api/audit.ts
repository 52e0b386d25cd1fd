/** The audit log (admin only). */
import type { AuditEntry, Page } from '@flotilla/protocol';
import { api } from './api.js';
import type { Fetch } from './client.js';

/** Filters and paging of the audit log. */
export interface AuditQuery {
  action?: string;
  actorId?: string;
  targetId?: string;
  outcome?: 'success' | 'failure' | '';
  cursor?: string;
  limit?: number;
}

/** A page of audit entries, newest first. */
export function listAuditEntries(fetch: Fetch, query: AuditQuery = {}): Promise<Page<AuditEntry>> {
  return api.request<Page<AuditEntry>>(fetch, '/audit', { query: { ...query } });
}
