/** Device publishes through the embedded broker: storage and acknowledgement, ACL, limits, routing. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { topics } from '@flotilla/protocol';
import type { MqttClient } from 'mqtt';
import pg from 'pg';
import { connectDevice, eventually, run, startBrokerFixture, type BrokerFixture } from './broker-helpers.js';
import { storedPoints, type TestDevice } from './telemetry-helpers.js';

/** The SUBACK return codes of a subscription, whether or not MQTT.js counts it a failure. */
function subscribe(client: MqttClient, filters: string[]): Promise<number[]> {
  return new Promise((resolve) => {
    client.subscribe(filters, { qos: 1 }, (error, granted) => {
      const failed = error as { packet?: { granted?: number[] } } | null;
      resolve(failed?.packet?.granted ?? (granted ?? []).map((grant) => grant.qos));
    });
  });
}

/** Messages a client receives, as topic and text. */
function inbox(client: MqttClient): Array<{ topic: string; text: string }> {
  const received: Array<{ topic: string; text: string }> = [];
  client.on('message', (topic, payload) => received.push({ topic, text: payload.toString() }));
  return received;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`broker publish (${dialect})`, () => {
    let fixture: BrokerFixture;
    let device: TestDevice;
    let client: MqttClient;
    before(async () => {
      fixture = await startBrokerFixture(dialect, { mqttMaxPayloadBytes: '1kb' });
      device = await fixture.device({ site: 'oslo' });
      client = await connectDevice(fixture.mqttUrl, device);
    });
    after(async () => {
      await client.endAsync();
      await fixture.close();
    });

    test('a QoS 1 telemetry message is in the store by the time its PUBACK arrives', async () => {
      for (let index = 0; index < 10; index++) {
        await client.publishAsync(topics.telemetry(device.id), JSON.stringify({ ts: 1_750_000_000_000 + index, values: { temp: index } }), { qos: 1 });
        assert.equal((await storedPoints(fixture.store.db, device.id)).length, index + 1, `point ${index} is stored when acknowledged`);
      }
      assert.equal(fixture.events.telemetry.filter((event) => event.deviceId === device.id).length, 10);
    });

    test('a payload that is not telemetry is acknowledged and refused; the next one on the connection is stored', async () => {
      const before = (await storedPoints(fixture.store.db, device.id)).length;
      await client.publishAsync(topics.telemetry(device.id), 'not json', { qos: 1 });
      await client.publishAsync(topics.telemetry(device.id), JSON.stringify({ temp: null }), { qos: 1 });
      await client.publishAsync(topics.telemetry(device.id), JSON.stringify({ humidity: 40 }), { qos: 1 });
      assert.ok(client.connected, 'the connection stays open');
      const points = await storedPoints(fixture.store.db, device.id);
      assert.equal(points.length, before + 1);
      assert.equal(points.at(-1)?.key, 'humidity');
      const rejected = fixture.events.deviceEvent.filter((event) => event.deviceId === device.id && event.kind === 'telemetry.rejected');
      assert.equal(rejected.length, 2);
      assert.equal(rejected[0]?.tenantId, device.tenantId);
      assert.match(String(rejected[0]?.data.reason), /not JSON/);
      assert.match(String(rejected[1]?.data.reason), /temp: null is not a reading/);
      const viewer = await fixture.signIn();
      const count = await fixture.app.inject({ url: `/api/v1/devices/${device.id}/telemetry/rejections`, headers: { authorization: `Bearer ${viewer.accessToken}` } });
      assert.equal(count.json().count, 2, count.body);
    });

    test('a payload over FLOTILLA_MQTT_MAX_PAYLOAD is dropped, counted and told to the owner', async () => {
      await client.publishAsync(topics.telemetry(device.id), JSON.stringify({ blob: 'y'.repeat(2000) }), { qos: 1 });
      assert.ok(client.connected);
      const event = fixture.events.deviceEvent.find((candidate) => candidate.deviceId === device.id && candidate.kind === 'mqtt.payload_too_large');
      assert.deepEqual(event?.data, { topic: topics.telemetry(device.id), bytes: 2011, limit: 1024 });
      const metrics = await fixture.app.inject({ url: '/metrics' });
      assert.match(metrics.body, /flotilla_mqtt_publishes_dropped_total\{reason="too_large"\} 1/);
    });

    test('a publish outside the device\'s own topics is dropped and counted; the connection stays', async () => {
      const other = await fixture.device();
      await client.publishAsync(topics.telemetry(other.id), JSON.stringify({ temp: 99 }), { qos: 1 });
      await client.publishAsync(topics.command(device.id, 'c1'), JSON.stringify({ name: 'reboot' }), { qos: 1 });
      await client.publishAsync('somewhere/else', 'x', { qos: 0 });
      await client.publishAsync(topics.telemetry(device.id), JSON.stringify({ ok: 1 }), { qos: 1 });
      assert.ok(client.connected);
      assert.equal((await storedPoints(fixture.store.db, other.id)).length, 0, 'nothing is stored for the other device');
      await eventually(() => {
        const denied = fixture.events.deviceEvent.filter((event) => event.deviceId === device.id && event.kind === 'mqtt.publish_denied');
        assert.deepEqual(denied.map((event) => event.data.topic), [topics.telemetry(other.id), topics.command(device.id, 'c1'), 'somewhere/else']);
      });
      const metrics = await fixture.app.inject({ url: '/metrics' });
      assert.match(metrics.body, /flotilla_mqtt_publishes_dropped_total\{reason="acl"\} 3/);
    });

    test('a subscription outside the device\'s own topics is refused with SUBACK 0x80', async () => {
      const other = await fixture.device();
      assert.deepEqual(await subscribe(client, [`flotilla/v1/d/${other.id}/#`, 'flotilla/v1/d/+/commands/+', '#', `flotilla/v1/d/${device.id}/#`]), [128, 128, 128, 1]);
      assert.ok(client.connected);
      assert.ok(fixture.events.deviceEvent.some((event) => event.kind === 'mqtt.subscribe_denied' && event.data.topic === '#'));
    });

    test('device telemetry is not routed to subscribers; what the server publishes to a device reaches it', async () => {
      const watcher = await fixture.device();
      const watcherClient = await connectDevice(fixture.mqttUrl, watcher);
      const own = inbox(client);
      const others = inbox(watcherClient);
      await subscribe(client, [`flotilla/v1/d/${device.id}/#`]);
      await subscribe(watcherClient, [`flotilla/v1/d/${watcher.id}/#`]);
      await client.publishAsync(topics.telemetry(device.id), JSON.stringify({ temp: 1 }), { qos: 1 });
      await fixture.app.broker.publish(topics.command(device.id, 'cmd_1'), JSON.stringify({ name: 'reboot' }));
      // Each device's desired state is delivered on any subscription that covers its topic.
      const notState = (messages = own) => messages.filter((message) => !message.topic.endsWith('/state/desired'));
      await eventually(() => assert.deepEqual(notState(), [{ topic: topics.command(device.id, 'cmd_1'), text: '{"name":"reboot"}' }]));
      await pause(100);
      assert.equal(notState().length, 1, 'the device does not get its own telemetry back');
      assert.deepEqual(notState(others), [], 'another device gets nothing');
      await watcherClient.endAsync();
    });

    test('mosquitto_pub stores telemetry with QoS 1; mosquitto_sub gets commands and is refused other topics', async () => {
      const cli = await fixture.device();
      const auth = ['-h', '127.0.0.1', '-p', String(fixture.mqttPort), '-u', cli.id, '-P', cli.secret];
      const published = await run('mosquitto_pub', [...auth, '-q', '1', '-t', topics.telemetry(cli.id), '-m', '{"temp":21.5,"door":"open"}']);
      assert.equal(published.code, 0, published.stderr);
      assert.deepEqual((await storedPoints(fixture.store.db, cli.id)).map((point) => point.key), ['door', 'temp']);

      const subscriber = run('mosquitto_sub', [...auth, '-q', '1', '-t', topics.commands(cli.id), '-C', '1', '-W', '5', '-v']);
      await eventually(async () => {
        await fixture.app.broker.publish(topics.command(cli.id, 'c9'), '{"name":"blink"}');
        assert.ok((await Promise.race([subscriber, pause(100).then(() => null)])) !== null);
      });
      const received = await subscriber;
      assert.equal(received.code, 0, received.stderr);
      assert.match(received.stdout, new RegExp(`^${topics.command(cli.id, 'c9')} \\{"name":"blink"\\}`));

      const refused = await run('mosquitto_sub', [...auth, '-t', `flotilla/v1/d/${device.id}/#`, '-C', '1', '-W', '2']);
      assert.match(refused.stderr, /All subscription requests were denied/);
    });

    if (dialect === 'postgres') {
      test('the PUBACK waits while the commit cannot happen (table locked by another session)', async () => {
        const locker = new pg.Client({ connectionString: fixture.config.databaseUrl as string });
        await locker.connect();
        await locker.query('begin');
        await locker.query('lock table telemetry_points in exclusive mode');
        let isAcknowledged = false;
        const publishing = client.publishAsync(topics.telemetry(device.id), JSON.stringify({ locked: 1 }), { qos: 1 }).then(() => (isAcknowledged = true));
        await pause(500);
        assert.equal(isAcknowledged, false, 'no PUBACK while the points cannot be committed');
        await locker.query('commit');
        await locker.end();
        await publishing;
        assert.ok((await storedPoints(fixture.store.db, device.id)).some((point) => point.key === 'locked'));
      });
    }
  });
}
