import type { ApiToken } from '@flotilla/protocol';
import { iso, isoOrNull } from '../store/json.js';
import type { ApiTokensTable } from '../store/schema.js';

/** An api_tokens row as the API shows it (never the hash). */
export function toApiToken(row: ApiTokensTable): ApiToken {
  return {
    id: row.id,
    name: row.name,
    role: row.role as ApiToken['role'],
    prefix: row.prefix,
    createdAt: iso(row.created_at),
    expiresAt: isoOrNull(row.expires_at),
    lastUsedAt: isoOrNull(row.last_used_at),
  };
}
