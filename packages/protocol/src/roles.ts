/** Roles within a tenant, from least to most privileged. */
export const ROLES = ['viewer', 'operator', 'admin'] as const;

/** A user's or API token's role within its tenant. */
export type Role = (typeof ROLES)[number];

/** True when `role` grants at least what `required` grants. */
export function roleAtLeast(role: Role, required: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(required);
}
