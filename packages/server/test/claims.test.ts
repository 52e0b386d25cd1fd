import assert from 'node:assert/strict';
import type { ClaimCode, Device, EnrolledDevice, Session } from '@flotilla/protocol';
import { after, before, describe, test } from 'node:test';
import { claimCodeHash } from '../src/claims/claim-code.js';
import { createDevicesService } from '../src/devices/devices.service.js';
import { createLogger } from '../src/log.js';
import { assertProblem, createDevice } from './device-helpers.js';
import { createSecondTenant, createTestApp, dialects, type TestApp } from './helpers.js';

type Made = { deviceId: string; claimCode: string };

for (const dialect of dialects) {
  describe(`claim codes (${dialect})`, () => {
    let t: TestApp;
    let maker: Session;
    let owner: Session;
    let thirdParty: Session;
    before(async () => {
      t = await createTestApp(dialect, { enrollRateLimitPerMinute: '1000' });
      maker = await t.userWithRole(await t.setup(), 'operator');
      owner = await createSecondTenant(t, 'owner@example.org');
      thirdParty = await createSecondTenant(t, 'third@example.org');
    });
    after(() => t.close());

    async function makeCodes(body: Record<string, unknown>): Promise<Made[]> {
      const response = await t.request({ method: 'POST', url: '/api/v1/claim-codes', token: maker.accessToken, payload: body });
      assert.equal(response.statusCode, 201, response.body);
      return response.json<{ items: Made[] }>().items;
    }
    const enroll = (claimCode: string, name?: string) => t.request({ method: 'POST', url: '/api/v1/device/enroll', payload: { claimCode, name } });
    const claim = (session: Session, payload: Record<string, unknown>) => t.request({ method: 'POST', url: '/api/v1/claims', token: session.accessToken, payload });
    const getDevice = (session: Session, id: string) => t.request({ method: 'GET', url: `/api/v1/devices/${id}`, token: session.accessToken });
    const codesOfMaker = async () =>
      (await t.request({ method: 'GET', url: '/api/v1/claim-codes?limit=500', token: maker.accessToken })).json<{ items: ClaimCode[] }>().items;
    const authenticate = (id: string, secret: string) =>
      createDevicesService({ db: t.store.db, log: createLogger({ logLevel: 'silent' }) }).authenticateDevice(id, secret);

    test('a maker makes numbered devices with one printed code each', async () => {
      const made = await makeCodes({ count: 3, namePrefix: 'lamp', labels: { model: 'x1' } });
      assert.equal(made.length, 3);
      for (const { claimCode } of made) assert.match(claimCode, /^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/);
      const names = await Promise.all(made.map(async ({ deviceId }) => (await getDevice(maker, deviceId)).json<Device>()));
      assert.deepEqual(names.map((device) => device.name).sort(), ['lamp-1', 'lamp-2', 'lamp-3']);
      assert.ok(names.every((device) => device.labels.model === 'x1'));
      const more = await makeCodes({ count: 2, namePrefix: 'lamp' });
      const moreNames = await Promise.all(more.map(async ({ deviceId }) => (await getDevice(maker, deviceId)).json<Device>().name));
      assert.deepEqual(moreNames.sort(), ['lamp-4', 'lamp-5']);
      const listed = await codesOfMaker();
      const entry = listed.find((code) => code.deviceId === made[0]!.deviceId);
      assert.ok(entry);
      const { deviceId, enrolled, enrolledAt, claimed, claimedAt } = entry;
      assert.deepEqual({ deviceId, enrolled, enrolledAt, claimed, claimedAt }, { deviceId: made[0]!.deviceId, enrolled: false, enrolledAt: null, claimed: false, claimedAt: null });
      const stored = await t.store.db.selectFrom('claim_codes').select('code_hash').where('device_id', 'in', made.map((item) => item.deviceId)).execute();
      assert.deepEqual(stored.map((row) => row.code_hash).sort(), made.map(({ claimCode }) => claimCodeHash(claimCode)).sort(), 'only digests are stored');
    });

    test('the device enrolls once with its code, then the owner claims it into their tenant', async () => {
      const [{ deviceId, claimCode }] = (await makeCodes({ count: 1, namePrefix: 'heater', labels: { model: 'h2' } })) as [Made];
      const enrolled = await enroll(claimCode.toLowerCase().replace(/-/g, ''));
      assert.equal(enrolled.statusCode, 201, enrolled.body);
      const device = enrolled.json<EnrolledDevice>();
      assert.equal(device.id, deviceId);
      assert.equal(device.name, 'heater-1');
      assertProblem(await enroll(claimCode), 409, 'CLAIM_CODE_ALREADY_ENROLLED');

      const claimed = await claim(owner, { code: claimCode, name: 'Living room heater', labels: { room: 'living' } });
      assert.equal(claimed.statusCode, 201, claimed.body);
      const owned = claimed.json<Device>();
      assert.equal(owned.id, deviceId);
      assert.equal(owned.name, 'Living room heater');
      assert.deepEqual(owned.labels, { model: 'h2', room: 'living' });
      assert.deepEqual((await getDevice(owner, deviceId)).json(), owned);
      assertProblem(await getDevice(maker, deviceId), 404, 'DEVICE_NOT_FOUND');
      const makerList = await t.request({ method: 'GET', url: '/api/v1/devices?limit=500', token: maker.accessToken });
      assert.ok(!makerList.json<{ items: Device[] }>().items.some((item) => item.id === deviceId), "gone from the maker's list");
      const ownerSelected = await t.request({ method: 'GET', url: '/api/v1/devices?selector=room%3Dliving', token: owner.accessToken });
      assert.deepEqual(ownerSelected.json<{ items: Device[] }>().items.map((item) => item.id), [deviceId]);
      const labelTenants = await t.store.db.selectFrom('device_labels').select('tenant_id').where('device_id', '=', deviceId).execute();
      assert.deepEqual(new Set(labelTenants.map((row) => row.tenant_id)), new Set([owner.user.tenantId]));
      assert.equal((await authenticate(deviceId, device.secret))?.tenantId, owner.user.tenantId);

      const code = (await codesOfMaker()).find((item) => item.deviceId === deviceId)!;
      assert.equal(code.claimed, true);
      assert.equal(code.enrolled, true);
      assert.ok(code.claimedAt);
      assert.equal(JSON.stringify(code).includes(owner.user.tenantId), false, "the maker never sees the owner's tenant");

      assertProblem(await claim(owner, { code: claimCode }), 409, 'CLAIM_CODE_ALREADY_CLAIMED');
      assertProblem(await claim(thirdParty, { code: claimCode }), 409, 'CLAIM_CODE_ALREADY_CLAIMED');
    });

    test('claiming first and enrolling later works too; the owner keeps the name', async () => {
      const [{ deviceId, claimCode }] = (await makeCodes({ count: 1, namePrefix: 'plug' })) as [Made];
      const claimed = await claim(owner, { code: claimCode, name: 'desk plug' });
      assert.equal(claimed.statusCode, 201, claimed.body);
      const enrolled = await enroll(claimCode, 'my-own-name');
      assert.equal(enrolled.statusCode, 201, enrolled.body);
      const { id, name, connection } = enrolled.json<EnrolledDevice>();
      assert.deepEqual({ id, name }, { id: deviceId, name: 'desk plug' });
      // This app's broker listens on no TCP port, so devices are sent to MQTT over WebSocket.
      assert.deepEqual(connection, { mqtt: null, websocketPath: '/mqtt' }, 'the answer says where the broker is');
      assert.equal((await authenticate(deviceId, enrolled.json<EnrolledDevice>().secret))?.tenantId, owner.user.tenantId);
      const audit = await t.request({ method: 'GET', url: `/api/v1/audit?action=device.enroll&targetId=${deviceId}`, token: owner.accessToken });
      assert.equal(audit.statusCode, 200, audit.body);
      assert.equal(audit.json().items.length, 1, "the enrollment is audited in the owner's tenant");
    });

    test("a name taken in the owner's tenant gets a suffix, or 409 when the owner chose it", async () => {
      const [{ claimCode }] = (await makeCodes({ count: 1, namePrefix: 'clash' })) as [Made];
      await createDevice(t, owner, { name: 'clash-1' });
      await createDevice(t, owner, { name: 'taken' });
      assertProblem(await claim(owner, { code: claimCode, name: 'taken' }), 409, 'DEVICE_NAME_TAKEN');
      const claimed = await claim(owner, { code: claimCode });
      assert.equal(claimed.statusCode, 201, 'the failed claim left the code unclaimed');
      assert.equal(claimed.json<Device>().name, 'clash-1-2');
    });

    test('unknown, malformed and deleted codes answer 404', async () => {
      assertProblem(await claim(owner, { code: 'ZZZZ-ZZZZ-ZZZZ-ZZZZ' }), 404, 'CLAIM_CODE_INVALID');
      assertProblem(await claim(owner, { code: 'ABCD' }), 404, 'CLAIM_CODE_INVALID');
      assertProblem(await enroll('ZZZZ-ZZZZ-ZZZZ-ZZZZ'), 404, 'CLAIM_CODE_INVALID');
      const [{ deviceId, claimCode }] = (await makeCodes({ count: 1, namePrefix: 'scrap' })) as [Made];
      assert.equal((await t.request({ method: 'DELETE', url: `/api/v1/devices/${deviceId}`, token: maker.accessToken })).statusCode, 204);
      assertProblem(await enroll(claimCode), 404, 'CLAIM_CODE_INVALID');
      assertProblem(await claim(owner, { code: claimCode }), 404, 'CLAIM_CODE_INVALID');
    });

    test('two owners racing for one code: exactly one wins', async () => {
      const [{ claimCode }] = (await makeCodes({ count: 1, namePrefix: 'race' })) as [Made];
      const [first, second] = await Promise.all([claim(owner, { code: claimCode }), claim(thirdParty, { code: claimCode })]);
      assert.deepEqual([first.statusCode, second.statusCode].sort(), [201, 409]);
    });

    test('a maker deleting a device while an owner claims it: one of them wins, cleanly', async () => {
      const made = await makeCodes({ count: 5, namePrefix: 'contested' });
      const outcomes = await Promise.all(
        made.map(async ({ deviceId, claimCode }) => {
          const [removed, claimed] = await Promise.all([
            t.request({ method: 'DELETE', url: `/api/v1/devices/${deviceId}`, token: maker.accessToken }),
            claim(owner, { code: claimCode }),
          ]);
          return `${removed.statusCode}/${claimed.statusCode}`;
        }),
      );
      for (const outcome of outcomes) assert.ok(['204/404', '404/201'].includes(outcome), outcome);
    });

    test('a thousand codes in one request, all distinct', async () => {
      const made = await makeCodes({ count: 1000, namePrefix: 'bulk' });
      assert.equal(new Set(made.map((item) => item.claimCode)).size, 1000);
      assert.equal(new Set(made.map((item) => item.deviceId)).size, 1000);
      const bulk = await t.request({ method: 'GET', url: '/api/v1/devices?q=bulk-&limit=500', token: maker.accessToken });
      assert.equal(bulk.json<{ items: Device[] }>().items.length, 500);
    });

    test('roles and input are checked', async () => {
      const viewer = await t.userWithRole(owner, 'viewer');
      assertProblem(await claim(viewer, { code: 'ZZZZ-ZZZZ-ZZZZ-ZZZZ' }), 403, 'FORBIDDEN');
      assertProblem(await t.request({ method: 'GET', url: '/api/v1/claim-codes', token: viewer.accessToken }), 403, 'FORBIDDEN');
      for (const payload of [{ count: 0 }, { count: 1001 }, { count: 1, namePrefix: 'bad/prefix' }, { count: 1, extra: 1 }, {}]) {
        const response = await t.request({ method: 'POST', url: '/api/v1/claim-codes', token: maker.accessToken, payload });
        assertProblem(response, 400, 'VALIDATION_FAILED');
      }
      for (const payload of [{}, { code: 5 }, { code: 'ABCD*EFGH' }, { code: 'ZZZZ-ZZZZ-ZZZZ-ZZZZ', tenant: 'x' }]) {
        assertProblem(await claim(owner, payload), 400, 'VALIDATION_FAILED');
      }
      const theirs = await t.request({ method: 'GET', url: '/api/v1/claim-codes', token: owner.accessToken });
      assert.deepEqual(theirs.json().items, [], "the owner does not see the maker's codes");
    });
  });

  describe(`claim rate limit (${dialect})`, () => {
    let t: TestApp;
    before(async () => {
      t = await createTestApp(dialect, { enrollRateLimitPerMinute: '2' });
    });
    after(() => t.close());

    test('claim attempts from one address are rate-limited', async () => {
      const admin = await t.setup();
      const attempt = () => t.request({ method: 'POST', url: '/api/v1/claims', token: admin.accessToken, payload: { code: 'ZZZZ-ZZZZ-ZZZZ-ZZZZ' } });
      assertProblem(await attempt(), 404, 'CLAIM_CODE_INVALID');
      assertProblem(await attempt(), 404, 'CLAIM_CODE_INVALID');
      assertProblem(await attempt(), 429, 'RATE_LIMITED');
    });
  });
}
