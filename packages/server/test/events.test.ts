/** Device events over MQTT and HTTP, the server's own notices, the lists, the live stream, tenants and limits. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { topics, type EventPage, type Session, type StoredEvent } from '@flotilla/protocol';
import { connectDevice, eventually, run, startBrokerFixture, type BrokerFixture } from './broker-helpers.js';
import { openLive } from './live-helpers.js';
import { assertProblem } from './problem-assert.js';
import { basicAuth, createTenant, type TestDevice } from './telemetry-helpers.js';

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`device events (${dialect})`, () => {
    let fixture: BrokerFixture;
    let viewer: Session;

    const postEvents = (device: TestDevice, payload: unknown, contentType = 'application/json') =>
      fixture.app.inject({
        method: 'POST',
        url: '/api/v1/device/events',
        headers: { authorization: basicAuth(device.id, device.secret), 'content-type': contentType },
        payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
      });
    const read = async (url: string, session: Session = viewer): Promise<EventPage> => {
      const response = await fixture.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${session.accessToken}` } });
      assert.equal(response.statusCode, 200, response.body);
      return response.json<EventPage>();
    };
    const eventsOf = async (deviceId: string, query = ''): Promise<StoredEvent[]> => (await read(`/api/v1/devices/${deviceId}/events${query}`)).items;

    before(async () => {
      fixture = await startBrokerFixture(dialect);
      viewer = await fixture.signIn(fixture.tenantId, 'viewer');
    });
    after(() => fixture.close());

    test('events posted over HTTP are stored, answered once stored, and listed newest first to a viewer', async () => {
      const device = await fixture.device();
      const one = await postEvents(device, { kind: 'app.started', message: 'v1.2 up', ts: Date.now() - 2000 });
      assert.equal(one.statusCode, 200, one.body);
      assert.deepEqual(one.json(), { accepted: 1 });
      const many = await postEvents(device, [
        { kind: 'app.crashed', level: 'error', message: 'segfault', ts: Date.now() - 1000, data: { exitCode: 139 } },
        { kind: 'app.restarted', level: 'warn' },
      ]);
      assert.deepEqual(many.json(), { accepted: 2 });
      // The answer came after the commit: the rows are there without waiting.
      const items = await eventsOf(device.id);
      assert.deepEqual(
        items.map((event) => [event.kind, event.level, event.message, event.source]),
        [
          ['app.restarted', 'warn', '', 'device'],
          ['app.crashed', 'error', 'segfault', 'device'],
          ['app.started', 'info', 'v1.2 up', 'device'],
        ],
      );
      assert.deepEqual(items[1]?.data, { exitCode: 139 });
      assert.equal(items[0]?.deviceId, device.id);
    });

    test('filters by kind (exact and prefix), level and above, source and time; pages with the cursor', async () => {
      const device = await fixture.device();
      const base = Date.now() - 60_000;
      const sent = Array.from({ length: 7 }, (_, index) => ({ kind: index % 2 ? 'net.down' : 'app.tick', level: index === 3 ? 'error' : 'info', ts: base + index * 1000 }));
      assert.equal((await postEvents(device, sent)).statusCode, 200);
      assert.deepEqual((await eventsOf(device.id, '?kind=net.down')).length, 3);
      assert.deepEqual((await eventsOf(device.id, '?kind=app.*')).length, 4);
      assert.deepEqual((await eventsOf(device.id, '?level=warn')).map((event) => event.ts), [new Date(base + 3000).toISOString()]);
      assert.equal((await eventsOf(device.id, '?source=server')).length, 0);
      const from = encodeURIComponent(new Date(base + 2000).toISOString());
      const to = encodeURIComponent(new Date(base + 5000).toISOString());
      assert.equal((await eventsOf(device.id, `?from=${from}&to=${to}`)).length, 3);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: EventPage = await read(`/api/v1/devices/${device.id}/events?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
        seen.push(...page.items.map((event) => event.ts));
        cursor = page.nextCursor;
      } while (cursor);
      assert.deepEqual(seen, sent.map((event) => new Date(event.ts).toISOString()).reverse());
      const badCursor = await fixture.app.inject({ method: 'GET', url: `/api/v1/devices/${device.id}/events?cursor=nonsense`, headers: { authorization: `Bearer ${viewer.accessToken}` } });
      assertProblem(badCursor, 400, 'INVALID_CURSOR');
    });

    test('bad events over HTTP are refused with the field named, nothing stored, and the owner told', async () => {
      const device = await fixture.device();
      const badLevel = await postEvents(device, [{ kind: 'ok.one' }, { kind: 'ok.two', level: 'loud' }]);
      assertProblem(badLevel, 400, 'EVENT_PAYLOAD_INVALID');
      assert.match(badLevel.json<{ detail: string }>().detail, /^body\/1\/level must be one of debug, info, warn, error/);
      assertProblem(await postEvents(device, { kind: 'Bad Kind' }), 400, 'EVENT_PAYLOAD_INVALID');
      assert.match((await postEvents(device, { kind: 'a.b', ts: 1_700_000_000 })).json<{ detail: string }>().detail, /body\/ts is before 2000/);
      assert.match((await postEvents(device, { kind: 'a.b', extra: 1 })).json<{ detail: string }>().detail, /body\/extra is not a field/);
      assert.match((await postEvents(device, { kind: 'a.b', data: { blob: 'x'.repeat(9000) } })).json<{ detail: string }>().detail, /body\/data must be at most 8192 bytes/);
      assert.match((await postEvents(device, [])).json<{ detail: string }>().detail, /empty array/);
      assertProblem(await postEvents(device, '{"kind":'), 400, 'MALFORMED_BODY');
      const stranger = await fixture.app.inject({ method: 'POST', url: '/api/v1/device/events', headers: { authorization: basicAuth(device.id, 'wrong') }, payload: { kind: 'a.b' } });
      assertProblem(stranger, 401, 'DEVICE_AUTH_FAILED');
      await eventually(async () => {
        const stored = await eventsOf(device.id);
        assert.deepEqual(stored.map((event) => [event.kind, event.source, event.level]), [['events.rejected', 'server', 'warn']]);
        assert.match(stored[0]?.message ?? '', /\[1\]\.level must be one of/);
      });
    });

    test('MQTT events are stored before the PUBACK; a bad message is dropped, told, and the connection goes on', async () => {
      const device = await fixture.device();
      const client = await connectDevice(fixture.mqttUrl, device);
      try {
        await client.publishAsync(topics.events(device.id), JSON.stringify({ kind: 'boot', message: 'hello' }), { qos: 1 });
        assert.deepEqual((await eventsOf(device.id)).map((event) => event.kind), ['boot']);
        await client.publishAsync(topics.events(device.id), 'not json', { qos: 1 });
        await client.publishAsync(topics.events(device.id), JSON.stringify([{ kind: 'x.ok' }, { kind: 7 }]), { qos: 1 });
        await client.publishAsync(topics.events(device.id), JSON.stringify([{ kind: 'after.bad', level: 'debug' }]), { qos: 1 });
        assert.ok(client.connected, 'the connection stays open');
        await eventually(async () => {
          const kinds = (await eventsOf(device.id)).map((event) => `${event.source}:${event.kind}`);
          assert.deepEqual(kinds.filter((kind) => kind.startsWith('device:')), ['device:after.bad', 'device:boot']);
          // Refusals within 10 s raise one notice; the rest are counted in the next one.
          assert.deepEqual(kinds.filter((kind) => kind.startsWith('server:')), ['server:events.rejected']);
        });
        const notice = (await eventsOf(device.id, '?source=server'))[0];
        assert.match(notice?.message ?? '', /payload is not JSON/);
        assert.equal(notice?.data.transport, 'mqtt');
      } finally {
        await client.endAsync();
      }
    });

    test("a device's last will on the events topic is stored when its connection dies", async () => {
      const device = await fixture.device();
      const will = { topic: topics.events(device.id), payload: Buffer.from(JSON.stringify({ kind: 'connection.lost', level: 'warn', message: 'gone' })), qos: 1 as const, retain: false };
      const client = await connectDevice(fixture.mqttUrl, device, { will });
      client.stream.destroy();
      await eventually(async () => {
        assert.deepEqual((await eventsOf(device.id, '?source=device')).map((event) => [event.kind, event.level, event.message]), [['connection.lost', 'warn', 'gone']]);
      });
      client.end(true);
    });

    test('mosquitto_pub sends an event with QoS 1', async () => {
      const device = await fixture.device();
      const auth = ['-h', '127.0.0.1', '-p', String(fixture.mqttPort), '-u', device.id, '-P', device.secret];
      const published = await run('mosquitto_pub', [...auth, '-q', '1', '-t', topics.events(device.id), '-m', '{"kind":"app.crashed","level":"error","message":"out of memory"}']);
      assert.equal(published.code, 0, published.stderr);
      assert.deepEqual((await eventsOf(device.id)).map((event) => [event.kind, event.level, event.message]), [['app.crashed', 'error', 'out of memory']]);
    });

    test("the server's notices are stored: a refused telemetry payload", async () => {
      const device = await fixture.device();
      const response = await fixture.app.inject({
        method: 'POST',
        url: '/api/v1/device/telemetry',
        headers: { authorization: basicAuth(device.id, device.secret) },
        payload: { temp: 'x'.repeat(5000) },
      });
      assert.equal(response.statusCode, 400);
      await eventually(async () => {
        const stored = await eventsOf(device.id, '?kind=telemetry.rejected');
        assert.equal(stored.length, 1);
        assert.equal(stored[0]?.source, 'server');
        assert.equal(stored[0]?.level, 'warn');
        assert.equal(stored[0]?.data.transport, 'http');
        assert.ok((stored[0]?.message ?? '').length > 0);
      });
    });

    test('live subscribers get device events as stored, with level, message and source', async () => {
      const device = await fixture.device();
      const live = await openLive(fixture.httpUrl, viewer.accessToken);
      try {
        await live.subscribe({ id: 'ev', devices: [device.id], events: ['deviceEvent'] });
        assert.equal((await postEvents(device, { kind: 'door.opened', level: 'warn', message: 'back door', data: { door: 2 } })).statusCode, 200);
        const message = await live.next((candidate) => candidate.type === 'deviceEvent' && candidate.kind === 'door.opened');
        assert.deepEqual(message.type === 'deviceEvent' && { level: message.level, message: message.message, source: message.source, data: message.data }, {
          level: 'warn',
          message: 'back door',
          source: 'device',
          data: { door: 2 },
        });
      } finally {
        await live.close();
      }
    });

    test("another tenant sees nothing of a device's events; the fleet list narrows by selector", async () => {
      const oslo = await fixture.device({ site: 'oslo' });
      const bergen = await fixture.device({ site: 'bergen' });
      await postEvents(oslo, { kind: 'fleet.check', message: 'oslo' });
      await postEvents(bergen, { kind: 'fleet.check', message: 'bergen' });
      const fleet = await read('/api/v1/events?kind=fleet.check');
      assert.deepEqual(fleet.items.map((event) => event.message).sort(), ['bergen', 'oslo']);
      const narrowed = await read(`/api/v1/events?kind=fleet.check&selector=${encodeURIComponent('site=oslo')}`);
      assert.deepEqual(narrowed.items.map((event) => event.deviceId), [oslo.id]);

      const otherTenant = await createTenant(fixture.store.db, 'Other');
      const outsider = await fixture.signIn(otherTenant, 'admin');
      const foreign = await fixture.app.inject({ method: 'GET', url: `/api/v1/devices/${oslo.id}/events`, headers: { authorization: `Bearer ${outsider.accessToken}` } });
      assertProblem(foreign, 404, 'DEVICE_NOT_FOUND');
      assert.deepEqual((await read('/api/v1/events', outsider)).items, []);
      const anonymous = await fixture.app.inject({ method: 'GET', url: `/api/v1/devices/${oslo.id}/events` });
      assert.equal(anonymous.statusCode, 401);
      assertProblem(await fixture.app.inject({ method: 'GET', url: '/api/v1/events?selector=%3D%3D', headers: { authorization: `Bearer ${viewer.accessToken}` } }), 400, 'INVALID_SELECTOR');
    });

    test('a device over its rate is refused 429 with retry-after; another device is not affected', async () => {
      const noisy = await fixture.device();
      const quiet = await fixture.device();
      const batch = Array.from({ length: 100 }, (_, index) => ({ kind: 'flood', message: String(index) }));
      assert.equal((await postEvents(noisy, batch)).statusCode, 200);
      const refused = await postEvents(noisy, batch);
      assertProblem(refused, 429, 'EVENTS_RATE_LIMITED');
      assert.ok(Number(refused.headers['retry-after']) >= 1);
      assert.equal((await postEvents(quiet, batch)).statusCode, 200);
      assert.equal((await read(`/api/v1/devices/${noisy.id}/events?kind=flood&limit=500`)).items.length, 100);
    });
  });
}
