/** Settings schemas declared by layers, and previews of profile changes. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { DeviceState, Profile, ProfilePreview, Session } from '@flotilla/protocol';
import { assertProblem, createDevice } from './device-helpers.js';
import { createTestApp, dialects, type TestApp } from './helpers.js';
import { assertFieldRefused } from './problem-assert.js';

const intervalSchema = {
  type: 'object',
  properties: { interval: { type: 'integer', minimum: 1 }, mode: { enum: ['fast', 'slow'] } },
  required: ['interval'],
};

for (const dialect of dialects) {
  describe(`desired-state schemas and previews (${dialect})`, () => {
    let t: TestApp;
    let operator: Session;
    before(async () => {
      t = await createTestApp(dialect);
      const admin = await t.setup();
      operator = await t.userWithRole(admin, 'operator');
    });
    after(() => t.close());

    const call = (method: 'GET' | 'PUT' | 'PATCH' | 'POST', url: string, payload?: unknown) =>
      t.request({ method, url: `/api/v1${url}`, token: operator.accessToken, ...(payload === undefined ? {} : { payload: payload as object }) });

    test('a device layer with a schema refuses settings that break it, naming each path', async () => {
      const { device } = await createDevice(t, operator, { name: 'schema-device' });
      const refused = await call('PUT', `/devices/${device.id}/state`, { state: { settings: { interval: 'often', mode: 'warp' } }, schema: intervalSchema });
      assertProblem(refused, 400, 'STATE_SCHEMA_VIOLATION');
      const fields = refused.json<{ errors: Array<{ field: string; message: string }> }>().errors;
      assert.deepEqual(fields.map((error) => error.field).sort(), ['/settings/interval', '/settings/mode']);
      assert.match(fields[0]!.message, /schema of the device layer/);
      const missing = await call('PUT', `/devices/${device.id}/state`, { state: { settings: {} }, schema: intervalSchema });
      assert.deepEqual(missing.json().errors.map((error: { field: string }) => error.field), ['/settings/interval']);
      const accepted = await call('PUT', `/devices/${device.id}/state`, { state: { settings: { interval: 5 } }, schema: intervalSchema });
      assert.equal(accepted.statusCode, 200, accepted.body);
      assert.deepEqual(accepted.json<DeviceState>().layer.schema, intervalSchema);
      assertProblem(await call('PATCH', `/devices/${device.id}/state`, { state: { settings: { interval: 0 } } }), 400, 'STATE_SCHEMA_VIOLATION');
      const dropped = await call('PATCH', `/devices/${device.id}/state`, { state: { settings: { interval: 'any' } }, schema: null });
      assert.equal(dropped.statusCode, 200, 'removing the schema lets anything through');
    });

    test('a profile schema binds every device it applies to, including their own layers', async () => {
      const { device } = await createDevice(t, operator, { name: 'schema-fleet-1', labels: { fleet: 'schema' } });
      await call('PUT', `/devices/${device.id}/state`, { state: { settings: { interval: 'slowly' } } });
      const profile = { name: 'schema-fleet', selector: 'fleet=schema', priority: 0, state: { settings: { interval: 10 } }, schema: intervalSchema };
      const refused = await call('POST', '/profiles', profile);
      assertProblem(refused, 400, 'STATE_SCHEMA_VIOLATION');
      assert.deepEqual(refused.json().errors.map((error: { field: string }) => error.field), [`device ${device.id}: /settings/interval`], refused.body);
      await call('PATCH', `/devices/${device.id}/state`, { state: { settings: null } });
      const created = await call('POST', '/profiles', profile);
      assert.equal(created.statusCode, 201, created.body);
      const broken = await call('PATCH', `/devices/${device.id}/state`, { state: { settings: { interval: -1 } } });
      assertProblem(broken, 400, 'STATE_SCHEMA_VIOLATION');
      assert.match(broken.json().errors[0].message, /schema of profile schema-fleet/);
    });

    test('a schema that is not a JSON Schema is refused', async () => {
      const { device } = await createDevice(t, operator, { name: 'bad-schema' });
      const refused = await call('PUT', `/devices/${device.id}/state`, { state: {}, schema: { type: 'nonsense' } });
      assertProblem(refused, 400, 'STATE_SCHEMA_INVALID');
      assert.equal(refused.json().errors[0].field, 'body/schema');
      assertFieldRefused(await call('PUT', `/devices/${device.id}/state`, { state: {}, schema: 'string' }), 'body/schema');
    });

    test('a preview lists the change of each affected device and saves nothing', async () => {
      const { device: oslo } = await createDevice(t, operator, { name: 'preview-oslo', labels: { region: 'oslo' } });
      const { device: bergen } = await createDevice(t, operator, { name: 'preview-bergen', labels: { region: 'bergen' } });
      await createDevice(t, operator, { name: 'preview-other', labels: { region: 'tromso' } });
      const created = await call('POST', '/profiles', { name: 'region', selector: 'region=oslo', priority: 0, state: { settings: { interval: 30 }, motd: 'hi' } });
      const profile = created.json<Profile>();
      const versionBefore = (await call('GET', `/devices/${oslo.id}/state`)).json<DeviceState>().desired.version;

      const update = await call('POST', '/profiles/preview', {
        action: 'update',
        id: profile.id,
        profile: { name: 'region', selector: 'region in (oslo,bergen)', priority: 0, state: { settings: { interval: 60 } } },
      });
      assert.equal(update.statusCode, 200, update.body);
      const preview = update.json<ProfilePreview>();
      assert.equal(preview.total, 2);
      const byId = new Map(preview.devices.map((item) => [item.deviceId, item]));
      assert.deepEqual(byId.get(oslo.id)?.changes, [
        { path: '/settings/interval', op: 'changed', from: 30, to: 60 },
        { path: '/motd', op: 'removed', from: 'hi' },
      ]);
      assert.deepEqual(byId.get(bergen.id)?.changes, [{ path: '/settings', op: 'added', to: { interval: 60 } }]);
      assert.equal(byId.get(oslo.id)?.version, versionBefore);

      const removal = (await call('POST', '/profiles/preview', { action: 'delete', id: profile.id })).json<ProfilePreview>();
      assert.deepEqual(removal.devices.map((item) => [item.deviceId, item.changes.map((change) => change.op)]), [[oslo.id, ['removed', 'removed']]]);
      const creation = (await call('POST', '/profiles/preview', { action: 'create', profile: { name: 'new', selector: 'region=tromso', priority: 0, state: { settings: { interval: 'x' } }, schema: intervalSchema } })).json<ProfilePreview>();
      assert.equal(creation.total, 1);
      assert.deepEqual(creation.devices[0]?.errors.map((error) => error.field), ['/settings/interval']);

      assert.equal((await call('GET', `/profiles/${profile.id}`)).json<Profile>().revision, 1, 'the profile is unchanged');
      assert.equal((await call('GET', `/devices/${oslo.id}/state`)).json<DeviceState>().desired.version, versionBefore, 'no device changed');
      assertProblem(await call('POST', '/profiles/preview', { action: 'update', profile: { name: 'x', selector: '', priority: 0, state: {} } }), 400, 'VALIDATION_FAILED');
      assertProblem(await call('POST', '/profiles/preview', { action: 'create', profile: { name: 'x', selector: 'a in (', priority: 0, state: {} } }), 400, 'INVALID_SELECTOR');
      assertFieldRefused(await call('POST', '/profiles/preview', { action: 'rename', id: profile.id }), 'body/action');
    });
  });
}
