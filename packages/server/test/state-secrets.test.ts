/**
 * Secrets of desired state: only their device ever sees them (MQTT and HTTP); every other read
 * path (API, history, diff, preview, audit, the database, the git history) shows them redacted.
 */
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { topics, type DesiredStateMessage, type Profile, type Session } from '@flotilla/protocol';
import type { MqttClient } from 'mqtt';
import { buildApp } from '../src/app.js';
import { createLogger } from '../src/log.js';
import { SECRET_KEY_FILE } from '../src/state/secret-key.js';
import { STATE_HISTORY_DIR } from '../src/state/state-history.js';
import { openStore } from '../src/store/database.js';
import { connectDevice, eventually, run, startBrokerFixture, type BrokerFixture } from './broker-helpers.js';
import { dialects } from './helpers.js';
import { basicAuth, type TestDevice } from './telemetry-helpers.js';

const PROFILE_SECRET = 'profile-secret-f00d';
const DEVICE_SECRET = 'device-secret-beef';
const NEW_SECRET = 'rotated-secret-cafe';
const SECRETS = [PROFILE_SECRET, DEVICE_SECRET, NEW_SECRET];

function assertNoSecret(text: string, where: string): void {
  for (const secret of SECRETS) assert.ok(!text.includes(secret), `${where} shows a secret: ${text.slice(0, 500)}`);
}

for (const dialect of dialects) {
  describe(`desired-state secrets (${dialect})`, () => {
    let fixture: BrokerFixture;
    let operator: Session;
    let admin: Session;
    let device: TestDevice;
    let profile: Profile;
    let client: MqttClient;
    const received: DesiredStateMessage[] = [];
    before(async () => {
      fixture = await startBrokerFixture(dialect);
      operator = await fixture.signIn(fixture.tenantId, 'operator');
      admin = await fixture.signIn(fixture.tenantId, 'admin');
      device = await fixture.device({ site: 'vault' });
      client = await connectDevice(fixture.mqttUrl, device);
      client.on('message', (topic, payload) => {
        if (topic === topics.stateDesired(device.id) && payload.length > 0) received.push(JSON.parse(payload.toString()) as DesiredStateMessage);
      });
      await client.subscribeAsync(topics.stateDesired(device.id), { qos: 1 });
    });
    after(async () => {
      await client.endAsync();
      await fixture.close();
    });

    const api = (session: Session, method: 'GET' | 'PUT' | 'PATCH' | 'POST', url: string, payload?: unknown) =>
      fixture.app.inject({ method, url: `/api/v1${url}`, headers: { authorization: `Bearer ${session.accessToken}` }, ...(payload === undefined ? {} : { payload: payload as object }) });

    test('the device gets its secrets in plain text over MQTT and HTTP', async () => {
      const created = await api(operator, 'POST', '/profiles', { name: 'vault', selector: 'site=vault', priority: 1, state: { settings: { apiKey: { $secret: PROFILE_SECRET } } } });
      assert.equal(created.statusCode, 201, created.body);
      profile = created.json<Profile>();
      const put = await api(operator, 'PUT', `/devices/${device.id}/state`, { state: { db: { password: { $secret: DEVICE_SECRET }, user: 'app' } } });
      assert.equal(put.statusCode, 200, put.body);
      const expected = { version: 2, state: { settings: { apiKey: PROFILE_SECRET }, db: { password: DEVICE_SECRET, user: 'app' } } };
      await eventually(() => assert.deepEqual(received.at(-1), expected), 10_000);
      const viaHttp = await fixture.app.inject({ method: 'GET', url: '/api/v1/device/state', headers: { authorization: basicAuth(device.id, device.secret) } });
      assert.deepEqual(viaHttp.json(), expected);
    });

    test('{"$secret":true} keeps a stored secret; a new value replaces it; true where none is stored is refused', async () => {
      const kept = await api(operator, 'PATCH', `/devices/${device.id}/state`, { state: { db: { password: { $secret: true }, user: 'app2' } } });
      assert.equal(kept.statusCode, 200, kept.body);
      await eventually(() => assert.equal((received.at(-1)?.state.db as { password?: string })?.password, DEVICE_SECRET), 10_000);
      const replaced = await api(operator, 'PUT', `/devices/${device.id}/state`, { state: { db: { password: { $secret: NEW_SECRET }, user: 'app2' } }, message: 'rotate' });
      assert.equal(replaced.statusCode, 200, replaced.body);
      await eventually(() => assert.equal((received.at(-1)?.state.db as { password?: string })?.password, NEW_SECRET), 10_000);
      const missing = await api(operator, 'PATCH', `/devices/${device.id}/state`, { state: { other: { $secret: true } } });
      assert.equal(missing.statusCode, 400);
      assert.equal(missing.json().code, 'STATE_SECRET_MISSING');
      assert.equal(missing.json().errors[0].field, 'body/state/other');
      const profileKept = await api(operator, 'PUT', `/profiles/${profile.id}`, { name: 'vault', selector: 'site=vault', priority: 1, state: { settings: { apiKey: { $secret: true }, more: 1 } } });
      assert.equal(profileKept.statusCode, 200, profileKept.body);
      await eventually(() => assert.deepEqual(received.at(-1)?.state.settings, { apiKey: PROFILE_SECRET, more: 1 }), 10_000);
    });

    test('no other read path shows a secret', async () => {
      const reads = [
        `/devices/${device.id}/state`,
        `/devices/${device.id}/state/history`,
        `/devices/${device.id}/state/diff?from=0&to=3`,
        `/devices/${device.id}/state/diff?from=2&to=3`,
        '/profiles',
        `/profiles/${profile.id}`,
        `/profiles/${profile.id}/history`,
        `/profiles/${profile.id}/diff?from=0&to=2`,
        '/audit',
        '/state/drift',
      ];
      for (const url of reads) {
        const response = await api(admin, 'GET', url);
        assert.equal(response.statusCode, 200, `${url}: ${response.body}`);
        assertNoSecret(response.body, url);
      }
      const state = (await api(admin, 'GET', `/devices/${device.id}/state`)).json();
      assert.deepEqual(state.desired.state.db.password, { $secret: true });
      assert.deepEqual(state.layer.state.db.password, { $secret: true });
      const diff = (await api(admin, 'GET', `/devices/${device.id}/state/diff?from=2&to=3`)).json();
      assert.deepEqual(diff.changes.find((change: { path: string }) => change.path === '/state/db/password'), { path: '/state/db/password', op: 'changed', from: { $secret: true }, to: { $secret: true } });

      const preview = await api(admin, 'POST', '/profiles/preview', { action: 'update', id: profile.id, profile: { name: 'vault', selector: 'site=vault', priority: 1, state: { settings: { apiKey: { $secret: NEW_SECRET } } } } });
      assert.equal(preview.statusCode, 200, preview.body);
      assertNoSecret(preview.body, 'preview');
      assert.deepEqual(preview.json().devices[0].changes, [
        { path: '/settings/apiKey', op: 'changed', from: { $secret: true }, to: { $secret: true } },
        { path: '/settings/more', op: 'removed', from: 1 },
      ]);

      for (const table of ['device_states', 'device_state_revisions', 'profiles', 'profile_revisions', 'audit_log'] as const) {
        const rows = await fixture.store.db.selectFrom(table).selectAll().execute();
        assertNoSecret(JSON.stringify(rows), `table ${table}`);
      }
    });

    test('the git history has every revision as a commit, with secrets redacted', async () => {
      const dir = join(fixture.config.dataDir, STATE_HISTORY_DIR);
      await eventually(async () => {
        const log = await run('git', ['-C', dir, 'log', '--format=%an <%ae>|%s']);
        assert.equal(log.code, 0, log.stderr);
        const lines = log.stdout.trim().split('\n');
        assert.equal(lines.length, 5, log.stdout);
        assert.ok(lines.includes(`${operator.user.name} <${operator.user.email}>|rotate`), log.stdout);
        assert.ok(lines.includes(`${operator.user.name} <${operator.user.email}>|create profile vault`), log.stdout);
      }, 20_000);
      const patches = await run('git', ['-C', dir, 'log', '-p']);
      assertNoSecret(patches.stdout, 'git log -p');
      const file = JSON.parse(readFileSync(join(dir, fixture.tenantId, 'devices', `${device.id}.json`), 'utf8'));
      assert.deepEqual(file.state.db, { password: { $secret: true }, user: 'app2' });
      const clone = await run('git', ['clone', '-q', dir, join(fixture.config.dataDir, 'clone')]);
      assert.equal(clone.code, 0, clone.stderr);
      assert.ok(JSON.parse(readFileSync(join(fixture.config.dataDir, 'clone', fixture.tenantId, 'profiles', 'vault.json'), 'utf8')).state.settings);
    });

    test('the key file is private, and a server with another key refuses to start', async () => {
      const keyFile = join(fixture.config.dataDir, SECRET_KEY_FILE);
      assert.equal(statSync(keyFile).mode & 0o777, 0o600);
      const config = Object.freeze({ ...fixture.config, mqttPort: 0, secretKey: 'ab'.repeat(32) });
      const log = createLogger(config);
      const store = await openStore(config, log);
      try {
        await assert.rejects(buildApp({ config, log, store }), /FLOTILLA_SECRET_KEY/);
      } finally {
        await store.close();
      }
    });
  });
}
