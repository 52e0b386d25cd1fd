import assert from 'node:assert/strict';
import type { Device, Session } from '@flotilla/protocol';
import { after, before, describe, test } from 'node:test';
import { hashSecret } from '../src/store/ids.js';
import { assertProblem, createDevice } from './device-helpers.js';
import { createSecondTenant, createTestApp, dialects, type TestApp } from './helpers.js';

for (const dialect of dialects) {
  describe(`devices (${dialect})`, () => {
    let t: TestApp;
    let admin: Session;
    let viewer: Session;
    let operator: Session;
    let other: Session;
    before(async () => {
      t = await createTestApp(dialect);
      admin = await t.setup();
      viewer = await t.userWithRole(admin, 'viewer');
      operator = await t.userWithRole(admin, 'operator');
      other = await createSecondTenant(t);
    });
    after(() => t.close());

    const labelRows = async (deviceId: string) =>
      (await t.store.db.selectFrom('device_labels').select(['key', 'value', 'tenant_id']).where('device_id', '=', deviceId).orderBy('key').execute());

    test('an operator creates a device; the secret is shown once and stored only as a digest', async () => {
      const { device, secret } = await createDevice(t, operator, { name: 'pump-1', labels: { site: 'oslo', role: 'pump' }, metadata: { rack: { row: 3 } } });
      assert.match(secret, /^fld_[A-Za-z0-9_-]{43}$/);
      assert.match(device.id, /^dev_/);
      assert.deepEqual(device.labels, { role: 'pump', site: 'oslo' });
      assert.deepEqual(device.metadata, { rack: { row: 3 } });
      assert.equal(device.online, false);
      assert.equal(device.lastSeenAt, null);
      const stored = await t.store.db.selectFrom('devices').select('secret_hash').where('id', '=', device.id).executeTakeFirstOrThrow();
      assert.equal(stored.secret_hash, hashSecret(secret));
      assert.deepEqual(await labelRows(device.id), [
        { key: 'role', value: 'pump', tenant_id: admin.user.tenantId },
        { key: 'site', value: 'oslo', tenant_id: admin.user.tenantId },
      ]);
      const fetched = await t.request({ method: 'GET', url: `/api/v1/devices/${device.id}`, token: viewer.accessToken });
      assert.equal(fetched.statusCode, 200);
      assert.deepEqual(fetched.json(), device);
      assert.equal('secret' in fetched.json(), false);
    });

    test('a taken name answers 409 on create and on rename', async () => {
      await createDevice(t, operator, { name: 'dup' });
      const again = await t.request({ method: 'POST', url: '/api/v1/devices', token: operator.accessToken, payload: { name: 'dup' } });
      assertProblem(again, 409, 'DEVICE_NAME_TAKEN');
      const { device } = await createDevice(t, operator, { name: 'dup-b' });
      const rename = await t.request({ method: 'PATCH', url: `/api/v1/devices/${device.id}`, token: operator.accessToken, payload: { name: 'dup' } });
      assertProblem(rename, 409, 'DEVICE_NAME_TAKEN');
      // Another tenant may use the same name.
      await createDevice(t, other, { name: 'dup' });
    });

    test('PATCH merges labels and metadata, keeps label rows in step, and can rename', async () => {
      const { device } = await createDevice(t, operator, { name: 'merge-me', labels: { a: '1', b: '2' }, metadata: { keep: 1, nested: { x: 1, y: 2 }, gone: true } });
      await new Promise((resolve) => setTimeout(resolve, 5));
      const response = await t.request({
        method: 'PATCH',
        url: `/api/v1/devices/${device.id}`,
        token: operator.accessToken,
        payload: { name: 'merged', labels: { a: null, b: '3', c: '' }, metadata: { nested: { y: null, z: 3 }, gone: null, added: [1, 2] } },
      });
      assert.equal(response.statusCode, 200, response.body);
      const patched = response.json<Device>();
      assert.equal(patched.name, 'merged');
      assert.deepEqual(patched.labels, { b: '3', c: '' });
      assert.deepEqual(patched.metadata, { keep: 1, nested: { x: 1, z: 3 }, added: [1, 2] });
      assert.ok(patched.updatedAt > device.updatedAt, 'updatedAt moves');
      assert.equal(patched.createdAt, device.createdAt);
      assert.deepEqual((await labelRows(device.id)).map(({ key, value }) => [key, value]), [['b', '3'], ['c', '']]);
      const fetched = await t.request({ method: 'GET', url: `/api/v1/devices/${device.id}`, token: viewer.accessToken });
      assert.deepEqual(fetched.json(), patched);
      const unchanged = await t.request({ method: 'PATCH', url: `/api/v1/devices/${device.id}`, token: operator.accessToken, payload: { labels: { b: '3' } } });
      assert.equal(unchanged.json().updatedAt, patched.updatedAt, 'a patch that changes nothing leaves updatedAt');
    });

    test('concurrent patches of one device lose no label', async () => {
      const { device } = await createDevice(t, operator, { name: 'busy' });
      const patches = Array.from({ length: 8 }, (_, index) =>
        t.request({ method: 'PATCH', url: `/api/v1/devices/${device.id}`, token: operator.accessToken, payload: { labels: { [`k${index}`]: 'v' } } }),
      );
      assert.ok((await Promise.all(patches)).every((response) => response.statusCode === 200));
      const expected = Object.fromEntries(Array.from({ length: 8 }, (_, index) => [`k${index}`, 'v']));
      assert.deepEqual((await t.request({ method: 'GET', url: `/api/v1/devices/${device.id}`, token: viewer.accessToken })).json().labels, expected);
      assert.equal((await labelRows(device.id)).length, 8);
    });

    test('DELETE removes the device and its label rows', async () => {
      const { device } = await createDevice(t, operator, { name: 'doomed', labels: { x: 'y' } });
      const removed = await t.request({ method: 'DELETE', url: `/api/v1/devices/${device.id}`, token: operator.accessToken });
      assert.equal(removed.statusCode, 204);
      assert.equal(removed.body, '');
      assertProblem(await t.request({ method: 'GET', url: `/api/v1/devices/${device.id}`, token: admin.accessToken }), 404, 'DEVICE_NOT_FOUND');
      assert.deepEqual(await labelRows(device.id), []);
      assertProblem(await t.request({ method: 'DELETE', url: `/api/v1/devices/${device.id}`, token: operator.accessToken }), 404, 'DEVICE_NOT_FOUND');
    });

    test('rotating the secret replaces the stored digest', async () => {
      const { device, secret } = await createDevice(t, operator, { name: 'rotor' });
      const response = await t.request({ method: 'POST', url: `/api/v1/devices/${device.id}/secret`, token: operator.accessToken });
      assert.equal(response.statusCode, 200, response.body);
      const rotated = response.json<{ secret: string }>().secret;
      assert.match(rotated, /^fld_/);
      assert.notEqual(rotated, secret);
      const stored = await t.store.db.selectFrom('devices').select('secret_hash').where('id', '=', device.id).executeTakeFirstOrThrow();
      assert.equal(stored.secret_hash, hashSecret(rotated));
    });

    test('a viewer reads but cannot change; an operator can', async () => {
      const { device } = await createDevice(t, operator, { name: 'rbac-target' });
      assert.equal((await t.request({ method: 'GET', url: '/api/v1/devices', token: viewer.accessToken })).statusCode, 200);
      assert.equal((await t.request({ method: 'GET', url: `/api/v1/devices/${device.id}`, token: viewer.accessToken })).statusCode, 200);
      const attempts = [
        { method: 'POST' as const, url: '/api/v1/devices', payload: { name: 'viewer-made' } },
        { method: 'PATCH' as const, url: `/api/v1/devices/${device.id}`, payload: { name: 'viewer-renamed' } },
        { method: 'DELETE' as const, url: `/api/v1/devices/${device.id}` },
        { method: 'POST' as const, url: `/api/v1/devices/${device.id}/secret` },
      ];
      for (const attempt of attempts) assertProblem(await t.request({ ...attempt, token: viewer.accessToken }), 403, 'FORBIDDEN');
      assertProblem(await t.request({ method: 'GET', url: '/api/v1/devices' }), 401, 'UNAUTHENTICATED');
      const patched = await t.request({ method: 'PATCH', url: `/api/v1/devices/${device.id}`, token: operator.accessToken, payload: { name: 'rbac-renamed' } });
      assert.equal(patched.statusCode, 200);
    });

    test("another tenant's device answers 404 and never shows in lists", async () => {
      const { device } = await createDevice(t, other, { name: 'foreign', labels: { site: 'oslo' } });
      for (const request of [
        { method: 'GET' as const, url: `/api/v1/devices/${device.id}` },
        { method: 'PATCH' as const, url: `/api/v1/devices/${device.id}`, payload: { labels: { hacked: 'yes' } } },
        { method: 'DELETE' as const, url: `/api/v1/devices/${device.id}` },
        { method: 'POST' as const, url: `/api/v1/devices/${device.id}/secret` },
      ]) {
        assertProblem(await t.request({ ...request, token: admin.accessToken }), 404, 'DEVICE_NOT_FOUND');
      }
      for (const query of ['', '?selector=site%3Doslo', '?q=foreign']) {
        const list = await t.request({ method: 'GET', url: `/api/v1/devices${query}`, token: admin.accessToken });
        assert.ok(!list.json<{ items: Device[] }>().items.some((item) => item.id === device.id), `absent from ${query || 'the list'}`);
      }
      const untouched = await t.request({ method: 'GET', url: `/api/v1/devices/${device.id}`, token: other.accessToken });
      assert.deepEqual(untouched.json(), device);
    });

    test('OpenAPI describes the device, enrollment and claim routes with their schemas', async () => {
      const document = (await t.request({ method: 'GET', url: '/api/openapi.json' })).json();
      const operations: Array<[string, string, string]> = [
        ['/api/v1/devices', 'get', 'devices'],
        ['/api/v1/devices', 'post', 'devices'],
        ['/api/v1/devices/{id}', 'patch', 'devices'],
        ['/api/v1/devices/{id}/secret', 'post', 'devices'],
        ['/api/v1/enrollment-tokens', 'post', 'enrollment'],
        ['/api/v1/device/enroll', 'post', 'enrollment'],
        ['/api/v1/claim-codes', 'post', 'claims'],
        ['/api/v1/claims', 'post', 'claims'],
      ];
      for (const [path, method, tag] of operations) {
        const operation = document.paths[path]?.[method];
        assert.ok(operation, `${method} ${path} is documented`);
        assert.deepEqual(operation.tags, [tag]);
        assert.ok(operation.summary, `${method} ${path} has a summary`);
        assert.ok(Object.keys(operation.responses).some((status) => status.startsWith('2')), `${method} ${path} has a response schema`);
        if (method !== 'get' && !path.endsWith('/secret')) assert.ok(operation.requestBody, `${method} ${path} has a body schema`);
      }
      const listParameters = document.paths['/api/v1/devices'].get.parameters.map((parameter: { name: string }) => parameter.name);
      assert.deepEqual(listParameters.sort(), ['cursor', 'drift', 'limit', 'q', 'selector', 'sort']);
    });

    test('mutations are in the audit log with the device as target', async () => {
      const { device } = await createDevice(t, operator, { name: 'audited' });
      await t.request({ method: 'DELETE', url: `/api/v1/devices/${device.id}`, token: operator.accessToken });
      const audit = await t.request({ method: 'GET', url: `/api/v1/audit?targetId=${device.id}`, token: admin.accessToken });
      const actions = audit.json<{ items: Array<{ action: string; outcome: string; actor: { id: string } }> }>().items;
      assert.deepEqual(actions.map((entry) => entry.action).sort(), ['device.create', 'device.delete']);
      assert.ok(actions.every((entry) => entry.outcome === 'success' && entry.actor.id === operator.user.id));
    });
  });
}
