/** Enrollment tokens (`fle_…`) that let devices register themselves (operator and up). */
import type { EnrollmentToken, Labels, Page } from '@flotilla/protocol';
import { api } from './api.js';
import type { Fetch } from './client.js';

/** What a new enrollment token is made of; devices that enroll with it get its labels. */
export interface EnrollmentTokenInput {
  name?: string;
  labels?: Labels;
  expiresInSeconds?: number;
  maxUses?: number;
}

/** A page of enrollment tokens, revoked ones included. */
export function listEnrollmentTokens(fetch: Fetch, query: { cursor?: string; limit?: number } = {}): Promise<Page<EnrollmentToken>> {
  return api.request<Page<EnrollmentToken>>(fetch, '/enrollment-tokens', { query });
}

/** Creates a token; the answer holds the token itself, which is never shown again. */
export function createEnrollmentToken(fetch: Fetch, input: EnrollmentTokenInput): Promise<EnrollmentToken & { token: string }> {
  return api.request(fetch, '/enrollment-tokens', { method: 'POST', body: input });
}

/** Revokes a token; devices can no longer enroll with it. */
export function revokeEnrollmentToken(fetch: Fetch, id: string): Promise<void> {
  return api.request<void>(fetch, `/enrollment-tokens/${encodeURIComponent(id)}`, { method: 'DELETE' });
}
