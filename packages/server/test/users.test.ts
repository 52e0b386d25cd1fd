import assert from 'node:assert/strict';
import type { Page, Session, User } from '@flotilla/protocol';
import { after, before, describe, test } from 'node:test';
import { createSecondTenant, createTestApp, dialects, type TestApp } from './helpers.js';
import { assertFieldRefused, assertProblem } from './problem-assert.js';

const PASSWORD = 'a long enough password';

for (const dialect of dialects) {
  describe(`users (${dialect})`, () => {
    let t: TestApp;
    let admin: Session;
    let counter = 0;
    before(async () => {
      t = await createTestApp(dialect);
      admin = await t.setup();
    });
    after(() => t.close());

    const users = (options: { method?: 'GET' | 'POST' | 'PATCH' | 'DELETE'; path?: string; token?: string; payload?: unknown }) =>
      t.request({
        method: options.method ?? 'GET',
        url: `/api/v1/users${options.path ?? ''}`,
        token: options.token ?? admin.accessToken,
        ...(options.payload !== undefined ? { payload: options.payload as Record<string, unknown> } : {}),
      });
    const login = (email: string, password = PASSWORD) => t.request({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password } });
    const newEmail = () => `person-${++counter}@example.com`;
    async function createUser(body: Record<string, unknown> = {}, token = admin.accessToken): Promise<User> {
      const response = await users({ method: 'POST', token, payload: { email: newEmail(), password: PASSWORD, role: 'viewer', ...body } });
      assert.equal(response.statusCode, 201, response.body);
      return response.json<User>();
    }

    test('roles: viewers and operators may read /me but not /users; admins manage users', async () => {
      const viewer = await t.userWithRole(admin, 'viewer');
      const operator = await t.userWithRole(admin, 'operator');
      for (const session of [viewer, operator]) {
        assert.equal((await t.request({ method: 'GET', url: '/api/v1/me', token: session.accessToken })).statusCode, 200);
        assertProblem(await users({ token: session.accessToken }), 403, 'FORBIDDEN');
        assertProblem(await users({ path: `/${admin.user.id}`, token: session.accessToken }), 403, 'FORBIDDEN');
        assertProblem(await users({ method: 'POST', token: session.accessToken, payload: { email: newEmail(), password: PASSWORD, role: 'admin' } }), 403, 'FORBIDDEN');
        assertProblem(await users({ method: 'PATCH', path: `/${session.user.id}`, token: session.accessToken, payload: { role: 'admin' } }), 403, 'FORBIDDEN');
        assertProblem(await users({ method: 'DELETE', path: `/${admin.user.id}`, token: session.accessToken }), 403, 'FORBIDDEN');
      }
      assert.equal((await users({})).statusCode, 200);
      assertProblem(await t.request({ method: 'GET', url: '/api/v1/users' }), 401, 'UNAUTHENTICATED');
      const viewerNow = (await users({ path: `/${viewer.user.id}` })).json<User>();
      assert.equal(viewerNow.role, 'viewer', 'the refused PATCH changed nothing');
    });

    test('an admin creates, reads, changes and deletes a user', async () => {
      const created = await users({ method: 'POST', payload: { email: 'New.Person@Example.COM', password: PASSWORD, name: 'New Person', role: 'operator' } });
      assert.equal(created.statusCode, 201, created.body);
      const user = created.json<User>();
      assert.equal(user.email, 'new.person@example.com', 'emails are stored lower-case');
      assert.equal(user.name, 'New Person');
      assert.equal(user.role, 'operator');
      assert.equal(user.tenantId, admin.user.tenantId);
      assert.equal(user.disabled, false);
      assert.equal((user as Record<string, unknown>).password_hash, undefined);
      assert.deepEqual((await users({ path: `/${user.id}` })).json(), user);
      assert.equal((await login('NEW.person@example.com')).statusCode, 200, 'the new user can sign in at once');

      const patched = await users({ method: 'PATCH', path: `/${user.id}`, payload: { name: 'Renamed', role: 'viewer' } });
      assert.equal(patched.statusCode, 200, patched.body);
      assert.equal(patched.json<User>().name, 'Renamed');
      assert.equal(patched.json<User>().role, 'viewer');
      assert.ok(patched.json<User>().updatedAt >= user.updatedAt);

      const deleted = await users({ method: 'DELETE', path: `/${user.id}` });
      assert.equal(deleted.statusCode, 204);
      assert.equal(deleted.body, '');
      assertProblem(await users({ path: `/${user.id}` }), 404, 'USER_NOT_FOUND');
      assertProblem(await users({ method: 'DELETE', path: `/${user.id}` }), 404, 'USER_NOT_FOUND');
      assertProblem(await login('new.person@example.com'), 401, 'INVALID_CREDENTIALS');
    });

    test('a name defaults to the part of the email before the @', async () => {
      const user = await createUser({ email: 'jane.doe@example.com' });
      assert.equal(user.name, 'jane.doe');
    });

    test('the list is paginated with a cursor and holds every user once', async () => {
      for (let index = 0; index < 3; index++) await createUser();
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const response = await users({ path: `?limit=2${cursor ? `&cursor=${cursor}` : ''}` });
        assert.equal(response.statusCode, 200, response.body);
        const page = response.json<Page<User>>();
        assert.ok(page.items.length <= 2);
        seen.push(...page.items.map((user) => user.id));
        cursor = page.nextCursor;
      } while (cursor);
      assert.equal(new Set(seen).size, seen.length, 'no user appears twice');
      const count = await t.store.db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('count')).executeTakeFirstOrThrow();
      assert.equal(seen.length, Number(count.count));
      assert.ok(seen.includes(admin.user.id));
      assertProblem(await users({ path: '?cursor=garbage' }), 400, 'INVALID_CURSOR');
    });

    test('an email is taken across the whole server, whatever its case', async () => {
      const user = await createUser();
      const again = await users({ method: 'POST', payload: { email: user.email.toUpperCase(), password: PASSWORD, role: 'viewer' } });
      assertProblem(again, 409, 'USER_EMAIL_TAKEN');
      const otherAdmin = await createSecondTenant(t, `other-${++counter}@example.org`);
      const elsewhere = await users({ method: 'POST', token: otherAdmin.accessToken, payload: { email: user.email, password: PASSWORD, role: 'viewer' } });
      assertProblem(elsewhere, 409, 'USER_EMAIL_TAKEN');
    });

    test('the last active admin cannot be demoted, disabled or deleted', async () => {
      // A tenant of its own, so other tests' admins do not count.
      const only = await createSecondTenant(t, `sole-admin-${++counter}@example.org`);
      const self = `/${only.user.id}`;
      assertProblem(await users({ method: 'PATCH', path: self, token: only.accessToken, payload: { role: 'operator' } }), 409, 'LAST_ADMIN');
      assertProblem(await users({ method: 'PATCH', path: self, token: only.accessToken, payload: { disabled: true } }), 409, 'LAST_ADMIN');
      assertProblem(await users({ method: 'DELETE', path: self, token: only.accessToken }), 409, 'LAST_ADMIN');
      assert.equal((await users({ path: self, token: only.accessToken })).json<User>().role, 'admin', 'nothing changed');

      // A disabled admin is no admin: the sole active one is still protected.
      const second = await createUser({ role: 'admin' }, only.accessToken);
      assert.equal((await users({ method: 'PATCH', path: `/${second.id}`, token: only.accessToken, payload: { disabled: true } })).statusCode, 200);
      assertProblem(await users({ method: 'PATCH', path: self, token: only.accessToken, payload: { role: 'viewer' } }), 409, 'LAST_ADMIN');

      // With another active admin, the first may step down.
      assert.equal((await users({ method: 'PATCH', path: `/${second.id}`, token: only.accessToken, payload: { disabled: false } })).statusCode, 200);
      const stepDown = await users({ method: 'PATCH', path: self, token: only.accessToken, payload: { role: 'viewer' } });
      assert.equal(stepDown.statusCode, 200, stepDown.body);
      assertProblem(await users({ token: only.accessToken }), 403, 'FORBIDDEN');
    });

    test('concurrent demotions of the last two admins leave one admin', async () => {
      for (let round = 0; round < 5; round++) {
        const first = await createSecondTenant(t, `race-${++counter}@example.org`);
        const secondUser = await createUser({ role: 'admin' }, first.accessToken);
        const second = (await login(secondUser.email)).json<Session>();
        // Each demotes the other. One wins; the other is refused: LAST_ADMIN, or FORBIDDEN when
        // its own demotion was done before its request was authorised.
        const answers = await Promise.all([
          users({ method: 'PATCH', path: `/${second.user.id}`, token: first.accessToken, payload: { role: 'viewer' } }),
          users({ method: 'PATCH', path: `/${first.user.id}`, token: second.accessToken, payload: { role: 'viewer' } }),
        ]);
        const statuses = answers.map((answer) => answer.statusCode).sort();
        assert.equal(statuses[0], 200, answers.map((answer) => answer.body).join('\n'));
        assert.ok(statuses[1] === 403 || statuses[1] === 409, answers.map((answer) => answer.body).join('\n'));
        const admins = await t.store.db
          .selectFrom('users')
          .select('id')
          .where('tenant_id', '=', first.user.tenantId)
          .where('role', '=', 'admin')
          .execute();
        assert.equal(admins.length, 1);
      }
    });

    test('a disabled user cannot sign in, and their session stops working at once', async () => {
      const user = await createUser({ role: 'operator' });
      const session = (await login(user.email)).json<Session>();
      const disabled = await users({ method: 'PATCH', path: `/${user.id}`, payload: { disabled: true } });
      assert.equal(disabled.json<User>().disabled, true);
      assertProblem(await login(user.email), 401, 'INVALID_CREDENTIALS');
      assertProblem(await t.request({ method: 'GET', url: '/api/v1/me', token: session.accessToken }), 401, 'UNAUTHENTICATED');
      const refreshed = await t.request({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refreshToken: session.refreshToken } });
      assertProblem(refreshed, 401, 'REFRESH_TOKEN_INVALID');
      // Enabling again lets them sign in, but the ended session stays ended.
      await users({ method: 'PATCH', path: `/${user.id}`, payload: { disabled: false } });
      assert.equal((await login(user.email)).statusCode, 200);
      const again = await t.request({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refreshToken: session.refreshToken } });
      assertProblem(again, 401, 'REFRESH_TOKEN_INVALID');
    });

    test('a new password ends the sessions and replaces the old one', async () => {
      const user = await createUser();
      const session = (await login(user.email)).json<Session>();
      const changed = await users({ method: 'PATCH', path: `/${user.id}`, payload: { password: 'a brand new password' } });
      assert.equal(changed.statusCode, 200);
      const refreshed = await t.request({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refreshToken: session.refreshToken } });
      assertProblem(refreshed, 401, 'REFRESH_TOKEN_INVALID');
      assertProblem(await login(user.email), 401, 'INVALID_CREDENTIALS');
      assert.equal((await login(user.email, 'a brand new password')).statusCode, 200);
    });

    test('a deleted user is signed out everywhere', async () => {
      const user = await createUser({ role: 'admin' });
      const session = (await login(user.email)).json<Session>();
      assert.equal((await users({ method: 'DELETE', path: `/${user.id}` })).statusCode, 204);
      assertProblem(await t.request({ method: 'GET', url: '/api/v1/me', token: session.accessToken }), 401, 'UNAUTHENTICATED');
      const refreshed = await t.request({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refreshToken: session.refreshToken } });
      assertProblem(refreshed, 401, 'REFRESH_TOKEN_INVALID');
    });

    test('a role change takes effect on the next request', async () => {
      const user = await createUser({ role: 'admin' });
      const session = (await login(user.email)).json<Session>();
      assert.equal((await users({ token: session.accessToken })).statusCode, 200);
      await users({ method: 'PATCH', path: `/${user.id}`, payload: { role: 'viewer' } });
      assertProblem(await users({ token: session.accessToken }), 403, 'FORBIDDEN');
    });

    test('another tenant\'s users answer 404 and never appear in lists', async () => {
      const mine = await createUser();
      const other = await createSecondTenant(t, `tenant-b-${++counter}@example.org`);
      const otherToken = other.accessToken;
      assertProblem(await users({ path: `/${mine.id}`, token: otherToken }), 404, 'USER_NOT_FOUND');
      assertProblem(await users({ method: 'PATCH', path: `/${mine.id}`, token: otherToken, payload: { disabled: true } }), 404, 'USER_NOT_FOUND');
      assertProblem(await users({ method: 'DELETE', path: `/${mine.id}`, token: otherToken }), 404, 'USER_NOT_FOUND');
      assertProblem(await users({ path: `/${admin.user.id}`, token: otherToken }), 404, 'USER_NOT_FOUND');
      const theirList = (await users({ token: otherToken, path: '?limit=500' })).json<Page<User>>();
      assert.deepEqual(theirList.items.map((user) => user.id), [other.user.id]);
      const ourList = (await users({ path: '?limit=500' })).json<Page<User>>();
      assert.ok(!ourList.items.some((user) => user.tenantId !== admin.user.tenantId));
      assert.equal((await users({ path: `/${mine.id}` })).json<User>().disabled, false, 'the refused PATCH changed nothing');
    });

    test('bad input answers 400 VALIDATION_FAILED naming the field, never 500', async () => {
      const valid = { email: newEmail(), password: PASSWORD, role: 'viewer' };
      const target = (await createUser()).id;
      const cases: { method: 'GET' | 'POST' | 'PATCH'; path?: string; payload?: unknown; field: string }[] = [
        { method: 'POST', payload: { ...valid, email: 42 }, field: 'body/email' },
        { method: 'POST', payload: { ...valid, email: 'not-an-email' }, field: 'body/email' },
        { method: 'POST', payload: { ...valid, email: undefined }, field: 'body/email' },
        { method: 'POST', payload: { ...valid, password: 'short' }, field: 'body/password' },
        { method: 'POST', payload: { ...valid, password: 12345678 }, field: 'body/password' },
        { method: 'POST', payload: { ...valid, role: 'superuser' }, field: 'body/role' },
        { method: 'POST', payload: { email: valid.email, password: PASSWORD }, field: 'body/role' },
        { method: 'POST', payload: { ...valid, name: '' }, field: 'body/name' },
        { method: 'POST', payload: { ...valid, tenantId: 'ten_x' }, field: 'body/tenantId' },
        { method: 'PATCH', path: `/${target}`, payload: { disabled: 'yes' }, field: 'body/disabled' },
        { method: 'PATCH', path: `/${target}`, payload: { role: 'root' }, field: 'body/role' },
        { method: 'PATCH', path: `/${target}`, payload: { email: 'changed@example.com' }, field: 'body/email' },
        { method: 'PATCH', path: `/${target}`, payload: { password: '1234' }, field: 'body/password' },
        { method: 'PATCH', path: `/${target}`, payload: { name: null }, field: 'body/name' },
        { method: 'PATCH', path: '/bad%20id', payload: { name: 'x' }, field: 'params/id' },
        { method: 'GET', path: '?limit=0', field: 'querystring/limit' },
        { method: 'GET', path: '?limit=many', field: 'querystring/limit' },
        { method: 'GET', path: '?sort=name', field: 'querystring/sort' },
      ];
      for (const { method, path, payload, field } of cases) {
        const response = await users({ method, ...(path ? { path } : {}), ...(payload !== undefined ? { payload } : {}) });
        assertFieldRefused(response, field);
      }
      const role = (await users({ method: 'POST', payload: { ...valid, role: 'superuser' } })).json<{ errors: { message: string }[] }>();
      assert.deepEqual(role.errors.map((error) => error.message), ['must be one of viewer, operator, admin']);
      for (const payload of ['[]', 'null', '"text"']) {
        const response = await t.request({ method: 'POST', url: '/api/v1/users', token: admin.accessToken, headers: { 'content-type': 'application/json' }, payload });
        assertProblem(response, 400, response.json().code === 'MALFORMED_BODY' ? 'MALFORMED_BODY' : 'VALIDATION_FAILED');
      }
      const broken = await t.request({ method: 'POST', url: '/api/v1/users', token: admin.accessToken, headers: { 'content-type': 'application/json' }, payload: '{"email":' });
      assertProblem(broken, 400, 'MALFORMED_BODY');
    });
  });
}
