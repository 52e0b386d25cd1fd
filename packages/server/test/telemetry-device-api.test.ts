import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/app.js';
import { createMemoryBus, type BusEvents } from '../src/bus/bus.js';
import { createLogger } from '../src/log.js';
import { openStore, type Store } from '../src/store/database.js';
import { createTestDatabase, dialects, testConfig, type TestDatabase } from './helpers.js';
import { basicAuth, createDevice, createTenant, storedPoints, type TestDevice } from './telemetry-helpers.js';

for (const dialect of dialects) {
  describe(`HTTP device telemetry (${dialect})`, () => {
    let database: TestDatabase;
    let store: Store;
    let app: FastifyInstance;
    let device: TestDevice;
    const deviceEvents: BusEvents['deviceEvent'][] = [];
    const telemetryEvents: BusEvents['telemetry'][] = [];

    before(async () => {
      database = await createTestDatabase(dialect);
      const config = testConfig(database);
      store = await openStore(config, createLogger(config));
      await store.migrate();
      const bus = createMemoryBus();
      bus.subscribe('deviceEvent', (event) => deviceEvents.push(event));
      bus.subscribe('telemetry', (event) => telemetryEvents.push(event));
      app = await buildApp({ config, log: createLogger(config), store, bus });
      device = await createDevice(store.db, await createTenant(store.db));
    });
    after(async () => {
      await app.close();
      await database.drop();
    });

    const post = (payload: unknown, authorization = basicAuth(device.id, device.secret)) =>
      app.inject({ method: 'POST', url: '/api/v1/device/telemetry', headers: { authorization, 'content-type': 'application/json' }, payload: JSON.stringify(payload) });

    test('a device posts readings; the answer comes once they are stored', async () => {
      const before = Date.now();
      const response = await post({ ts: Date.UTC(2025, 1, 1), values: { temp: 21.5, ok: true } });
      assert.equal(response.statusCode, 200, response.body);
      assert.deepEqual(response.json(), { accepted: 2 });
      const rows = await storedPoints(store.db, device.id);
      assert.deepEqual(rows.map((row) => row.key), ['ok', 'temp']);
      const seen = await store.db.selectFrom('devices').select('last_seen_at').where('id', '=', device.id).executeTakeFirstOrThrow();
      assert.ok(Number(seen.last_seen_at) >= before, 'last_seen_at moved to the time of the post');
      assert.equal(telemetryEvents.at(-1)?.deviceId, device.id);
    });

    test('readings without a time get the server time', async () => {
      const before = Date.now();
      assert.equal((await post({ rssi: -70 })).statusCode, 200);
      const rssi = (await storedPoints(store.db, device.id)).find((row) => row.key === 'rssi');
      assert.ok(rssi && Number(rssi.ts) >= before && Number(rssi.ts) <= Date.now());
    });

    test('wrong, unknown or missing credentials answer 401 and store nothing', async () => {
      const stored = (await storedPoints(store.db, device.id)).length;
      const attempts = [
        basicAuth(device.id, 'not-the-secret'),
        basicAuth('dev_unknown', device.secret),
        basicAuth(device.id, ''),
        'Basic !!!',
        `Bearer ${device.secret}`,
        '',
      ];
      for (const authorization of attempts) {
        const response = await post({ temp: 1 }, authorization);
        assert.equal(response.statusCode, 401, authorization);
        assert.equal(response.json<{ code: string }>().code, 'DEVICE_AUTH_FAILED');
        assert.match(response.headers['www-authenticate'] as string, /^Basic /);
      }
      assert.equal((await storedPoints(store.db, device.id)).length, stored);
    });

    test('bad payloads answer 400 with the reason, are counted on the device and told on the bus', async () => {
      const cases: [unknown, RegExp][] = [
        [{ temp: 'x'.repeat(5000) }, /temp: strings are at most 4096 characters/],
        [{ ts: 1700000000, values: { temp: 1 } }, /ts: 1700000000 is before 2000; send milliseconds, not seconds/],
        [{ ts: Date.now() + 3_600_000, temp: 1 }, /in the future/],
        [{ 'bad key': 1 }, /"bad key": keys are 1-128 letters/],
        [{ temp: null }, /temp: null is not a reading/],
        [[], /payload is an empty array/],
        [42, /payload must be an object/],
        [[{ temp: 1 }, { ts: 'soon', values: { temp: 2 } }], /\[1\]ts: must be epoch milliseconds or an ISO 8601 time/],
      ];
      const stored = (await storedPoints(store.db, device.id)).length;
      deviceEvents.length = 0;
      for (const [payload, reason] of cases) {
        const response = await post(payload);
        assert.equal(response.statusCode, 400, JSON.stringify(payload).slice(0, 80));
        const problem = response.json<{ code: string; detail: string }>();
        assert.equal(problem.code, 'TELEMETRY_PAYLOAD_INVALID');
        assert.match(problem.detail, reason);
      }
      assert.equal((await storedPoints(store.db, device.id)).length, stored, 'a bad message stores none of its readings');
      assert.equal(deviceEvents.length, cases.length);
      assert.deepEqual(
        { ...deviceEvents[0], at: 0 },
        { tenantId: device.tenantId, deviceId: device.id, kind: 'telemetry.rejected', at: 0, data: { reason: 'temp: strings are at most 4096 characters', transport: 'http' } },
      );
      const counted = await store.db.selectFrom('telemetry_rejections').selectAll().where('device_id', '=', device.id).executeTakeFirstOrThrow();
      assert.equal(Number(counted.count), cases.length);
      assert.match(counted.last_reason, /ts: must be epoch milliseconds/);
    });

    test('ingest is counted in the Prometheus metrics, and the routes are in the OpenAPI document', async () => {
      const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
      const committed = /^flotilla_telemetry_points_total (\d+)/m.exec(metrics);
      assert.ok(committed && Number(committed[1]) >= 3, 'points committed so far are counted');
      assert.match(metrics, /^flotilla_telemetry_rejected_total\{reason="payload"\} [1-9]/m);
      assert.match(metrics, /^flotilla_telemetry_pending_points 0$/m);
      assert.match(metrics, /^flotilla_telemetry_batch_points_count [1-9]/m);
      const openapi = (await app.inject({ method: 'GET', url: '/api/openapi.json' })).json<{ paths: Record<string, unknown> }>();
      for (const path of ['/api/v1/device/telemetry', '/api/v1/devices/{id}/telemetry', '/api/v1/devices/{id}/telemetry.csv', '/api/v1/telemetry/latest', '/api/v1/telemetry/query', '/api/v1/telemetry/retention']) {
        assert.ok(openapi.paths[path], `${path} is documented`);
      }
    });

    test('a body that is not JSON answers 400, and one that is not sent as JSON 415', async () => {
      const malformed = await app.inject({
        method: 'POST',
        url: '/api/v1/device/telemetry',
        headers: { authorization: basicAuth(device.id, device.secret), 'content-type': 'application/json' },
        payload: '{"temp": ',
      });
      assert.equal(malformed.statusCode, 400);
      assert.equal(malformed.json<{ code: string }>().code, 'MALFORMED_BODY');
      const text = await app.inject({
        method: 'POST',
        url: '/api/v1/device/telemetry',
        headers: { authorization: basicAuth(device.id, device.secret), 'content-type': 'text/plain' },
        payload: 'temp=1',
      });
      assert.equal(text.statusCode, 415);
    });
  });
}
