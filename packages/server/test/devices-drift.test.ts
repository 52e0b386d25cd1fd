/** Drift on the device list and on one device: the summary each carries, and `?drift=` with selectors and pages. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Device, Page, Session } from '@flotilla/protocol';
import { assertProblem, createDevice } from './device-helpers.js';
import { createSecondTenant, createTestApp, dialects, type TestApp } from './helpers.js';
import { assertFieldRefused } from './problem-assert.js';

for (const dialect of dialects) {
  describe(`device drift (${dialect})`, () => {
    let t: TestApp;
    let admin: Session;
    let operator: Session;
    let viewer: Session;
    const ids: Record<string, string> = {};

    const call = (session: Session, method: 'GET' | 'PUT' | 'PATCH', url: string, payload?: object) =>
      t.request({ method, url: `/api/v1${url}`, token: session.accessToken, ...(payload ? { payload } : {}) });
    const list = async (query: string, session = viewer): Promise<Page<Device>> => {
      const response = await call(session, 'GET', `/devices?${query}`);
      assert.equal(response.statusCode, 200, response.body);
      return response.json<Page<Device>>();
    };
    /** Every page of a query, following the cursor. */
    const allPages = async (query: string): Promise<Device[]> => {
      const devices: Device[] = [];
      let cursor: string | null = null;
      do {
        const page: Page<Device> = await list(`${query}&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        devices.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor);
      return devices;
    };
    const report = async (name: string, secret: string, applied: object) => {
      const response = await t.request({
        method: 'PATCH',
        url: '/api/v1/device/state',
        headers: { authorization: `Basic ${Buffer.from(`${ids[name]}:${secret}`).toString('base64')}` },
        payload: { applied },
      });
      assert.equal(response.statusCode, 200, response.body);
    };

    before(async () => {
      t = await createTestApp(dialect);
      admin = await t.setup();
      operator = await t.userWithRole(admin, 'operator');
      viewer = await t.userWithRole(admin, 'viewer');
      // behind: desired 1, nothing applied; failed: applied 1 but failed; current: applied 1;
      // nothing: no desired state at all (never drift); north-behind: behind, other site.
      const secrets: Record<string, string> = {};
      for (const [name, site] of [['behind', 'south'], ['failed', 'south'], ['current', 'south'], ['nothing', 'south'], ['north-behind', 'north']] as const) {
        const created = await createDevice(t, operator, { name, labels: { site } });
        ids[name] = created.device.id;
        secrets[name] = created.secret;
        if (name !== 'nothing') assert.equal((await call(operator, 'PUT', `/devices/${created.device.id}/state`, { state: { settings: { interval: 5 } } })).statusCode, 200);
      }
      await report('failed', secrets.failed as string, { version: 1, status: 'failed', error: 'disk full' });
      await report('current', secrets.current as string, { version: 1, status: 'applied' });
    });
    after(() => t.close());

    test('each device on the list and on its own carries its drift summary, the same as its state shows', async () => {
      const byName = new Map((await list('')).items.map((device) => [device.name, device]));
      assert.deepEqual(byName.get('behind')?.drift, {
        inDrift: true,
        reason: 'the device has not reported applying any version; desired is 1',
        desiredVersion: 1,
        appliedVersion: null,
        appliedStatus: null,
      });
      assert.deepEqual(byName.get('failed')?.drift, { inDrift: true, reason: 'applying version 1 failed: disk full', desiredVersion: 1, appliedVersion: 1, appliedStatus: 'failed' });
      assert.deepEqual(byName.get('current')?.drift, { inDrift: false, reason: null, desiredVersion: 1, appliedVersion: 1, appliedStatus: 'applied' });
      assert.deepEqual(byName.get('nothing')?.drift, { inDrift: false, reason: null, desiredVersion: 0, appliedVersion: null, appliedStatus: null });
      for (const name of ['behind', 'failed', 'current', 'nothing']) {
        const one = await call(viewer, 'GET', `/devices/${ids[name]}`);
        assert.deepEqual(one.json<Device>().drift, byName.get(name)?.drift, name);
        const state = await call(viewer, 'GET', `/devices/${ids[name]}/state`);
        assert.deepEqual(state.json<{ drift: unknown }>().drift, byName.get(name)?.drift, `${name}: the list and the state page agree`);
      }
    });

    test('?drift=true and ?drift=false split the list, combined with a selector and followed across pages', async () => {
      const names = (devices: Device[]) => devices.map((device) => device.name).sort();
      assert.deepEqual(names(await allPages('drift=true')), ['behind', 'failed', 'north-behind']);
      assert.deepEqual(names(await allPages('drift=false')), ['current', 'nothing']);
      assert.deepEqual(names(await allPages('drift=true&selector=site%3Dsouth')), ['behind', 'failed']);
      assert.deepEqual(names(await allPages('drift=true&selector=site%3Dsouth&sort=-name')), ['behind', 'failed']);
      assert.deepEqual(names(await allPages('drift=false&q=cur')), ['current']);
      const firstPage = await list('drift=true&limit=2');
      assert.equal(firstPage.items.length, 2);
      assert.ok(firstPage.nextCursor, 'a third device in drift is on the next page');
    });

    test('a device leaves the drift list once it reports applying its desired version, and joins it when the version moves on', async () => {
      const created = await createDevice(t, operator, { name: 'catching-up', labels: { site: 'east' } });
      ids['catching-up'] = created.device.id;
      await call(operator, 'PUT', `/devices/${created.device.id}/state`, { state: { a: 1 } });
      assert.deepEqual((await list('drift=true&selector=site%3Deast')).items.map((device) => device.name), ['catching-up']);
      await report('catching-up', created.secret, { version: 1, status: 'applied' });
      assert.deepEqual((await list('drift=true&selector=site%3Deast')).items, []);
      await call(operator, 'PATCH', `/devices/${created.device.id}/state`, { state: { a: 2 } });
      const patched = await list('drift=true&selector=site%3Deast');
      assert.equal(patched.items[0]?.drift.reason, 'applied version 1 is behind desired version 2');
      const relabelled = await call(operator, 'PATCH', `/devices/${created.device.id}`, { labels: { site: 'west' } });
      assert.equal(relabelled.json<Device>().drift.inDrift, true, 'a patched device answers with its drift too');
    });

    test("another tenant's devices in drift are not listed", async () => {
      const other = await createSecondTenant(t, `drift-${dialect}@example.org`);
      assert.deepEqual((await list('drift=true', other)).items, []);
      assertProblem(await call(other, 'GET', `/devices/${ids.behind}`), 404, 'DEVICE_NOT_FOUND');
    });

    test('a drift filter that is not a boolean is refused, naming it', async () => {
      assertFieldRefused(await call(viewer, 'GET', '/devices?drift=maybe'), 'querystring/drift');
    });
  });
}
