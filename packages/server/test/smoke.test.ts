import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestApp, dialects, SETUP_TOKEN, type TestApp } from './helpers.js';

for (const dialect of dialects) {
  describe(`setup and sessions (${dialect})`, () => {
    let t: TestApp;
    before(async () => {
      t = await createTestApp(dialect);
    });
    after(() => t.close());

    test('setup is pending on a fresh server, then done once', async () => {
      assert.deepEqual((await t.request({ method: 'GET', url: '/api/v1/setup' })).json(), { pending: true });
      const session = await t.setup();
      assert.equal(session.user.role, 'admin');
      assert.deepEqual((await t.request({ method: 'GET', url: '/api/v1/setup' })).json(), { pending: false });
      const again = await t.request({
        method: 'POST',
        url: '/api/v1/setup',
        payload: { token: SETUP_TOKEN, email: 'x@example.com', password: 'password123', tenantName: 'X' },
      });
      assert.equal(again.statusCode, 409);
      assert.equal(again.json().code, 'SETUP_ALREADY_DONE');
      const me = await t.request({ method: 'GET', url: '/api/v1/me', token: session.accessToken });
      assert.equal(me.statusCode, 200);
      assert.equal(me.json().user.email, 'admin@example.com');
      assert.equal(me.json().tenant.name, 'Acme');
    });

    test('an unknown field in a body is refused with its name', async () => {
      const response = await t.request({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'a@b.c', password: 'x', extra: 1 } });
      assert.equal(response.statusCode, 400);
      assert.equal(response.headers['content-type'], 'application/problem+json; charset=utf-8');
      assert.equal(response.json().code, 'VALIDATION_FAILED');
      assert.match(response.json().detail, /body\/extra is not a known field/);
    });
  });
}
