import type { Role } from '@flotilla/protocol';

/** Who is calling the API: a signed-in user (session) or an API token acting for a user. */
export interface Principal {
  kind: 'session' | 'token';
  userId: string;
  tenantId: string;
  role: Role;
  /** The API token's id when kind is 'token'. */
  tokenId: string | null;
}

/** Who may call a route: nobody in particular, a device with its own credentials, or a role. */
export type Access = 'public' | 'device' | Role;
