/** First-run setup, signing in and out, and who the signed-in user is. */
import type { Me, Session } from '@flotilla/protocol';
import { api, sessions } from './api.js';
import type { Fetch } from './client.js';

/** What first-run setup asks for. */
export interface SetupInput {
  token: string;
  tenantName: string;
  email: string;
  name?: string;
  password: string;
}

/** True while no user exists and the setup page should be shown. */
export async function isSetupPending(fetch: Fetch): Promise<boolean> {
  const status = await api.request<{ pending: boolean }>(fetch, '/setup', { isAnonymous: true });
  return status.pending;
}

/** Creates the first tenant and admin, and signs in as that admin. */
export async function completeSetup(fetch: Fetch, input: SetupInput): Promise<Session> {
  const session = await api.request<Session>(fetch, '/setup', { method: 'POST', body: input, isAnonymous: true });
  sessions.write(session);
  return session;
}

/** Signs in with email and password and keeps the session. */
export async function login(fetch: Fetch, email: string, password: string): Promise<Session> {
  const session = await api.request<Session>(fetch, '/auth/login', { method: 'POST', body: { email, password }, isAnonymous: true });
  sessions.write(session);
  return session;
}

/** Ends the session on the server (best effort) and forgets it here. */
export async function logout(fetch: Fetch): Promise<void> {
  const session = sessions.read();
  sessions.clear();
  if (!session) return;
  await api
    .request<void>(fetch, '/auth/logout', { method: 'POST', body: { refreshToken: session.refreshToken }, isAnonymous: true })
    .catch(() => undefined); // the local session is gone either way; an unreachable server must not trap the user
}

/** True when a session is stored (it may still turn out to have expired). */
export function hasSession(): boolean {
  return sessions.read() !== null;
}

/** The signed-in user and tenant. */
export function getMe(fetch: Fetch): Promise<Me> {
  return api.request<Me>(fetch, '/me');
}
