import assert from 'node:assert/strict';
import type { ApiToken, AuditEntry, Page, Session, User } from '@flotilla/protocol';
import { after, before, describe, test } from 'node:test';
import { createSecondTenant, createTestApp, dialects, type TestApp } from './helpers.js';
import { assertProblem } from './problem-assert.js';

type Entry = AuditEntry & { detail: Record<string, unknown> | null };
const PASSWORD = 'a secret nobody logs';

for (const dialect of dialects) {
  describe(`audit trail of users, tokens and sign-in (${dialect})`, () => {
    let t: TestApp;
    let admin: Session;
    let user: User;
    let token: ApiToken & { token: string };
    let userByToken: User;
    before(async () => {
      t = await createTestApp(dialect);
      admin = await t.setup();
      const as = (bearer: string) => (method: 'POST' | 'PATCH' | 'DELETE', url: string, payload?: Record<string, unknown>) =>
        t.request({ method, url: `/api/v1${url}`, token: bearer, ...(payload ? { payload } : {}) });
      const byAdmin = as(admin.accessToken);
      user = (await byAdmin('POST', '/users', { email: 'audited@example.com', password: PASSWORD, role: 'viewer' })).json<User>();
      await byAdmin('POST', '/users', { email: 'AUDITED@example.com', password: PASSWORD, role: 'viewer' });
      await byAdmin('PATCH', `/users/${user.id}`, { role: 'operator', password: `${PASSWORD} too` });
      await byAdmin('PATCH', `/users/${admin.user.id}`, { disabled: true });
      await byAdmin('DELETE', `/users/${user.id}`);
      token = (await byAdmin('POST', '/tokens', { name: 'script', role: 'admin' })).json();
      userByToken = (await as(token.token)('POST', '/users', { email: 'by-token@example.com', password: PASSWORD, role: 'viewer' })).json<User>();
      await byAdmin('DELETE', `/tokens/${token.id}`);
      await t.request({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'admin@example.com', password: 'correct horse battery' } });
    });
    after(() => t.close());

    const readAudit = async (session: Session, query = '') => {
      const response = await t.request({ method: 'GET', url: `/api/v1/audit?limit=500${query}`, token: session.accessToken });
      assert.equal(response.statusCode, 200, response.body);
      return response.json<Page<Entry>>();
    };
    const only = (entries: Entry[], action: string, outcome: 'success' | 'failure', actorId = admin.user.id) => {
      const found = entries.filter((entry) => entry.action === action && entry.outcome === outcome && entry.actor.id === actorId);
      assert.equal(found.length, 1, `one ${outcome} of ${action} in ${JSON.stringify(entries.map((entry) => entry.action))}`);
      return found[0]!;
    };

    test('each action is listed with its actor, target and outcome', async () => {
      const { items } = await readAudit(admin);
      const adminActor = { type: 'user', id: admin.user.id };

      const created = only(items, 'user.create', 'success');
      assert.deepEqual(created.actor, adminActor);
      assert.deepEqual(created.target, { type: 'user', id: user.id });
      assert.equal(created.status, 201);
      assert.deepEqual(created.detail, { email: 'audited@example.com', role: 'viewer' });

      const duplicate = only(items, 'user.create', 'failure');
      assert.equal(duplicate.status, 409);

      const updated = only(items, 'user.update', 'success');
      assert.deepEqual(updated.target, { type: 'user', id: user.id });
      assert.deepEqual(updated.detail, { fields: ['role', 'password'], role: 'operator' });

      const lastAdmin = only(items, 'user.update', 'failure');
      assert.deepEqual(lastAdmin.target, { type: 'user', id: admin.user.id });
      assert.equal(lastAdmin.status, 409);
      assert.deepEqual(lastAdmin.detail, { fields: ['disabled'], disabled: true });

      assert.deepEqual(only(items, 'user.delete', 'success').target, { type: 'user', id: user.id });

      const tokenCreated = only(items, 'api_token.create', 'success');
      assert.deepEqual(tokenCreated.target, { type: 'api_token', id: token.id });
      assert.deepEqual(tokenCreated.detail, { name: 'script', role: 'admin' });
      assert.deepEqual(only(items, 'api_token.revoke', 'success').target, { type: 'api_token', id: token.id });

      // Done with a token, the actor is the token.
      const byToken = only(items, 'user.create', 'success', token.id);
      assert.deepEqual(byToken.actor, { type: 'token', id: token.id });
      assert.deepEqual(byToken.target, { type: 'user', id: userByToken.id });

      const login = only(items, 'auth.login', 'success');
      assert.deepEqual(login.target, { type: 'user', id: admin.user.id });
    });

    test('no password reaches the audit log', async () => {
      const response = await t.request({ method: 'GET', url: '/api/v1/audit?limit=500', token: admin.accessToken });
      assert.ok(!response.body.includes(PASSWORD));
      assert.ok(!response.body.includes(token.token));
    });

    test("a failed sign-in is in the log of the account's tenant, without the password", async () => {
      const other = await createSecondTenant(t, 'failed-signin-admin@example.org');
      await t.request({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'failed-signin-admin@example.org', password: 'not it at all' } });
      const theirs = await readAudit(other, '&action=auth.login&outcome=failure');
      assert.equal(theirs.items.length, 1);
      assert.equal(theirs.items[0]?.actor.id, other.user.id);
      assert.equal(theirs.items[0]?.status, 401);
      assert.ok(!JSON.stringify(theirs.items).includes('not it at all'));
    });

    test('filters narrow the list', async () => {
      const failures = await readAudit(admin, '&outcome=failure');
      assert.ok(failures.items.length >= 2);
      assert.ok(failures.items.every((entry) => entry.outcome === 'failure'));
      const aboutUser = await readAudit(admin, `&targetId=${user.id}`);
      assert.deepEqual(aboutUser.items.map((entry) => entry.action).sort(), ['user.create', 'user.delete', 'user.update']);
    });

    test('only admins read it, and each tenant sees only its own entries', async () => {
      const viewer = await t.userWithRole(admin, 'viewer');
      assertProblem(await t.request({ method: 'GET', url: '/api/v1/audit', token: viewer.accessToken }), 403, 'FORBIDDEN');
      const operator = await t.userWithRole(admin, 'operator');
      assertProblem(await t.request({ method: 'GET', url: '/api/v1/audit', token: operator.accessToken }), 403, 'FORBIDDEN');

      const other = await createSecondTenant(t);
      await t.request({ method: 'POST', url: '/api/v1/tokens', token: other.accessToken, payload: { name: 'theirs', role: 'viewer' } });
      const theirs = await readAudit(other);
      assert.ok(theirs.items.some((entry) => entry.action === 'api_token.create'));
      assert.ok(theirs.items.every((entry) => entry.actor.id !== admin.user.id && entry.target.id !== user.id));
      const ours = await readAudit(admin);
      assert.ok(!ours.items.some((entry) => entry.actor.id === other.user.id));
    });
  });
}
