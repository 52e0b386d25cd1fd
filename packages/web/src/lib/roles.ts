/** Roles as the dashboard shows and checks them. */
import { ROLES, roleAtLeast, type Role } from '@flotilla/protocol';

export { ROLES, roleAtLeast, type Role };

/** What each role may do, for role pickers. */
export const ROLE_DESCRIPTIONS: Record<Role, string> = {
  viewer: 'Reads devices and settings',
  operator: 'Also creates, labels and deletes devices and enrollment tokens',
  admin: 'Also manages users, API tokens and reads the audit log',
};
