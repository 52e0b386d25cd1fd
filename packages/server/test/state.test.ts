/** Desired state over the REST API: layers, profiles, provenance, revisions, RBAC, tenants, bad input. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { DeviceState, Profile, Session, StateDiff, StateRevision } from '@flotilla/protocol';
import { assertProblem, createDevice } from './device-helpers.js';
import { createSecondTenant, createTestApp, dialects, type TestApp } from './helpers.js';
import { assertFieldRefused } from './problem-assert.js';

for (const dialect of dialects) {
  describe(`desired state (${dialect})`, () => {
    let t: TestApp;
    let admin: Session;
    let operator: Session;
    let viewer: Session;
    let other: Session;
    before(async () => {
      t = await createTestApp(dialect);
      admin = await t.setup();
      operator = await t.userWithRole(admin, 'operator');
      viewer = await t.userWithRole(admin, 'viewer');
      other = await createSecondTenant(t);
    });
    after(() => t.close());

    const call = (session: Session, method: 'GET' | 'PUT' | 'PATCH' | 'POST' | 'DELETE', url: string, payload?: unknown) =>
      t.request({ method, url: `/api/v1${url}`, token: session.accessToken, ...(payload === undefined ? {} : { payload: payload as object }) });
    const stateOf = async (deviceId: string) => {
      const response = await call(viewer, 'GET', `/devices/${deviceId}/state`);
      assert.equal(response.statusCode, 200, response.body);
      return response.json<DeviceState>();
    };
    const createProfile = async (body: Record<string, unknown>) => {
      const response = await call(operator, 'POST', '/profiles', body);
      assert.equal(response.statusCode, 201, response.body);
      return response.json<Profile>();
    };

    test('profiles merge in priority order under the device layer, with provenance', async () => {
      const { device } = await createDevice(t, operator, { name: 'merge-1', labels: { site: 'oslo', role: 'gw' } });
      assert.equal((await stateOf(device.id)).desired.version, 0);
      const base = await createProfile({ name: 'base', selector: 'role=gw', priority: 0, state: { settings: { interval: 60, ntp: ['a', 'b'], debug: true } } });
      const oslo = await createProfile({ name: 'oslo', selector: 'site=oslo', priority: 10, state: { settings: { ntp: ['oslo'], tz: 'Europe/Oslo' } } });
      await createProfile({ name: 'low', selector: 'site=oslo', priority: -5, state: { settings: { tz: 'UTC', low: 1 } } });
      await createProfile({ name: 'bergen', selector: 'site=bergen', priority: 100, state: { settings: { interval: 1 } } });
      const put = await call(operator, 'PUT', `/devices/${device.id}/state`, { state: { settings: { interval: 5, debug: null }, apps: { web: { command: 'web' } } }, message: 'faster' });
      assert.equal(put.statusCode, 200, put.body);
      const state = put.json<DeviceState>();
      assert.deepEqual(state.desired.state, { settings: { interval: 5, ntp: ['oslo'], tz: 'Europe/Oslo', low: 1 }, apps: { web: { command: 'web' } } });
      assert.deepEqual(state.desired.provenance, {
        '/settings/interval': { type: 'device' },
        '/settings/ntp': { type: 'profile', id: oslo.id, name: 'oslo' },
        '/settings/tz': { type: 'profile', id: oslo.id, name: 'oslo' },
        '/settings/low': { type: 'profile', id: state.desired.profiles[0]!.id, name: 'low' },
        '/apps/web/command': { type: 'device' },
      });
      assert.deepEqual(state.desired.profiles.map((profile) => profile.name), ['low', 'base', 'oslo']);
      assert.equal(state.layer.revision, 1);
      assert.ok(state.desired.version >= 4, `each change bumps the version (${state.desired.version})`);
      assert.ok(base.id.startsWith('prf_'));
    });

    test('the version grows only when the effective document changes', async () => {
      const { device } = await createDevice(t, operator, { name: 'versions', labels: { lonely: 'yes' } });
      await call(operator, 'PUT', `/devices/${device.id}/state`, { state: { a: 1 } });
      const first = await stateOf(device.id);
      await call(operator, 'PATCH', `/devices/${device.id}/state`, { state: { a: 1 } });
      const same = await stateOf(device.id);
      assert.equal(same.desired.version, first.desired.version, 'same document, same version');
      assert.equal(same.layer.revision, first.layer.revision + 1, 'but a new revision');
      await call(operator, 'PATCH', `/devices/${device.id}/state`, { state: { b: { c: 2 } } });
      const changed = await stateOf(device.id);
      assert.equal(changed.desired.version, first.desired.version + 1);
      assert.deepEqual(changed.layer.state, { a: 1, b: { c: 2 } });
    });

    test('a label change moves a device into a profile and bumps its version', async () => {
      await createProfile({ name: 'cameras', selector: 'kind=camera', priority: 5, state: { apps: { cam: { command: 'cam' } } } });
      const { device } = await createDevice(t, operator, { name: 'moving', labels: { kind: 'sensor' } });
      const before = await stateOf(device.id);
      assert.equal(before.desired.state.apps, undefined);
      const patched = await call(operator, 'PATCH', `/devices/${device.id}`, { labels: { kind: 'camera' } });
      assert.equal(patched.statusCode, 200);
      await eventually(async () => {
        const after = await stateOf(device.id);
        assert.deepEqual(after.desired.state.apps, { cam: { command: 'cam' } });
        assert.equal(after.desired.version, before.desired.version + 1);
      });
    });

    test('history, diff and revert of a device layer', async () => {
      const { device } = await createDevice(t, operator, { name: 'history-1' });
      await call(operator, 'PUT', `/devices/${device.id}/state`, { state: { a: 1, nested: { x: 1 } }, message: 'first' });
      await call(operator, 'PATCH', `/devices/${device.id}/state`, { state: { a: 2, nested: { x: null, y: 2 }, added: [1] }, message: 'second' });
      await call(operator, 'PATCH', `/devices/${device.id}/state`, { state: { added: null } });
      const history = await call(viewer, 'GET', `/devices/${device.id}/state/history?limit=2`);
      assert.equal(history.statusCode, 200, history.body);
      const page = history.json<{ items: StateRevision[]; nextCursor: string | null }>();
      assert.deepEqual(page.items.map((item) => [item.revision, item.message]), [[3, 'patch the device layer'], [2, 'second']]);
      assert.equal(page.items[0]!.author.name, operator.user.email);
      const rest = await call(viewer, 'GET', `/devices/${device.id}/state/history?cursor=${page.nextCursor}`);
      assert.deepEqual(rest.json<{ items: StateRevision[] }>().items.map((item) => item.revision), [1]);

      const diff = await call(viewer, 'GET', `/devices/${device.id}/state/diff?from=1&to=2`);
      assert.equal(diff.statusCode, 200, diff.body);
      assert.deepEqual(diff.json<StateDiff>().changes, [
        { path: '/state/a', op: 'changed', from: 1, to: 2 },
        { path: '/state/nested/x', op: 'removed', from: 1 },
        { path: '/state/nested/y', op: 'added', to: 2 },
        { path: '/state/added', op: 'added', to: [1] },
      ]);
      const fromNothing = await call(viewer, 'GET', `/devices/${device.id}/state/diff?from=0&to=1`);
      assert.deepEqual(fromNothing.json<StateDiff>().changes, [{ path: '/state', op: 'added', to: { a: 1, nested: { x: 1 } } }]);

      const reverted = await call(operator, 'POST', `/devices/${device.id}/state/revert`, { revision: 1 });
      assert.equal(reverted.statusCode, 200, reverted.body);
      const state = reverted.json<DeviceState>();
      assert.equal(state.layer.revision, 4);
      assert.deepEqual(state.layer.state, { a: 1, nested: { x: 1 } });
      const latest = (await call(viewer, 'GET', `/devices/${device.id}/state/history?limit=1`)).json<{ items: StateRevision[] }>().items[0];
      assert.equal(latest?.message, 'revert to revision 1');

      assertProblem(await call(operator, 'POST', `/devices/${device.id}/state/revert`, { revision: 99 }), 404, 'STATE_REVISION_NOT_FOUND');
      assertProblem(await call(viewer, 'GET', `/devices/${device.id}/state/diff?from=1&to=42`), 404, 'STATE_REVISION_NOT_FOUND');
      assertFieldRefused(await call(viewer, 'GET', `/devices/${device.id}/state/diff?from=-1&to=2`), 'querystring/from');
      assertFieldRefused(await call(viewer, 'GET', `/devices/${device.id}/state/diff?from=abc&to=2`), 'querystring/from');
      assertFieldRefused(await call(viewer, 'GET', `/devices/${device.id}/state/diff?to=2`), 'querystring/from');
      assertFieldRefused(await call(operator, 'POST', `/devices/${device.id}/state/revert`, { revision: 0 }), 'body/revision');
    });

    test('profile updates, history, diff, revert and delete', async () => {
      const { device } = await createDevice(t, operator, { name: 'profiled', labels: { tier: 'gold' } });
      const profile = await createProfile({ name: 'gold', selector: 'tier=gold', priority: 1, state: { settings: { level: 1 } } });
      const patched = await call(operator, 'PATCH', `/profiles/${profile.id}`, { state: { settings: { level: 2, extra: true } }, priority: 3, message: 'level up' });
      assert.equal(patched.statusCode, 200, patched.body);
      assert.equal(patched.json<Profile>().revision, 2);
      assert.deepEqual((await stateOf(device.id)).desired.state.settings, { level: 2, extra: true });
      const diff = await call(viewer, 'GET', `/profiles/${profile.id}/diff?from=1&to=2`);
      assert.deepEqual(diff.json<StateDiff>().changes, [
        { path: '/state/settings/level', op: 'changed', from: 1, to: 2 },
        { path: '/state/settings/extra', op: 'added', to: true },
        { path: '/priority', op: 'changed', from: 1, to: 3 },
      ]);
      const history = (await call(viewer, 'GET', `/profiles/${profile.id}/history`)).json<{ items: StateRevision[] }>();
      assert.deepEqual(history.items.map((item) => [item.revision, item.message, item.priority]), [[2, 'level up', 3], [1, 'create profile gold', 1]]);
      const reverted = await call(operator, 'POST', `/profiles/${profile.id}/revert`, { revision: 1 });
      assert.equal(reverted.json<Profile>().revision, 3);
      assert.deepEqual((await stateOf(device.id)).desired.state.settings, { level: 1 });
      const renamed = await call(operator, 'PUT', `/profiles/${profile.id}`, { name: 'platinum', selector: 'tier in (gold,platinum)', priority: 1, state: { settings: { level: 9 } } });
      assert.equal(renamed.statusCode, 200, renamed.body);
      assert.deepEqual((await stateOf(device.id)).desired.state.settings, { level: 9 });
      const versionBefore = (await stateOf(device.id)).desired.version;
      const removed = await call(operator, 'DELETE', `/profiles/${profile.id}`);
      assert.equal(removed.statusCode, 204);
      assertProblem(await call(viewer, 'GET', `/profiles/${profile.id}`), 404, 'PROFILE_NOT_FOUND');
      const after = await stateOf(device.id);
      assert.equal(after.desired.state.settings, undefined);
      assert.equal(after.desired.version, versionBefore + 1);
    });

    test('profile names are unique in a tenant; bad selectors and priorities are refused', async () => {
      await createProfile({ name: 'unique', selector: '', priority: 0, state: {} });
      assertProblem(await call(operator, 'POST', '/profiles', { name: 'unique', selector: '', priority: 0, state: {} }), 409, 'PROFILE_NAME_TAKEN');
      assert.equal((await call(other, 'POST', '/profiles', { name: 'unique', selector: '', priority: 0, state: {} })).statusCode, 201, 'another tenant may use the name');
      assertProblem(await call(operator, 'POST', '/profiles', { name: 'bad-selector', selector: 'site in (', priority: 0, state: {} }), 400, 'INVALID_SELECTOR');
      assertFieldRefused(await call(operator, 'POST', '/profiles', { name: 'bad priority', selector: '', priority: 1.5, state: {} }), 'body/name');
      assertFieldRefused(await call(operator, 'POST', '/profiles', { name: 'p', selector: '', priority: 1.5, state: {} }), 'body/priority');
      assertFieldRefused(await call(operator, 'POST', '/profiles', { name: 'p', selector: '', priority: 1, state: {}, colour: 'red' }), 'body/colour');
      assertFieldRefused(await call(operator, 'POST', '/profiles', { name: 'p', selector: '', priority: 1, state: [] }), 'body/state');
    });

    test('bad device-layer input: unknown fields, wrong types, oversize, too deep, bad secret markers', async () => {
      const { device } = await createDevice(t, operator, { name: 'bad-input' });
      const url = `/devices/${device.id}/state`;
      assertFieldRefused(await call(operator, 'PUT', url, { state: {}, extra: 1 }), 'body/extra');
      assertFieldRefused(await call(operator, 'PUT', url, { state: 'text' }), 'body/state');
      assertFieldRefused(await call(operator, 'PUT', url, {}), 'body/state');
      assertProblem(await call(operator, 'PUT', url, { state: { blob: 'x'.repeat(300 * 1024) } }), 413, 'STATE_TOO_LARGE');
      let deep: Record<string, unknown> = { leaf: 1 };
      for (let level = 0; level < 40; level++) deep = { deep };
      assertProblem(await call(operator, 'PUT', url, { state: deep }), 400, 'STATE_DOCUMENT_INVALID');
      assertProblem(await call(operator, 'PUT', url, { state: { a: { $secret: 1 } } }), 400, 'STATE_DOCUMENT_INVALID');
      assertProblem(await call(operator, 'PUT', url, { state: { a: { $secret: 'x', b: 1 } } }), 400, 'STATE_DOCUMENT_INVALID');
      assert.equal((await stateOf(device.id)).layer.revision, 0, 'nothing was saved');
      assertProblem(await call(operator, 'PUT', '/devices/dev_missing/state', { state: {} }), 404, 'DEVICE_NOT_FOUND');
      assertFieldRefused(await call(operator, 'PUT', '/devices/bad id!/state', { state: {} }), 'params/id');
    });

    test('a viewer reads but cannot change state or profiles', async () => {
      const { device } = await createDevice(t, operator, { name: 'rbac-state' });
      const profile = await createProfile({ name: 'rbac', selector: 'nothing=here', priority: 0, state: {} });
      const attempts: Array<['PUT' | 'PATCH' | 'POST' | 'DELETE', string, unknown]> = [
        ['PUT', `/devices/${device.id}/state`, { state: {} }],
        ['PATCH', `/devices/${device.id}/state`, { state: {} }],
        ['POST', `/devices/${device.id}/state/revert`, { revision: 1 }],
        ['POST', '/profiles', { name: 'viewer-made', selector: '', priority: 0, state: {} }],
        ['PUT', `/profiles/${profile.id}`, { name: 'rbac', selector: '', priority: 0, state: {} }],
        ['PATCH', `/profiles/${profile.id}`, { priority: 2 }],
        ['DELETE', `/profiles/${profile.id}`, undefined],
        ['POST', `/profiles/${profile.id}/revert`, { revision: 1 }],
      ];
      for (const [method, url, payload] of attempts) assertProblem(await call(viewer, method, url, payload), 403, 'FORBIDDEN');
      for (const url of [`/devices/${device.id}/state`, `/devices/${device.id}/state/history`, '/profiles', `/profiles/${profile.id}`, `/profiles/${profile.id}/history`, '/state/drift']) {
        assert.equal((await call(viewer, 'GET', url)).statusCode, 200, url);
      }
      assert.equal((await call(viewer, 'POST', '/profiles/preview', { action: 'delete', id: profile.id })).statusCode, 200);
    });

    test("another tenant's devices and profiles answer 404", async () => {
      const { device } = await createDevice(t, operator, { name: 'isolated' });
      const profile = await createProfile({ name: 'isolated', selector: '', priority: 0, state: { mine: true } });
      for (const [method, url, payload] of [
        ['GET', `/devices/${device.id}/state`, undefined],
        ['PUT', `/devices/${device.id}/state`, { state: {} }],
        ['GET', `/devices/${device.id}/state/history`, undefined],
        ['GET', `/devices/${device.id}/state/diff?from=0&to=0`, undefined],
        ['POST', `/devices/${device.id}/state/revert`, { revision: 1 }],
      ] as const) {
        assertProblem(await call(other, method, url, payload), 404, 'DEVICE_NOT_FOUND');
      }
      for (const [method, url, payload] of [
        ['GET', `/profiles/${profile.id}`, undefined],
        ['PATCH', `/profiles/${profile.id}`, { priority: 1 }],
        ['DELETE', `/profiles/${profile.id}`, undefined],
        ['GET', `/profiles/${profile.id}/history`, undefined],
        ['POST', `/profiles/${profile.id}/revert`, { revision: 1 }],
        ['POST', '/profiles/preview', { action: 'delete', id: profile.id }],
      ] as const) {
        assertProblem(await call(other, method, url, payload), 404, 'PROFILE_NOT_FOUND');
      }
      const { device: theirs } = await createDevice(t, other, { name: 'theirs' });
      assert.equal((await call(other, 'GET', `/devices/${theirs.id}/state`)).json<DeviceState>().desired.state.mine, undefined, "one tenant's profiles never reach another's devices");
      const list = (await call(other, 'GET', '/profiles')).json<{ items: Profile[] }>();
      assert.ok(!list.items.some((item) => item.id === profile.id));
    });

    test('state changes are audited with their target', async () => {
      const { device } = await createDevice(t, operator, { name: 'audited' });
      await call(operator, 'PUT', `/devices/${device.id}/state`, { state: { a: 1 } });
      const audit = (await call(admin, 'GET', `/audit?targetId=${device.id}`)).json<{ items: Array<{ action: string; target: { type: string; id: string } }> }>();
      assert.ok(audit.items.some((entry) => entry.action === 'state.device.update' && entry.target.type === 'device' && entry.target.id === device.id), JSON.stringify(audit.items));
    });
  });
}

async function eventually(check: () => Promise<void>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}
