/**
 * Writes of device layers and profiles against a known revision (If-Match → 412), ETags, a PUT
 * that leaves out the schema, and the device count each profile carries.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { DeviceState, Page, Profile, Session } from '@flotilla/protocol';
import { assertProblem, createDevice } from './device-helpers.js';
import { createSecondTenant, createTestApp, dialects, type TestApp } from './helpers.js';
import { assertFieldRefused } from './problem-assert.js';

const intervalSchema = { type: 'object', properties: { interval: { type: 'integer', minimum: 1 } } };

for (const dialect of dialects) {
  describe(`desired state revisions and counts (${dialect})`, () => {
    let t: TestApp;
    let admin: Session;
    let operator: Session;
    let viewer: Session;

    const call = (session: Session, method: 'GET' | 'PUT' | 'PATCH' | 'POST', url: string, payload?: object, ifMatch?: string) =>
      t.request({ method, url: `/api/v1${url}`, token: session.accessToken, ...(payload ? { payload } : {}), ...(ifMatch === undefined ? {} : { headers: { 'if-match': ifMatch } }) });

    before(async () => {
      t = await createTestApp(dialect);
      admin = await t.setup();
      operator = await t.userWithRole(admin, 'operator');
      viewer = await t.userWithRole(admin, 'viewer');
    });
    after(() => t.close());

    test('a device layer write with If-Match of an older revision is refused with 412 and changes nothing', async () => {
      const { device } = await createDevice(t, operator, { name: 'edited-twice' });
      const read = await call(viewer, 'GET', `/devices/${device.id}/state`);
      assert.equal(read.headers.etag, '"0"', 'the ETag is the layer revision');
      const first = await call(operator, 'PUT', `/devices/${device.id}/state`, { state: { who: 'alice' } }, '"0"');
      assert.equal(first.statusCode, 200, first.body);
      assert.equal(first.headers.etag, '"1"');
      // Bob edited the same revision 0 as Alice, and saves after her.
      const stale = await call(operator, 'PUT', `/devices/${device.id}/state`, { state: { who: 'bob' } }, '"0"');
      assertProblem(stale, 412, 'STATE_REVISION_CONFLICT');
      assert.match(stale.json<{ detail: string }>().detail, /revision 1, not 0.*reload/);
      assertProblem(await call(operator, 'PATCH', `/devices/${device.id}/state`, { state: { who: 'bob' } }, '"0"'), 412, 'STATE_REVISION_CONFLICT');
      const after = (await call(viewer, 'GET', `/devices/${device.id}/state`)).json<DeviceState>();
      assert.deepEqual(after.layer.state, { who: 'alice' });
      assert.equal(after.layer.revision, 1);
      const patched = await call(operator, 'PATCH', `/devices/${device.id}/state`, { state: { who: 'bob' } }, '"1"');
      assert.equal(patched.statusCode, 200, patched.body);
      assert.equal(patched.json<DeviceState>().layer.revision, 2);
      const audit = await call(admin, 'GET', `/audit?targetId=${device.id}&outcome=failure`);
      assert.ok(audit.json<{ items: { status: number }[] }>().items.some((entry) => entry.status === 412), 'the refused write is audited as a failure');
    });

    test('writes without If-Match still go through (last writer wins, as before)', async () => {
      const { device } = await createDevice(t, operator, { name: 'unconditional' });
      await call(operator, 'PUT', `/devices/${device.id}/state`, { state: { a: 1 } });
      const second = await call(operator, 'PUT', `/devices/${device.id}/state`, { state: { a: 2 } });
      assert.equal(second.statusCode, 200, second.body);
      assert.equal(second.json<DeviceState>().layer.revision, 2);
    });

    test('an If-Match that is not a quoted revision is refused, naming the header', async () => {
      const { device } = await createDevice(t, operator, { name: 'bad-precondition' });
      for (const value of ['1', '"one"', 'W/"1"', '*']) {
        assertFieldRefused(await call(operator, 'PUT', `/devices/${device.id}/state`, { state: {} }, value), 'headers/if-match');
      }
    });

    test('a PUT without schema keeps the layer schema; schema null removes it', async () => {
      const { device } = await createDevice(t, operator, { name: 'schema-kept' });
      const put = async (body: object) => {
        const response = await call(operator, 'PUT', `/devices/${device.id}/state`, body);
        assert.equal(response.statusCode, 200, response.body);
        return response.json<DeviceState>();
      };
      assert.deepEqual((await put({ state: { settings: { interval: 5 } }, schema: intervalSchema })).layer.schema, intervalSchema);
      assert.deepEqual((await put({ state: { settings: { interval: 10 } } })).layer.schema, intervalSchema, 'still there');
      assertProblem(await call(operator, 'PUT', `/devices/${device.id}/state`, { state: { settings: { interval: 0 } } }), 400, 'STATE_SCHEMA_VIOLATION');
      assert.equal((await put({ state: { settings: { interval: 0 } }, schema: null })).layer.schema, null);
    });

    test('profiles: If-Match on PUT and PATCH, ETag on GET, PUT without schema keeps it', async () => {
      const created = await call(operator, 'POST', '/profiles', { name: 'guarded', selector: 'kind=guarded', priority: 1, state: { settings: { interval: 3 } }, schema: intervalSchema });
      assert.equal(created.statusCode, 201, created.body);
      const profile = created.json<Profile>();
      const got = await call(viewer, 'GET', `/profiles/${profile.id}`);
      assert.equal(got.headers.etag, '"1"');
      const replaced = await call(operator, 'PUT', `/profiles/${profile.id}`, { name: 'guarded', selector: 'kind=guarded', priority: 2, state: { settings: { interval: 4 } } }, '"1"');
      assert.equal(replaced.statusCode, 200, replaced.body);
      assert.equal(replaced.headers.etag, '"2"');
      assert.deepEqual(replaced.json<Profile>().schema, intervalSchema, 'a PUT without schema keeps it');
      assertProblem(await call(operator, 'PATCH', `/profiles/${profile.id}`, { priority: 9 }, '"1"'), 412, 'STATE_REVISION_CONFLICT');
      assertProblem(await call(operator, 'PUT', `/profiles/${profile.id}`, { name: 'guarded', selector: '', priority: 9, state: {} }, '"1"'), 412, 'STATE_REVISION_CONFLICT');
      assert.equal((await call(viewer, 'GET', `/profiles/${profile.id}`)).json<Profile>().priority, 2, 'refused writes changed nothing');
      const patched = await call(operator, 'PATCH', `/profiles/${profile.id}`, { priority: 9, schema: null }, '"2"');
      assert.equal(patched.statusCode, 200, patched.body);
      assert.equal(patched.json<Profile>().schema, null);
    });

    test('profiles carry how many devices their selector chooses now', async () => {
      const other = await createSecondTenant(t, `counts-${dialect}@example.org`);
      await createDevice(t, other, { name: 'theirs', labels: { fleet: 'counted' } });
      await createDevice(t, operator, { name: 'counted-1', labels: { fleet: 'counted' } });
      const created = await call(operator, 'POST', '/profiles', { name: 'counted', selector: 'fleet=counted', priority: 0, state: {} });
      assert.equal(created.json<Profile>().matchedDevices, 1, "another tenant's device is not counted");
      const { device } = await createDevice(t, operator, { name: 'counted-2', labels: { fleet: 'counted' } });
      const count = async () => {
        const page = (await call(viewer, 'GET', '/profiles')).json<Page<Profile>>();
        const listed = page.items.find((profile) => profile.name === 'counted');
        const one = (await call(viewer, 'GET', `/profiles/${created.json<Profile>().id}`)).json<Profile>();
        assert.equal(listed?.matchedDevices, one.matchedDevices, 'list and get agree');
        return one.matchedDevices;
      };
      assert.equal(await count(), 2);
      await call(operator, 'PATCH', `/devices/${device.id}`, { labels: { fleet: null } });
      assert.equal(await count(), 1);
      const everything = await call(operator, 'POST', '/profiles', { name: 'everything', selector: '', priority: -1, state: {} });
      assert.ok(everything.json<Profile>().matchedDevices >= 2, 'the empty selector counts every device of the tenant');
    });
  });
}
