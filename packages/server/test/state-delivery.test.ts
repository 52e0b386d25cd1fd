/** Desired state to devices (retained MQTT, HTTP), reports back (MQTT, HTTP), drift, and a restart. */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { topics, type DesiredStateMessage, type DeviceState, type Session, type StateDriftItem } from '@flotilla/protocol';
import type { FastifyInstance } from 'fastify';
import type { MqttClient } from 'mqtt';
import { buildApp } from '../src/app.js';
import { createLogger } from '../src/log.js';
import { openStore } from '../src/store/database.js';
import { connectDevice, eventually, freePort, startBrokerFixture, type BrokerFixture } from './broker-helpers.js';
import { dialects } from './helpers.js';
import { basicAuth, type TestDevice } from './telemetry-helpers.js';

/** The desired-state messages a client receives, parsed. */
async function desiredInbox(client: MqttClient, deviceId: string): Promise<DesiredStateMessage[]> {
  const received: DesiredStateMessage[] = [];
  client.on('message', (topic, payload) => {
    if (topic === topics.stateDesired(deviceId) && payload.length > 0) received.push(JSON.parse(payload.toString()) as DesiredStateMessage);
  });
  await client.subscribeAsync(topics.stateDesired(deviceId), { qos: 1 });
  return received;
}

for (const dialect of dialects) {
  describe(`desired state delivery and reports (${dialect})`, () => {
    let fixture: BrokerFixture;
    let operator: Session;
    const clients: MqttClient[] = [];
    before(async () => {
      fixture = await startBrokerFixture(dialect);
      operator = await fixture.signIn(fixture.tenantId, 'operator');
    });
    after(async () => {
      await Promise.all(clients.map((client) => client.endAsync()));
      await fixture.close();
    });

    const api = (method: 'GET' | 'PUT' | 'PATCH', url: string, payload?: unknown) =>
      fixture.app.inject({ method, url: `/api/v1${url}`, headers: { authorization: `Bearer ${operator.accessToken}` }, ...(payload === undefined ? {} : { payload: payload as object }) });
    const asDevice = (device: TestDevice, method: 'GET' | 'PATCH', payload?: string, contentType = 'application/json') =>
      fixture.app.inject({ method, url: '/api/v1/device/state', headers: { authorization: basicAuth(device.id, device.secret), ...(payload === undefined ? {} : { 'content-type': contentType }) }, ...(payload === undefined ? {} : { payload }) });
    const connect = async (device: TestDevice) => {
      const client = await connectDevice(fixture.mqttUrl, device);
      clients.push(client);
      return client;
    };
    const stateOf = async (deviceId: string) => (await api('GET', `/devices/${deviceId}/state`)).json<DeviceState>();

    test('a change reaches the subscribed device retained over MQTT and by HTTP, secrets in plain text', async () => {
      const device = await fixture.device();
      const client = await connect(device);
      const inbox = await desiredInbox(client, device.id);
      const put = await api('PUT', `/devices/${device.id}/state`, { state: { settings: { interval: 5 }, db: { password: { $secret: 'hunter2' } } } });
      assert.equal(put.statusCode, 200, put.body);
      const expected = { version: 1, state: { settings: { interval: 5 }, db: { password: 'hunter2' } } };
      await eventually(() => assert.deepEqual(inbox, [expected]), 10_000);
      const viaHttp = await asDevice(device, 'GET');
      assert.equal(viaHttp.statusCode, 200, viaHttp.body);
      assert.deepEqual(viaHttp.json(), expected);

      const late = await connect(device);
      const lateInbox = await desiredInbox(late, device.id);
      await eventually(() => assert.deepEqual(lateInbox, [expected]), 10_000);
      assert.ok(fixture.events.deviceEvent.some((event) => event.deviceId === device.id && event.kind === 'state.desired_changed' && event.data.version === 1));
    });

    test('another device cannot read this one\'s desired state', async () => {
      const device = await fixture.device();
      const stranger = await fixture.device();
      await api('PUT', `/devices/${device.id}/state`, { state: { private: { $secret: 'mine' } } });
      const client = await connect(stranger);
      await assert.rejects(client.subscribeAsync(topics.stateDesired(device.id), { qos: 1 }), /Subscribe error/);
      const wrong = await fixture.app.inject({ method: 'GET', url: '/api/v1/device/state', headers: { authorization: basicAuth(device.id, stranger.secret) } });
      assert.equal(wrong.statusCode, 401);
      assert.equal(wrong.json().code, 'DEVICE_AUTH_FAILED');
    });

    test('reports over MQTT merge into the reported document; bad ones are dropped, counted and told to the owner', async () => {
      const device = await fixture.device();
      await api('PUT', `/devices/${device.id}/state`, { state: { a: 1 } });
      const client = await connect(device);
      await client.publishAsync(topics.stateReported(device.id), JSON.stringify({ os: { kernel: '6.1' }, applied: { version: 1, status: 'applied' } }), { qos: 1 });
      await client.publishAsync(topics.stateReported(device.id), JSON.stringify({ os: { arch: 'arm64' } }), { qos: 1 });
      let state = await stateOf(device.id);
      assert.deepEqual(state.reported.state, { os: { kernel: '6.1', arch: 'arm64' }, applied: { version: 1, status: 'applied' } });
      assert.equal(state.reported.version, 2);
      assert.equal(state.drift.inDrift, false);

      await client.publishAsync(topics.stateReported(device.id), 'not json', { qos: 1 });
      await client.publishAsync(topics.stateReported(device.id), '[1,2]', { qos: 1 });
      await client.publishAsync(topics.stateReported(device.id), JSON.stringify({ applied: { version: 'one' } }), { qos: 1 });
      await client.publishAsync(topics.stateReported(device.id), JSON.stringify({ first: 'x'.repeat(150 * 1024) }), { qos: 1 });
      await client.publishAsync(topics.stateReported(device.id), JSON.stringify({ second: 'y'.repeat(150 * 1024) }), { qos: 1 });
      assert.ok(client.connected, 'the connection stays open');
      state = await stateOf(device.id);
      assert.equal(state.reported.version, 3, 'only the good report was merged; the second large one would pass the cap');
      assert.equal(state.reported.rejected.count, 4);
      assert.match(String(state.reported.rejected.lastReason), /bytes; at most/);
      const rejected = fixture.events.deviceEvent.filter((event) => event.deviceId === device.id && event.kind === 'state.reported_rejected');
      assert.deepEqual(rejected.map((event) => event.data.transport), ['mqtt', 'mqtt', 'mqtt', 'mqtt']);
      assert.match(String(rejected[0]?.data.reason), /not JSON/);
      assert.match(String(rejected[1]?.data.reason), /JSON object/);
      assert.ok(fixture.events.deviceEvent.some((event) => event.deviceId === device.id && event.kind === 'state.reported' && event.data.version === 1));
      const metrics = await fixture.app.inject({ url: '/metrics' });
      assert.match(metrics.body, /flotilla_state_reports_rejected_total\{transport="mqtt"\} 4/);
    });

    test('reports over HTTP take JSON merge patches; bad ones answer 400 naming the field', async () => {
      const device = await fixture.device();
      const first = await asDevice(device, 'PATCH', JSON.stringify({ apps: { web: { status: 'ok' } } }), 'application/merge-patch+json');
      assert.equal(first.statusCode, 200, first.body);
      assert.deepEqual(first.json(), { version: 1 });
      const second = await asDevice(device, 'PATCH', JSON.stringify({ apps: { web: null, db: { status: 'ok' } } }));
      assert.deepEqual(second.json(), { version: 2 });
      assert.deepEqual((await stateOf(device.id)).reported.state, { apps: { db: { status: 'ok' } } });

      const badApplied = await asDevice(device, 'PATCH', JSON.stringify({ applied: { version: 1, status: 'done' } }));
      assert.equal(badApplied.statusCode, 400, badApplied.body);
      assert.equal(badApplied.json().code, 'STATE_DOCUMENT_INVALID');
      assert.equal(badApplied.json().errors[0].field, 'body/applied/status');
      const notJson = await asDevice(device, 'PATCH', '{"a":');
      assert.equal(notJson.json().code, 'MALFORMED_BODY');
      const array = await asDevice(device, 'PATCH', '[1]');
      assert.equal(array.statusCode, 400);
      const unauthenticated = await fixture.app.inject({ method: 'PATCH', url: '/api/v1/device/state', payload: { a: 1 } });
      assert.equal(unauthenticated.statusCode, 401);
      assert.equal((await stateOf(device.id)).reported.version, 2);
      assert.ok(fixture.events.deviceEvent.some((event) => event.deviceId === device.id && event.kind === 'state.reported_rejected' && event.data.transport === 'http'));
    });

    test('drift lists devices behind their desired version or failing, with the reason', async () => {
      const behind = await fixture.device({ fleet: 'drift' });
      const failing = await fixture.device({ fleet: 'drift' });
      const current = await fixture.device({ fleet: 'drift' });
      for (const device of [behind, failing, current]) await api('PUT', `/devices/${device.id}/state`, { state: { v: 1 } });
      await api('PUT', `/devices/${behind.id}/state`, { state: { v: 2 } });
      await asDevice(behind, 'PATCH', JSON.stringify({ applied: { version: 1, status: 'applied' } }));
      await asDevice(failing, 'PATCH', JSON.stringify({ applied: { version: 1, status: 'failed', error: 'disk full' } }));
      await asDevice(current, 'PATCH', JSON.stringify({ applied: { version: 1, status: 'applied' } }));
      const drift = await api('GET', '/state/drift?selector=fleet=drift');
      assert.equal(drift.statusCode, 200, drift.body);
      const items = drift.json<{ items: StateDriftItem[] }>().items;
      const byId = new Map(items.map((item) => [item.deviceId, item]));
      assert.equal(items.length, 2);
      assert.equal(byId.get(behind.id)?.reason, 'applied version 1 is behind desired version 2');
      assert.equal(byId.get(failing.id)?.reason, 'applying version 1 failed: disk full');
      assert.equal((await stateOf(behind.id)).drift.inDrift, true);
      const paged = await api('GET', '/state/drift?selector=fleet=drift&limit=1');
      const next = await api('GET', `/state/drift?selector=fleet=drift&limit=1&cursor=${paged.json().nextCursor}`);
      assert.equal(paged.json().items.length + next.json().items.length, 2);
      assert.equal((await api('GET', '/state/drift?selector=fleet in (')).json().code, 'INVALID_SELECTOR');
    });

    test('after a restart, a device that subscribes gets its desired state', async () => {
      const device = await fixture.device();
      await api('PUT', `/devices/${device.id}/state`, { state: { survives: true, token: { $secret: 'restart-secret' } } });
      await api('PATCH', `/devices/${device.id}/state`, { state: { more: 1 } });
      await Promise.all(clients.splice(0).map((client) => client.endAsync()));
      await fixture.stop();

      const mqttPort = await freePort();
      const config = Object.freeze({ ...fixture.config, mqttPort });
      const log = createLogger(config);
      const store = await openStore(config, log);
      await store.migrate();
      const app: FastifyInstance = await buildApp({ config, log, store });
      try {
        await app.listen({ host: '127.0.0.1', port: 0 });
        await app.broker.listen('127.0.0.1', mqttPort);
        const client = await connectDevice(`mqtt://127.0.0.1:${mqttPort}`, device);
        try {
          const inbox = await desiredInbox(client, device.id);
          await eventually(() => assert.deepEqual(inbox, [{ version: 2, state: { survives: true, token: 'restart-secret', more: 1 } }]), 10_000);
        } finally {
          await client.endAsync();
        }
        assert.ok((app.server.address() as AddressInfo).port > 0);
      } finally {
        await app.close();
      }
    });
  });
}
