/** Users of the tenant (admin only). */
import type { Page, Role, User } from '@flotilla/protocol';
import { api } from './api.js';
import type { Fetch } from './client.js';

/** A page of users. */
export function listUsers(fetch: Fetch, query: { cursor?: string; limit?: number } = {}): Promise<Page<User>> {
  return api.request<Page<User>>(fetch, '/users', { query });
}

/** Creates a user who can sign in at once. */
export function createUser(fetch: Fetch, input: { email: string; name?: string; password: string; role: Role }): Promise<User> {
  return api.request<User>(fetch, '/users', { method: 'POST', body: input });
}

/** Changes a user's name, role, password or whether they may sign in. */
export function updateUser(
  fetch: Fetch,
  id: string,
  patch: { name?: string; role?: Role; password?: string; disabled?: boolean },
): Promise<User> {
  return api.request<User>(fetch, `/users/${encodeURIComponent(id)}`, { method: 'PATCH', body: patch });
}

/** Removes a user. */
export function deleteUser(fetch: Fetch, id: string): Promise<void> {
  return api.request<void>(fetch, `/users/${encodeURIComponent(id)}`, { method: 'DELETE' });
}
