/**
 * The dashboard's API client against a real server: problem answers become ApiError, an expired
 * access token is renewed once (shared by concurrent requests), and a refused renewal ends the
 * session.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Session } from '@flotilla/protocol';
import { startTestServer } from '../../server/test/helpers.js';
import { ApiError, createApiClient, SESSION_ENDED, type SessionStore } from '../src/lib/api/client.js';

let server: Awaited<ReturnType<typeof startTestServer>>;
let adminSession: Session;

const ADMIN = { email: 'admin@example.com', password: 'correct horse battery' };

before(async () => {
  server = await startTestServer();
  const response = await fetch(`${server.url}/api/v1/setup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: server.setupToken, tenantName: 'Acme', ...ADMIN }),
  });
  assert.equal(response.status, 201);
  adminSession = (await response.json()) as Session;
});

after(() => server.close());

/** A client with its session in memory, counting requests by path. */
function clientWith(session: Session | null) {
  let stored = session;
  const sessions: SessionStore = { read: () => stored, write: (next) => (stored = next), clear: () => (stored = null) };
  const calls: string[] = [];
  let endedCount = 0;
  const countingFetch: typeof fetch = (input, init) => {
    calls.push(new URL(String(input)).pathname);
    return fetch(input, init);
  };
  const client = createApiClient({ sessions, baseUrl: server.url, onSessionEnded: () => endedCount++ });
  return {
    client,
    fetch: countingFetch,
    calls,
    session: () => stored,
    endedCount: () => endedCount,
  };
}

async function freshSession(): Promise<Session> {
  const response = await fetch(`${server.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(ADMIN),
  });
  assert.equal(response.status, 200);
  return (await response.json()) as Session;
}

test('a problem answer becomes an ApiError with its code, detail and fields', async () => {
  const { client, fetch } = clientWith(null);
  const error = await client
    .request(fetch, '/auth/login', { method: 'POST', body: { email: ADMIN.email }, isAnonymous: true })
    .catch((caught: unknown) => caught);
  assert.ok(error instanceof ApiError);
  assert.equal(error.status, 400);
  assert.equal(error.code, 'VALIDATION_FAILED');
  assert.ok(error.fieldMessage('password'), `expected a message for the password field, got ${JSON.stringify(error.errors)}`);
});

test('wrong credentials are reported without trying to renew a session', async () => {
  const { client, fetch, calls, endedCount } = clientWith(adminSession);
  const error = await client
    .request(fetch, '/auth/login', { method: 'POST', body: { email: ADMIN.email, password: 'not it' }, isAnonymous: true })
    .catch((caught: unknown) => caught);
  assert.ok(error instanceof ApiError);
  assert.equal(error.code, 'INVALID_CREDENTIALS');
  assert.deepEqual(calls, ['/api/v1/auth/login']);
  assert.equal(endedCount(), 0);
});

test('an expired access token is renewed once and the request retried', async () => {
  const session = await freshSession();
  const { client, fetch, calls, session: stored } = clientWith({ ...session, accessToken: 'expired.or.forged' });
  const me = await client.request<{ user: { email: string } }>(fetch, '/me');
  assert.equal(me.user.email, ADMIN.email);
  assert.deepEqual(calls, ['/api/v1/me', '/api/v1/auth/refresh', '/api/v1/me']);
  assert.notEqual(stored()?.refreshToken, session.refreshToken, 'the rotated refresh token is kept');
});

test('requests that fail together share one renewal', async () => {
  const session = await freshSession();
  const { client, fetch, calls, endedCount } = clientWith({ ...session, accessToken: 'expired.or.forged' });
  const answers = await Promise.all([client.request(fetch, '/me'), client.request(fetch, '/me'), client.request(fetch, '/me')]);
  assert.equal(answers.length, 3);
  assert.equal(calls.filter((path) => path === '/api/v1/auth/refresh').length, 1);
  assert.equal(endedCount(), 0);
});

test('a refused renewal ends the session once and forgets it', async () => {
  const session = await freshSession();
  const { client, fetch, session: stored, endedCount } = clientWith({ ...session, accessToken: 'expired', refreshToken: 'revoked' });
  const error = await client.request(fetch, '/me').catch((caught: unknown) => caught);
  assert.ok(error instanceof ApiError);
  assert.equal(error.code, SESSION_ENDED);
  assert.equal(stored(), null);
  assert.equal(endedCount(), 1);
});

test('without a session a request ends at sign-in without calling the server', async () => {
  const { client, fetch, calls, endedCount } = clientWith(null);
  const error = await client.request(fetch, '/me').catch((caught: unknown) => caught);
  assert.ok(error instanceof ApiError);
  assert.equal(error.code, SESSION_ENDED);
  assert.deepEqual(calls, []);
  assert.equal(endedCount(), 1);
});
