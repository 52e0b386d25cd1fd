/** Presence through the embedded broker: online and offline in the store and on the bus. */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import { buildApp } from '../src/app.js';
import { createLogger } from '../src/log.js';
import { openStore, type Store } from '../src/store/database.js';
import { closeOf, connectDevice, connectPacket, eventually, rawConnect, startBrokerFixture, type BrokerFixture } from './broker-helpers.js';
import { dialects } from './helpers.js';
import type { TestDevice } from './telemetry-helpers.js';

async function presenceRow(store: Store, deviceId: string) {
  return store.db.selectFrom('devices').select(['online', 'last_seen_at']).where('id', '=', deviceId).executeTakeFirstOrThrow();
}

for (const dialect of dialects) {
  describe(`broker presence (${dialect})`, () => {
    let fixture: BrokerFixture;
    before(async () => {
      fixture = await startBrokerFixture(dialect);
    });
    after(() => fixture.close());

    const changesOf = (device: TestDevice) => fixture.events.presence.filter((event) => event.deviceId === device.id).map((event) => event.online);

    test('a device is online while connected and offline after DISCONNECT, in the store and on the bus', async () => {
      const device = await fixture.device();
      const started = Date.now();
      const client = await connectDevice(fixture.mqttUrl, device);
      await eventually(async () => assert.equal(Number((await presenceRow(fixture.store, device.id)).online), 1));
      assert.ok(Number((await presenceRow(fixture.store, device.id)).last_seen_at) >= started);
      await eventually(() => assert.deepEqual(changesOf(device), [true]));
      const online = fixture.events.presence.find((event) => event.deviceId === device.id);
      assert.equal(online?.tenantId, device.tenantId);
      await client.endAsync();
      await eventually(() => assert.deepEqual(changesOf(device), [true, false]));
      assert.equal(Number((await presenceRow(fixture.store, device.id)).online), 0, 'written before it is published');
    });

    test('a device that stops talking goes offline when its keep-alive runs out ([MQTT-3.1.2-24])', async () => {
      const device = await fixture.device();
      const { socket, returnCode } = await rawConnect(fixture.mqttPort, connectPacket({ clientId: 'silent', username: device.id, password: device.secret, keepaliveSeconds: 1 }));
      assert.equal(returnCode, 0);
      await eventually(() => assert.deepEqual(changesOf(device), [true]));
      await once(socket, 'close');
      await eventually(() => assert.deepEqual(changesOf(device), [true, false]));
      assert.equal(Number((await presenceRow(fixture.store, device.id)).online), 0);
    });

    test('reconnecting with the same client id takes the session over without going offline', async () => {
      const device = await fixture.device();
      const first = await connectDevice(fixture.mqttUrl, device, { clientId: 'agent' });
      await eventually(() => assert.deepEqual(changesOf(device), [true]));
      const closed = closeOf(first);
      const second = await connectDevice(fixture.mqttUrl, device, { clientId: 'agent' });
      await closed;
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.deepEqual(changesOf(device), [true], 'no offline in between');
      assert.equal(Number((await presenceRow(fixture.store, device.id)).online), 1);
      await second.endAsync();
      await eventually(() => assert.deepEqual(changesOf(device), [true, false]));
    });

    test('a device with two connections stays online until both close', async () => {
      const device = await fixture.device();
      const [a, b] = [await connectDevice(fixture.mqttUrl, device), await connectDevice(fixture.mqttUrl, device)];
      await a.endAsync();
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.deepEqual(changesOf(device), [true]);
      await b.endAsync();
      await eventually(() => assert.deepEqual(changesOf(device), [true, false]));
    });

    test('a device whose secret is rotated, or that is deleted, is disconnected and cannot come back', async () => {
      const operator = await fixture.signIn(fixture.tenantId, 'operator');
      const headers = { authorization: `Bearer ${operator.accessToken}` };
      const [rotated, deleted] = [await fixture.device(), await fixture.device()];
      const clients = [await connectDevice(fixture.mqttUrl, rotated), await connectDevice(fixture.mqttUrl, deleted)];
      const closed = Promise.all(clients.map(closeOf));
      const rotation = await fixture.app.inject({ method: 'POST', url: `/api/v1/devices/${rotated.id}/secret`, headers });
      assert.equal(rotation.statusCode, 200, rotation.body);
      const removal = await fixture.app.inject({ method: 'DELETE', url: `/api/v1/devices/${deleted.id}`, headers });
      assert.equal(removal.statusCode, 204, removal.body);
      await closed;
      await assert.rejects(connectDevice(fixture.mqttUrl, rotated), { code: 4 });
      await assert.rejects(connectDevice(fixture.mqttUrl, deleted), { code: 4 });
      const fresh = await connectDevice(fixture.mqttUrl, { id: rotated.id, secret: rotation.json().secret });
      await fresh.endAsync();
    });

    test('devices left online by a crashed run are offline once the server starts again', async () => {
      const device = await fixture.device();
      await fixture.store.db.updateTable('devices').set({ online: 1 }).where('id', '=', device.id).execute();
      const log = createLogger(fixture.config);
      const store = await openStore(fixture.config, log);
      const app = await buildApp({ config: fixture.config, log, store });
      try {
        assert.equal(Number((await presenceRow(store, device.id)).online), 0);
      } finally {
        await app.close();
      }
    });
  });
}
