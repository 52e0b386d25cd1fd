/** The live stream: authentication, subscriptions by device, selector and key, event kinds, tenants. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { topics, type LiveServerMessage, type Session } from '@flotilla/protocol';
import type { MqttClient } from 'mqtt';
import { connectDevice, eventually, startBrokerFixture, type BrokerFixture } from './broker-helpers.js';
import { dialects } from './helpers.js';
import { liveUrl, openLive, refusedStatus, type LiveClient } from './live-helpers.js';
import { createTenant, type TestDevice } from './telemetry-helpers.js';

type Telemetry = Extract<LiveServerMessage, { type: 'telemetry' }>;
const isTelemetry = (message: LiveServerMessage): message is Telemetry => message.type === 'telemetry';
const telemetryOf =
  (deviceId: string) =>
  (message: LiveServerMessage): message is Telemetry =>
    isTelemetry(message) && message.deviceId === deviceId;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

for (const dialect of dialects) {
  describe(`live stream (${dialect})`, () => {
    let fixture: BrokerFixture;
    let viewer: Session;
    const clients: MqttClient[] = [];
    const lives: LiveClient[] = [];

    before(async () => {
      fixture = await startBrokerFixture(dialect);
      viewer = await fixture.signIn();
    });
    after(async () => {
      await Promise.all([...clients.map((client) => client.endAsync()), ...lives.map((live) => live.close())]);
      await fixture.close();
    });

    async function connected(device: TestDevice): Promise<MqttClient> {
      const client = await connectDevice(fixture.mqttUrl, device);
      clients.push(client);
      return client;
    }
    async function live(session = viewer, via: 'header' | 'query' = 'header'): Promise<LiveClient> {
      const client = await openLive(fixture.httpUrl, session.accessToken, via);
      lives.push(client);
      return client;
    }
    const publish = (client: MqttClient, device: TestDevice, values: Record<string, unknown>) =>
      client.publishAsync(topics.telemetry(device.id), JSON.stringify(values), { qos: 1 });

    test('the upgrade needs a valid Bearer token; a plain GET is told to open a WebSocket', async () => {
      assert.equal(await refusedStatus(liveUrl(fixture.httpUrl)), 401);
      assert.equal(await refusedStatus(`${liveUrl(fixture.httpUrl)}?token=nonsense`), 401);
      assert.equal(await refusedStatus(liveUrl(fixture.httpUrl), { authorization: 'Bearer flt_unknown' }), 401);
      const plain = await fixture.app.inject({ url: '/api/v1/live', headers: { authorization: `Bearer ${viewer.accessToken}` } });
      assert.equal(plain.statusCode, 426);
      assert.equal(plain.json().code, 'UPGRADE_REQUIRED');
      assert.equal((await fixture.app.inject({ url: '/api/v1/live' })).statusCode, 401);
    });

    test('a subscription by device ids gets those devices\' telemetry (token in ?token= as browsers send it)', async () => {
      const [mine, other] = [await fixture.device(), await fixture.device()];
      const [mineClient, otherClient] = [await connected(mine), await connected(other)];
      const stream = await live(viewer, 'query');
      await stream.subscribe({ id: 's1', devices: [mine.id], events: ['telemetry'] });
      await publish(otherClient, other, { temp: 1 });
      await publish(mineClient, mine, { ts: 1_750_000_000_000, values: { temp: 21.5, door: 'open' } });
      const message = await stream.next(isTelemetry);
      assert.deepEqual(message, {
        type: 'telemetry',
        subscription: 's1',
        deviceId: mine.id,
        points: [
          { key: 'temp', ts: 1_750_000_000_000, value: 21.5 },
          { key: 'door', ts: 1_750_000_000_000, value: 'open' },
        ],
      });
      await pause(100);
      assert.equal(stream.messages.filter(isTelemetry).length, 1, "the other device's telemetry is not sent");
    });

    test('keys narrow the points; a message with none of them is not sent', async () => {
      const device = await fixture.device();
      const client = await connected(device);
      const stream = await live();
      await stream.subscribe({ id: 'temps', devices: [device.id], keys: ['temp'] });
      await publish(client, device, { humidity: 40 });
      await publish(client, device, { humidity: 41, temp: 20 });
      const message = await stream.next(isTelemetry);
      assert.deepEqual(message.points.map((point) => point.key), ['temp']);
      await pause(100);
      assert.equal(stream.messages.filter(isTelemetry).length, 1);
    });

    test('a selector subscription follows labels: devices created or relabelled later are matched', async () => {
      const operator = await fixture.signIn(fixture.tenantId, 'operator');
      const headers = { authorization: `Bearer ${operator.accessToken}` };
      const [oslo, bergen] = [await fixture.device({ site: 'oslo' }), await fixture.device({ site: 'bergen' })];
      const [osloClient, bergenClient] = [await connected(oslo), await connected(bergen)];
      const stream = await live();
      await stream.subscribe({ id: 'oslo', selector: 'site=oslo', events: ['telemetry'] });
      await publish(bergenClient, bergen, { temp: 1 });
      await publish(osloClient, oslo, { temp: 2 });
      assert.equal((await stream.next(isTelemetry)).deviceId, oslo.id);

      const moved = await fixture.app.inject({ method: 'PATCH', url: `/api/v1/devices/${bergen.id}`, headers, payload: { labels: { site: 'oslo' } } });
      assert.equal(moved.statusCode, 200, moved.body);
      await eventually(async () => {
        await publish(bergenClient, bergen, { temp: 3 });
        await stream.next(telemetryOf(bergen.id), 200);
      });

      const created = await fixture.app.inject({ method: 'POST', url: '/api/v1/devices', headers, payload: { name: 'new-in-oslo', labels: { site: 'oslo' } } });
      assert.equal(created.statusCode, 201, created.body);
      const { device, secret } = created.json();
      const newClient = await connected({ id: device.id, secret, tenantId: fixture.tenantId });
      await publish(newClient, { id: device.id, secret, tenantId: fixture.tenantId }, { temp: 4 });
      assert.equal((await stream.next(telemetryOf(device.id))).points[0]?.value, 4);
      assert.ok(!stream.messages.some((message) => isTelemetry(message) && message.deviceId === bergen.id && message.points[0]?.value === 1));
    });

    test('presence and device events reach subscribers that ask for them', async () => {
      const operator = await fixture.signIn(fixture.tenantId, 'operator');
      const stream = await live();
      await stream.subscribe({ id: 'p', selector: 'role=probe', events: ['presence', 'deviceEvent'] });
      const created = await fixture.app.inject({
        method: 'POST',
        url: '/api/v1/devices',
        headers: { authorization: `Bearer ${operator.accessToken}` },
        payload: { name: 'probe-1', labels: { role: 'probe' } },
      });
      const device: TestDevice = { id: created.json().device.id, secret: created.json().secret, tenantId: fixture.tenantId };
      const client = await connected(device);
      assert.deepEqual(await stream.next((message) => message.type === 'presence'), { type: 'presence', subscription: 'p', deviceId: device.id, online: true, at: (stream.messages.find((message) => message.type === 'presence') as { at: number }).at });
      await client.publishAsync(topics.telemetry(device.id), 'not json', { qos: 1 });
      const rejected = await stream.next((message) => message.type === 'deviceEvent');
      assert.equal(rejected.type === 'deviceEvent' && rejected.kind, 'telemetry.rejected');
      await client.endAsync();
      const offline = await stream.next((message) => message.type === 'presence' && !message.online);
      assert.equal(offline.type === 'presence' && offline.deviceId, device.id);
      assert.ok(!stream.messages.some(isTelemetry));
    });

    test("a viewer of another tenant sees nothing of this tenant's devices, even by naming them", async () => {
      const otherTenant = await createTenant(fixture.store.db, 'Other');
      const outsider = await live(await fixture.signIn(otherTenant));
      const device = await fixture.device({ site: 'oslo' });
      await outsider.subscribe({ id: 'all' });
      await outsider.subscribe({ id: 'named', devices: [device.id] });
      await outsider.subscribe({ id: 'selected', selector: 'site=oslo' });
      const insider = await live();
      await insider.subscribe({ id: 'all' });
      const client = await connected(device);
      await publish(client, device, { temp: 5 });
      await client.publishAsync(topics.telemetry(device.id), 'bad', { qos: 1 });
      await client.endAsync();
      await insider.next((message) => message.type === 'presence' && !message.online);
      await pause(100);
      assert.deepEqual(outsider.messages.filter((message) => !['subscribed'].includes(message.type)), []);
      assert.deepEqual(new Set(insider.messages.map((message) => message.type)), new Set(['subscribed', 'presence', 'telemetry', 'deviceEvent']));
    });

    test('bad messages are answered with an error and the connection stays open', async () => {
      const stream = await live();
      stream.send('not json');
      assert.equal((await stream.next((message) => message.type === 'error')).type, 'error');
      stream.send({ type: 'subscribe', id: 'x', events: ['weather'] } as never);
      stream.send({ type: 'subscribe', id: 'bad-selector', selector: 'site in (' });
      stream.send({ type: 'unsubscribe', id: 'never' });
      stream.send({ type: 'auth', token: 'expired' });
      await eventually(() => assert.equal(stream.messages.filter((message) => message.type === 'error').length, 5));
      const codes = stream.messages.flatMap((message) => (message.type === 'error' ? [message.code] : []));
      assert.deepEqual(codes, ['INVALID_MESSAGE', 'INVALID_MESSAGE', 'INVALID_SELECTOR', 'UNKNOWN_SUBSCRIPTION', 'UNAUTHENTICATED']);
      await stream.subscribe({ id: 'ok' });
      stream.send({ type: 'unsubscribe', id: 'ok' });
      await stream.next((message) => message.type === 'unsubscribed');
    });

    test('a fresh token of the same tenant can replace the connection\'s token; another tenant\'s cannot', async () => {
      const stream = await live();
      stream.send({ type: 'auth', token: (await fixture.signIn()).accessToken });
      await stream.next((message) => message.type === 'authenticated');
      stream.send({ type: 'auth', token: (await fixture.signIn(await createTenant(fixture.store.db, 'Third'))).accessToken });
      const refused = await stream.next((message) => message.type === 'error');
      assert.match(refused.type === 'error' ? refused.message : '', /another tenant/);
    });
  });
}
