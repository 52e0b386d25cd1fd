import assert from 'node:assert/strict';
import type { Device, EnrolledDevice, EnrollmentToken, Session } from '@flotilla/protocol';
import { after, before, describe, test } from 'node:test';
import { createDevicesService } from '../src/devices/devices.service.js';
import { createLogger } from '../src/log.js';
import { assertProblem } from './device-helpers.js';
import { createSecondTenant, createTestApp, dialects, type TestApp } from './helpers.js';

type CreatedToken = EnrollmentToken & { token: string };

for (const dialect of dialects) {
  describe(`enrollment (${dialect})`, () => {
    let t: TestApp;
    let admin: Session;
    let operator: Session;
    before(async () => {
      t = await createTestApp(dialect, { enrollRateLimitPerMinute: '1000' });
      admin = await t.setup();
      operator = await t.userWithRole(admin, 'operator');
    });
    after(() => t.close());

    async function createToken(body: Record<string, unknown> = {}): Promise<CreatedToken> {
      const response = await t.request({ method: 'POST', url: '/api/v1/enrollment-tokens', token: operator.accessToken, payload: body });
      assert.equal(response.statusCode, 201, response.body);
      return response.json();
    }
    const enroll = (payload: Record<string, unknown>) => t.request({ method: 'POST', url: '/api/v1/device/enroll', payload });
    const devices = () => createDevicesService({ db: t.store.db, log: createLogger({ logLevel: 'silent' }) });

    test('an operator creates a token, shown once, listed without it', async () => {
      const before = Date.now();
      const created = await createToken({ name: 'line 4', labels: { site: 'oslo' }, maxUses: 5 });
      assert.match(created.token, /^fle_[A-Za-z0-9_-]{43}$/);
      const { name, labels, maxUses, uses, revokedAt } = created;
      assert.deepEqual({ name, labels, maxUses, uses, revokedAt }, { name: 'line 4', labels: { site: 'oslo' }, maxUses: 5, uses: 0, revokedAt: null });
      const lifetimeMs = Date.parse(created.expiresAt!) - before;
      assert.ok(Math.abs(lifetimeMs - 7 * 24 * 3600 * 1000) < 60_000, 'expires in 7 days by default');
      const list = await t.request({ method: 'GET', url: '/api/v1/enrollment-tokens', token: operator.accessToken });
      const listed = list.json<{ items: Array<Record<string, unknown>> }>().items.find((item) => item.id === created.id);
      assert.ok(listed);
      assert.equal('token' in listed, false);
      const forever = await createToken({ expiresInSeconds: null });
      assert.equal(forever.expiresAt, null);
      assert.match(forever.name, /^enrollment-/);
    });

    test('viewers cannot see or make tokens', async () => {
      const viewer = await t.userWithRole(admin, 'viewer');
      assertProblem(await t.request({ method: 'GET', url: '/api/v1/enrollment-tokens', token: viewer.accessToken }), 403, 'FORBIDDEN');
      assertProblem(await t.request({ method: 'POST', url: '/api/v1/enrollment-tokens', token: viewer.accessToken, payload: {} }), 403, 'FORBIDDEN');
    });

    test("a device enrolls into the token's tenant with its labels, and its secret works until rotated", async () => {
      const { token } = await createToken({ labels: { site: 'bergen', role: 'sensor' } });
      const response = await enroll({ token, name: 'greenhouse' });
      assert.equal(response.statusCode, 201, response.body);
      const enrolled = response.json<EnrolledDevice>();
      assert.equal(enrolled.name, 'greenhouse');
      assert.match(enrolled.secret, /^fld_/);
      const device = (await t.request({ method: 'GET', url: `/api/v1/devices/${enrolled.id}`, token: admin.accessToken })).json<Device>();
      assert.deepEqual(device.labels, { role: 'sensor', site: 'bergen' });
      const selected = await t.request({ method: 'GET', url: '/api/v1/devices?selector=site%3Dbergen', token: admin.accessToken });
      assert.deepEqual(selected.json<{ items: Device[] }>().items.map((item) => item.id), [enrolled.id]);

      assert.deepEqual(await devices().authenticateDevice(enrolled.id, enrolled.secret), { id: enrolled.id, tenantId: admin.user.tenantId, name: 'greenhouse' });
      assert.equal(await devices().authenticateDevice(enrolled.id, `${enrolled.secret}x`), null);
      assert.equal(await devices().authenticateDevice('dev_unknown', enrolled.secret), null);
      const rotated = await t.request({ method: 'POST', url: `/api/v1/devices/${enrolled.id}/secret`, token: operator.accessToken });
      assert.equal(await devices().authenticateDevice(enrolled.id, enrolled.secret), null, 'the old secret stops working');
      assert.equal((await devices().authenticateDevice(enrolled.id, rotated.json().secret))?.id, enrolled.id);
    });

    test('enrollment is audited in the device tenant, with the device as actor', async () => {
      const { token, id: tokenId } = await createToken();
      const enrolled = (await enroll({ token })).json<EnrolledDevice>();
      const audit = await t.request({ method: 'GET', url: `/api/v1/audit?action=device.enroll&targetId=${enrolled.id}`, token: admin.accessToken });
      const [entry] = audit.json<{ items: Array<{ actor: { type: string; id: string }; outcome: string; detail: { via: { id: string } } }> }>().items;
      assert.deepEqual(entry?.actor, { type: 'device', id: enrolled.id });
      assert.equal(entry?.outcome, 'success');
      assert.equal(entry?.detail.via.id, tokenId);
    });

    test('names default to device-<short id>; a taken name gets -2, -3', async () => {
      const { token } = await createToken();
      const unnamed = (await enroll({ token })).json<EnrolledDevice>();
      assert.equal(unnamed.name, `device-${unnamed.id.slice(-8)}`);
      const names = [];
      for (let index = 0; index < 3; index++) names.push((await enroll({ token, name: 'probe' })).json<EnrolledDevice>().name);
      assert.deepEqual(names, ['probe', 'probe-2', 'probe-3']);
      const long = 'l'.repeat(128);
      assert.equal((await enroll({ token, name: long })).json<EnrolledDevice>().name, long);
      assert.equal((await enroll({ token, name: long })).json<EnrolledDevice>().name, `${'l'.repeat(126)}-2`);
    });

    test('expired, revoked, used-up and unknown tokens are refused', async () => {
      const expired = await createToken();
      await t.store.db.updateTable('enrollment_tokens').set({ expires_at: Date.now() - 1 }).where('id', '=', expired.id).execute();
      assertProblem(await enroll({ token: expired.token }), 401, 'ENROLLMENT_TOKEN_INVALID');

      const revoked = await createToken();
      assert.equal((await t.request({ method: 'DELETE', url: `/api/v1/enrollment-tokens/${revoked.id}`, token: operator.accessToken })).statusCode, 204);
      assert.equal((await t.request({ method: 'DELETE', url: `/api/v1/enrollment-tokens/${revoked.id}`, token: operator.accessToken })).statusCode, 204);
      assertProblem(await enroll({ token: revoked.token }), 401, 'ENROLLMENT_TOKEN_INVALID');
      const list = await t.request({ method: 'GET', url: '/api/v1/enrollment-tokens?limit=500', token: operator.accessToken });
      assert.ok(list.json<{ items: EnrollmentToken[] }>().items.find((item) => item.id === revoked.id)?.revokedAt);

      const once = await createToken({ maxUses: 1 });
      assert.equal((await enroll({ token: once.token })).statusCode, 201);
      assertProblem(await enroll({ token: once.token }), 401, 'ENROLLMENT_TOKEN_INVALID');

      assertProblem(await enroll({ token: 'fle_not-a-token' }), 401, 'ENROLLMENT_TOKEN_INVALID');
    });

    test('maxUses holds under concurrent enrollments', async () => {
      const { token, id } = await createToken({ maxUses: 3, labels: { batch: 'race' } });
      const responses = await Promise.all(Array.from({ length: 12 }, () => enroll({ token, name: 'racer' })));
      const statuses = responses.map((response) => response.statusCode).sort();
      assert.deepEqual(statuses, [201, 201, 201, ...Array(9).fill(401)]);
      const names = responses.filter((response) => response.statusCode === 201).map((response) => response.json<EnrolledDevice>().name).sort();
      assert.deepEqual(names, ['racer', 'racer-2', 'racer-3']);
      const row = await t.store.db.selectFrom('enrollment_tokens').select('uses').where('id', '=', id).executeTakeFirstOrThrow();
      assert.equal(row.uses, 3);
      assert.equal((await devices().resolveSelector(admin.user.tenantId, 'batch=race')).length, 3);
    });

    test('unlimited tokens give every concurrent enrollment its own name', async () => {
      const { token } = await createToken();
      const responses = await Promise.all(Array.from({ length: 8 }, () => enroll({ token, name: 'swarm' })));
      assert.ok(responses.every((response) => response.statusCode === 201), responses.map((response) => response.body).join('\n'));
      assert.equal(new Set(responses.map((response) => response.json<EnrolledDevice>().name)).size, 8);
    });

    test('a body of the wrong shape answers 400', async () => {
      const { token } = await createToken();
      for (const payload of [{}, { token, claimCode: 'ABCD-EFGH-JKMN-PQRS' }, { token: 5 }, { token, extra: true }, { token, name: 'bad;name' }, { claimCode: 'not*a*code' }]) {
        assertProblem(await enroll(payload), 400, 'VALIDATION_FAILED');
      }
    });

    test("another tenant's token cannot be revoked (404)", async () => {
      const other = await createSecondTenant(t);
      const created = await createToken();
      const response = await t.request({ method: 'DELETE', url: `/api/v1/enrollment-tokens/${created.id}`, token: other.accessToken });
      assertProblem(response, 404, 'ENROLLMENT_TOKEN_NOT_FOUND');
      const list = await t.request({ method: 'GET', url: '/api/v1/enrollment-tokens', token: other.accessToken });
      assert.deepEqual(list.json().items, []);
    });
  });

  describe(`enrollment rate limit (${dialect})`, () => {
    let t: TestApp;
    before(async () => {
      t = await createTestApp(dialect, { enrollRateLimitPerMinute: '2' });
    });
    after(() => t.close());

    test('enrollment attempts from one address are rate-limited', async () => {
      const attempt = () => t.request({ method: 'POST', url: '/api/v1/device/enroll', payload: { token: 'fle_guess' } });
      assertProblem(await attempt(), 401, 'ENROLLMENT_TOKEN_INVALID');
      assertProblem(await attempt(), 401, 'ENROLLMENT_TOKEN_INVALID');
      assertProblem(await attempt(), 429, 'RATE_LIMITED');
    });
  });
}
