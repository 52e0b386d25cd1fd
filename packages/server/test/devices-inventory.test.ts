/** The inventory a device reports (over MQTT or HTTP) becomes its registry entry's `inventory`. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MAX_INVENTORY_BYTES, topics, type Device, type Page, type Session } from '@flotilla/protocol';
import type { MqttClient } from 'mqtt';
import { connectDevice, eventually, startBrokerFixture, type BrokerFixture } from './broker-helpers.js';
import { dialects } from './helpers.js';
import { basicAuth, createTenant, type TestDevice } from './telemetry-helpers.js';

const inventory = {
  hostname: 'pi-oslo-1',
  os: { platform: 'linux', name: 'Debian GNU/Linux', version: '12 (bookworm)', kernel: '6.1.0-rpi7' },
  arch: 'arm64',
  cpu: { model: 'Cortex-A72', cores: 4 },
  memoryBytes: 4_000_000_000,
  disks: [{ mount: '/', device: '/dev/mmcblk0p2', fsType: 'ext4', totalBytes: 31_000_000_000 }],
  network: [{ name: 'eth0', mac: 'dc:a6:32:00:00:01', addresses: ['192.168.1.20/24'] }],
  board: { model: 'Raspberry Pi 4 Model B Rev 1.4', serial: '10000000abcdef' },
  agent: { version: '1.2.3', node: 'v20.11.0' },
};

for (const dialect of dialects) {
  describe(`device inventory from reports (${dialect})`, () => {
    let fixture: BrokerFixture;
    let viewer: Session;
    let stranger: Session;
    const clients: MqttClient[] = [];
    before(async () => {
      fixture = await startBrokerFixture(dialect);
      viewer = await fixture.signIn(fixture.tenantId, 'viewer');
      stranger = await fixture.signIn(await createTenant(fixture.store.db, 'Other'), 'admin');
    });
    after(async () => {
      await Promise.all(clients.map((client) => client.endAsync()));
      await fixture.close();
    });

    const get = (session: Session, url: string) => fixture.app.inject({ method: 'GET', url: `/api/v1${url}`, headers: { authorization: `Bearer ${session.accessToken}` } });
    const deviceOf = async (deviceId: string) => {
      const response = await get(viewer, `/devices/${deviceId}`);
      assert.equal(response.statusCode, 200, response.body);
      return response.json<Device>();
    };
    const report = (device: TestDevice, patch: unknown) =>
      fixture.app.inject({ method: 'PATCH', url: '/api/v1/device/state', headers: { authorization: basicAuth(device.id, device.secret), 'content-type': 'application/merge-patch+json' }, payload: JSON.stringify(patch) });

    test('a report over HTTP fills the inventory; the device list and page show it', async () => {
      const device = await fixture.device();
      assert.equal((await deviceOf(device.id)).inventory, null);
      const response = await report(device, { inventory, apps: {} });
      assert.equal(response.statusCode, 200, response.body);
      assert.deepEqual((await deviceOf(device.id)).inventory, inventory);
      const list = await get(viewer, '/devices?limit=200');
      assert.equal(list.statusCode, 200, list.body);
      assert.deepEqual(list.json<Page<Device>>().items.find((item) => item.id === device.id)?.inventory, inventory);
      const event = fixture.events.deviceEvent.find((candidate) => candidate.deviceId === device.id && candidate.kind === 'state.reported');
      assert.equal(event?.data.inventory, true, 'the report event tells viewers the inventory changed');
    });

    test('a report over MQTT fills the inventory', async () => {
      const device = await fixture.device();
      const client = await connectDevice(fixture.mqttUrl, device);
      clients.push(client);
      await client.publishAsync(topics.stateReported(device.id), JSON.stringify({ inventory }), { qos: 1 });
      await eventually(async () => assert.deepEqual((await deviceOf(device.id)).inventory, inventory), 10_000);
    });

    test('a later patch merges into it, a report without it leaves it, null removes it', async () => {
      const device = await fixture.device();
      assert.equal((await report(device, { inventory })).statusCode, 200);
      assert.equal((await report(device, { inventory: { agent: { version: '1.3.0' }, board: { serial: null } } })).statusCode, 200);
      const merged = { ...inventory, agent: { ...inventory.agent, version: '1.3.0' }, board: { model: inventory.board.model } };
      assert.deepEqual((await deviceOf(device.id)).inventory, merged);
      assert.equal((await report(device, { applied: { version: 0, status: 'applied' } })).statusCode, 200);
      assert.deepEqual((await deviceOf(device.id)).inventory, merged);
      const reportEvents = fixture.events.deviceEvent.filter((candidate) => candidate.deviceId === device.id && candidate.kind === 'state.reported');
      assert.equal(reportEvents.at(-1)?.data.inventory, false);
      assert.equal((await report(device, { inventory: null })).statusCode, 200);
      assert.equal((await deviceOf(device.id)).inventory, null);
    });

    test('an inventory that is not an object, or too big, is refused and changes nothing', async () => {
      const device = await fixture.device();
      assert.equal((await report(device, { inventory })).statusCode, 200);
      const notObject = await report(device, { inventory: 'pi' });
      assert.equal(notObject.statusCode, 400, notObject.body);
      assert.match(notObject.body, /inventory must be a JSON object/);
      const huge = await report(device, { inventory: { notes: 'x'.repeat(MAX_INVENTORY_BYTES) } });
      assert.equal(huge.statusCode, 400, huge.body);
      assert.match(huge.body, /the inventory would be \d+ bytes/);
      assert.deepEqual((await deviceOf(device.id)).inventory, inventory);
    });

    test('another tenant cannot see the device or its inventory', async () => {
      const device = await fixture.device();
      assert.equal((await report(device, { inventory })).statusCode, 200);
      assert.equal((await get(stranger, `/devices/${device.id}`)).statusCode, 404);
      const list = await get(stranger, '/devices?limit=200');
      assert.equal(list.statusCode, 200, list.body);
      assert.equal(list.json<Page<Device>>().items.some((item) => item.id === device.id), false);
      assert.doesNotMatch(list.body, /pi-oslo-1/);
    });
  });
}
