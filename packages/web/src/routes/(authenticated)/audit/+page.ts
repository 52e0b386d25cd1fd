import { listAuditEntries, type AuditQuery } from '$lib/api/audit.js';
import { ApiError } from '$lib/api/client.js';
import { roleAtLeast } from '$lib/roles.js';
import type { PageLoad } from './$types';

/** Entries per page of the log. */
const AUDIT_PAGE_SIZE = 50;

export const load: PageLoad = async ({ fetch, parent, url }) => {
  const query = {
    action: url.searchParams.get('action') ?? '',
    outcome: (url.searchParams.get('outcome') ?? '') as NonNullable<AuditQuery['outcome']>,
  };
  const { me } = await parent();
  if (!roleAtLeast(me.user.role, 'admin')) return { query, page: null, queryError: null };
  try {
    return { query, page: await listAuditEntries(fetch, { ...query, limit: AUDIT_PAGE_SIZE }), queryError: null };
  } catch (error) {
    if (error instanceof ApiError && error.status === 400) return { query, page: null, queryError: error };
    throw error;
  }
};
