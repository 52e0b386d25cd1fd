/** API tokens (`flt_…`) for scripts and integrations (admin only). */
import type { ApiToken, Page, Role } from '@flotilla/protocol';
import { api } from './api.js';
import type { Fetch } from './client.js';

/** A page of API tokens. */
export function listApiTokens(fetch: Fetch, query: { cursor?: string; limit?: number } = {}): Promise<Page<ApiToken>> {
  return api.request<Page<ApiToken>>(fetch, '/tokens', { query });
}

/** Creates a token; the answer holds the token itself, which is never shown again. */
export function createApiToken(
  fetch: Fetch,
  input: { name: string; role: Role; expiresInSeconds?: number },
): Promise<ApiToken & { token: string }> {
  return api.request(fetch, '/tokens', { method: 'POST', body: input });
}

/** Revokes a token; requests made with it are refused from now on. */
export function revokeApiToken(fetch: Fetch, id: string): Promise<void> {
  return api.request<void>(fetch, `/tokens/${encodeURIComponent(id)}`, { method: 'DELETE' });
}
