import type { Role, User } from '@flotilla/protocol';
import { iso } from '../store/json.js';
import type { UsersTable } from '../store/schema.js';

/** A users row as the API shows it (never the password hash). */
export function toUser(row: UsersTable): User {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    role: row.role as Role,
    tenantId: row.tenant_id,
    disabled: row.disabled === 1,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}
