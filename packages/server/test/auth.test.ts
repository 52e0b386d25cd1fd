import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Session } from '@flotilla/protocol';
import { after, before, describe, test } from 'node:test';
import { createTestApp, dialects, SETUP_TOKEN, type TestApp } from './helpers.js';
import { assertProblem } from './problem-assert.js';

const ADMIN = { email: 'admin@example.com', password: 'correct horse battery' };

for (const dialect of dialects) {
  describe(`auth: setup (${dialect})`, () => {
    let t: TestApp;
    before(async () => {
      t = await createTestApp(dialect);
    });
    after(() => t.close());

    test('a wrong setup token is refused and leaves setup pending', async () => {
      const response = await t.request({
        method: 'POST',
        url: '/api/v1/setup',
        payload: { token: 'not-the-token', email: 'a@example.com', password: 'password123', tenantName: 'A' },
      });
      assertProblem(response, 401, 'SETUP_TOKEN_INVALID');
      assert.deepEqual((await t.request({ method: 'GET', url: '/api/v1/setup' })).json(), { pending: true });
    });

    test('setup goes from pending to done, and a second setup is refused even with the right token', async () => {
      const session = await t.setup(ADMIN);
      assert.equal(session.user.role, 'admin');
      assert.deepEqual((await t.request({ method: 'GET', url: '/api/v1/setup' })).json(), { pending: false });
      const again = await t.request({
        method: 'POST',
        url: '/api/v1/setup',
        payload: { token: SETUP_TOKEN, email: 'intruder@example.com', password: 'password123', tenantName: 'Evil' },
      });
      assertProblem(again, 409, 'SETUP_ALREADY_DONE');
      const intruder = await t.request({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'intruder@example.com', password: 'password123' } });
      assertProblem(intruder, 401, 'INVALID_CREDENTIALS');
    });

    test('passwords are stored as salted scrypt, never as given', async () => {
      const rows = await t.store.db.selectFrom('users').select(['email', 'password_hash']).execute();
      assert.equal(rows.length, 1);
      const stored = rows[0]!.password_hash;
      assert.match(stored, /^scrypt\$32768\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
      assert.ok(!stored.includes(ADMIN.password));
    });
  });

  describe(`auth: sessions (${dialect})`, () => {
    let t: TestApp;
    let admin: Session;
    before(async () => {
      t = await createTestApp(dialect);
      admin = await t.setup(ADMIN);
    });
    after(() => t.close());

    const login = (payload: Record<string, unknown>) => t.request({ method: 'POST', url: '/api/v1/auth/login', payload });
    const refresh = (refreshToken: string) => t.request({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refreshToken } });
    const me = (accessToken: string) => t.request({ method: 'GET', url: '/api/v1/me', token: accessToken });

    test('login answers a session; the email is matched without regard to case', async () => {
      const response = await login({ email: 'Admin@Example.COM', password: ADMIN.password });
      assert.equal(response.statusCode, 200, response.body);
      const session = response.json<Session>();
      assert.equal(session.user.email, 'admin@example.com');
      assert.equal(session.expiresIn, 15 * 60);
      assert.equal((await me(session.accessToken)).statusCode, 200);
    });

    test('a wrong password and an unknown email get the same answer', async () => {
      const wrong = await login({ email: ADMIN.email, password: 'wrong password' });
      const unknown = await login({ email: 'nobody@example.com', password: 'wrong password' });
      assertProblem(wrong, 401, 'INVALID_CREDENTIALS');
      assertProblem(unknown, 401, 'INVALID_CREDENTIALS');
      assert.equal(wrong.json().detail, unknown.json().detail);
    });

    test('GET /me says who is calling, in which tenant, and how', async () => {
      const response = await me(admin.accessToken);
      assert.equal(response.statusCode, 200);
      const body = response.json();
      assert.equal(body.user.id, admin.user.id);
      assert.equal(body.user.role, 'admin');
      assert.deepEqual(body.tenant, { id: admin.user.tenantId, name: 'Acme' });
      assert.equal(body.via, 'session');
      assert.equal(body.user.password_hash, undefined);
      assertProblem(await t.request({ method: 'GET', url: '/api/v1/me' }), 401, 'UNAUTHENTICATED');
      assertProblem(await me('not.a.jwt'), 401, 'UNAUTHENTICATED');
    });

    test('refresh rotates: the new session works and the old refresh token is refused', async () => {
      const first = (await login(ADMIN)).json<Session>();
      const rotated = await refresh(first.refreshToken);
      assert.equal(rotated.statusCode, 200, rotated.body);
      const second = rotated.json<Session>();
      assert.notEqual(second.refreshToken, first.refreshToken);
      assert.equal((await me(second.accessToken)).statusCode, 200);
      assertProblem(await refresh('flr_unknown'), 401, 'REFRESH_TOKEN_INVALID');
      // Reusing a rotated token looks like theft: every session of the user ends.
      assertProblem(await refresh(first.refreshToken), 401, 'REFRESH_TOKEN_INVALID');
      assertProblem(await refresh(second.refreshToken), 401, 'REFRESH_TOKEN_INVALID');
      assertProblem(await refresh(admin.refreshToken), 401, 'REFRESH_TOKEN_INVALID');
    });

    test('logout ends the session of its refresh token and is recorded in the tenant audit log', async () => {
      const session = (await login(ADMIN)).json<Session>();
      const logout = await t.request({ method: 'POST', url: '/api/v1/auth/logout', payload: { refreshToken: session.refreshToken } });
      assert.equal(logout.statusCode, 204);
      assertProblem(await refresh(session.refreshToken), 401, 'REFRESH_TOKEN_INVALID');
      // An unknown token answers the same, so logout tells nothing about tokens.
      const unknown = await t.request({ method: 'POST', url: '/api/v1/auth/logout', payload: { refreshToken: 'flr_unknown' } });
      assert.equal(unknown.statusCode, 204);

      const reader = (await login(ADMIN)).json<Session>();
      const audit = await t.request({ method: 'GET', url: '/api/v1/audit?action=auth.logout', token: reader.accessToken });
      assert.equal(audit.statusCode, 200, audit.body);
      const entries = audit.json<{ items: { actor: { type: string; id: string | null }; outcome: string }[] }>().items;
      assert.equal(entries.length, 1, 'only the logout with a known token belongs to the tenant');
      assert.deepEqual(entries[0]!.actor, { type: 'user', id: admin.user.id });
      assert.equal(entries[0]!.outcome, 'success');
    });
  });

  describe(`auth: rate limit and expiry (${dialect})`, () => {
    test('login is limited per client address and per account, with a problem answer', async () => {
      const t = await createTestApp(dialect, { loginRateLimitPerMinute: '3' });
      try {
        await t.setup(ADMIN);
        // Per address: different accounts from one address.
        for (let attempt = 1; attempt <= 3; attempt++) {
          const response = await t.request({
            method: 'POST',
            url: '/api/v1/auth/login',
            remoteAddress: '10.0.0.1',
            payload: { email: `guess-${attempt}@example.com`, password: 'wrong password' },
          });
          assertProblem(response, 401, 'INVALID_CREDENTIALS');
        }
        const limited = await t.request({ method: 'POST', url: '/api/v1/auth/login', remoteAddress: '10.0.0.1', payload: ADMIN });
        assertProblem(limited, 429, 'RATE_LIMITED');
        assert.ok(Number(limited.headers['retry-after']) > 0, 'retry-after says when to try again');

        // Per account: one account from different addresses; the right password does not help.
        for (let attempt = 1; attempt <= 3; attempt++) {
          const response = await t.request({
            method: 'POST',
            url: '/api/v1/auth/login',
            remoteAddress: `10.0.1.${attempt}`,
            payload: { email: ADMIN.email, password: 'wrong password' },
          });
          assertProblem(response, 401, 'INVALID_CREDENTIALS');
        }
        const accountLimited = await t.request({ method: 'POST', url: '/api/v1/auth/login', remoteAddress: '10.0.1.9', payload: { ...ADMIN, email: 'ADMIN@example.com' } });
        assertProblem(accountLimited, 429, 'RATE_LIMITED');

        // Another account from a fresh address is not affected.
        const other = await t.request({ method: 'POST', url: '/api/v1/auth/login', remoteAddress: '10.0.2.1', payload: { email: 'someone@example.com', password: 'x' } });
        assertProblem(other, 401, 'INVALID_CREDENTIALS');
      } finally {
        await t.close();
      }
    });

    test('an expired access token is refused, and refresh gets a working one', async () => {
      // Long enough that a loaded machine still uses the token before it expires.
      const t = await createTestApp(dialect, { accessTokenTtlMs: '5s' });
      try {
        const session = await t.setup(ADMIN);
        assert.equal(session.expiresIn, 5);
        assert.equal((await t.request({ method: 'GET', url: '/api/v1/me', token: session.accessToken })).statusCode, 200);
        // The expiry is in whole seconds, so wait past the next second boundary.
        await sleep(6100);
        assertProblem(await t.request({ method: 'GET', url: '/api/v1/me', token: session.accessToken }), 401, 'UNAUTHENTICATED');
        const renewed = await t.request({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refreshToken: session.refreshToken } });
        assert.equal(renewed.statusCode, 200, renewed.body);
        assert.equal((await t.request({ method: 'GET', url: '/api/v1/me', token: renewed.json<Session>().accessToken })).statusCode, 200);
      } finally {
        await t.close();
      }
    });
  });
}
