import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Session } from '@flotilla/protocol';
import { createSecondTenant, createTestApp, dialects, type TestApp } from './helpers.js';
import { basicAuth, createDevice, signInWithRole, type TestDevice } from './telemetry-helpers.js';

const T0 = Date.UTC(2025, 0, 15); // midnight UTC, so hour and day buckets start here
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

// 18 readings of temp, 0…17, one every 10 minutes from T0: six in each of three hours.
// hum has the same times; door alternates true/false; mode is a string.
function readings() {
  return Array.from({ length: 18 }, (_, index) => ({
    ts: T0 + index * 10 * MINUTE,
    values: { temp: index, hum: 100 - index, door: index % 2 === 0, mode: index < 9 ? 'eco' : 'boost' },
  }));
}

for (const dialect of dialects) {
  describe(`telemetry queries (${dialect})`, () => {
    let testApp: TestApp;
    let admin: Session;
    let device: TestDevice;
    let other: TestDevice;

    before(async () => {
      testApp = await createTestApp(dialect);
      admin = await testApp.setup();
      device = await createDevice(testApp.store.db, admin.user.tenantId, { site: 'oslo' });
      other = await createDevice(testApp.store.db, admin.user.tenantId, { site: 'bergen' });
      for (const target of [device, other]) {
        const response = await testApp.request({ method: 'POST', url: '/api/v1/device/telemetry', headers: { authorization: basicAuth(target.id, target.secret) }, payload: readings() });
        assert.equal(response.statusCode, 200, response.body);
      }
    });
    after(async () => testApp.close());

    const get = (url: string, token = admin.accessToken) => testApp.request({ method: 'GET', url, token });
    const aggregate = async (query: string) => {
      const response = await get(`/api/v1/devices/${device.id}/telemetry?keys=temp&from=${T0}&to=${T0 + 3 * HOUR}&${query}`);
      assert.equal(response.statusCode, 200, response.body);
      return response.json<{ bucketMs: number; series: { key: string; points: { ts: number; value: number }[] }[] }>();
    };
    const values = async (query: string) => (await aggregate(query)).series[0]!.points.map((point) => point.value);

    test('every aggregate over hour buckets matches the sums done by hand', async () => {
      const expected: Record<string, number[]> = {
        avg: [2.5, 8.5, 14.5],
        min: [0, 6, 12],
        max: [5, 11, 17],
        sum: [15, 51, 87],
        count: [6, 6, 6],
        first: [0, 6, 12],
        last: [5, 11, 17],
      };
      for (const [agg, want] of Object.entries(expected)) {
        const reply = await aggregate(`agg=${agg}&bucket=1h`);
        assert.equal(reply.bucketMs, HOUR);
        assert.deepEqual(reply.series[0]!.points, want.map((value, hour) => ({ ts: T0 + hour * HOUR, value })), agg);
      }
    });

    test('each bucket size groups the points it should', async () => {
      assert.deepEqual(await values('agg=count&bucket=1m'), Array(18).fill(1));
      assert.deepEqual(await values('agg=count&bucket=5m'), Array(18).fill(1));
      assert.deepEqual(await values('agg=count&bucket=15m'), [2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1]);
      assert.deepEqual(await values('agg=sum&bucket=15m'), [1, 2, 7, 5, 13, 8, 19, 11, 25, 14, 31, 17]);
      assert.deepEqual(await values('agg=avg&bucket=6h'), [8.5]);
      assert.deepEqual(await values('agg=sum&bucket=1d'), [153]);
      const auto = await aggregate('agg=max&bucket=auto');
      assert.equal(auto.bucketMs, 30_000, 'three hours in 30-second buckets make 360');
      assert.equal(auto.series[0]!.points.length, 18);
    });

    test('a range starting inside a bucket counts only the points in the range', async () => {
      const response = await get(`/api/v1/devices/${device.id}/telemetry?keys=temp&from=${T0 + 30 * MINUTE}&to=${T0 + 90 * MINUTE}&agg=avg&bucket=1h`);
      assert.deepEqual(response.json<{ series: { points: unknown[] }[] }>().series[0]!.points, [
        { ts: T0, value: 4 },
        { ts: T0 + HOUR, value: 7 }, // 60, 70 and 80 minutes: 90 is the end, excluded
      ]);
    });

    test('booleans aggregate as 0 and 1; strings are left out of numeric aggregates but counted', async () => {
      const door = await get(`/api/v1/devices/${device.id}/telemetry?keys=door,mode&from=${T0}&to=${T0 + 3 * HOUR}&agg=avg&bucket=1d`);
      assert.deepEqual(door.json<{ series: unknown[] }>().series, [
        { key: 'door', points: [{ ts: T0, value: 0.5 }] },
        { key: 'mode', points: [] },
      ]);
      const count = await get(`/api/v1/devices/${device.id}/telemetry?keys=mode&from=${T0}&to=${T0 + 3 * HOUR}&agg=count&bucket=1d`);
      assert.deepEqual(count.json<{ series: { points: unknown[] }[] }>().series[0]!.points, [{ ts: T0, value: 18 }]);
    });

    test('raw points page by time then key, without gaps or repeats, in both orders', async () => {
      for (const order of ['asc', 'desc'] as const) {
        const seen: string[] = [];
        let cursor: string | null = null;
        do {
          const response = await get(`/api/v1/devices/${device.id}/telemetry?keys=temp,hum&from=${T0}&to=${T0 + 3 * HOUR}&limit=7&order=${order}${cursor ? `&cursor=${cursor}` : ''}`);
          assert.equal(response.statusCode, 200, response.body);
          const page: { items: { key: string; ts: number; value: number }[]; nextCursor: string | null } = response.json();
          assert.ok(page.items.length <= 7);
          seen.push(...page.items.map((item) => `${item.ts}/${item.key}/${item.value}`));
          cursor = page.nextCursor;
        } while (cursor);
        const expected = readings().flatMap((reading) => [`${reading.ts}/hum/${reading.values.hum}`, `${reading.ts}/temp/${reading.values.temp}`]);
        assert.deepEqual(seen, order === 'asc' ? expected : expected.reverse(), order);
      }
    });

    test('raw points of every key keep their types', async () => {
      const response = await get(`/api/v1/devices/${device.id}/telemetry?from=${T0}&to=${T0 + 1}`);
      assert.deepEqual(response.json(), {
        items: [
          { key: 'door', ts: T0, value: true },
          { key: 'hum', ts: T0, value: 100 },
          { key: 'mode', ts: T0, value: 'eco' },
          { key: 'temp', ts: T0, value: 0 },
        ],
        nextCursor: null,
      });
    });

    test('CSV exports stream raw points, or aggregates with agg', async () => {
      const raw = await get(`/api/v1/devices/${device.id}/telemetry.csv?keys=temp,mode&from=${T0}&to=${T0 + 3 * HOUR}`);
      assert.equal(raw.statusCode, 200);
      assert.match(raw.headers['content-type'] as string, /^text\/csv/);
      const lines = raw.body.trimEnd().split('\r\n');
      assert.equal(lines[0], 'time,key,value');
      assert.equal(lines.length, 1 + 36);
      assert.equal(lines[1], '2025-01-15T00:00:00.000Z,mode,eco');
      assert.equal(lines[2], '2025-01-15T00:00:00.000Z,temp,0');
      const aggregated = await get(`/api/v1/devices/${device.id}/telemetry?format=csv&keys=temp&from=${T0}&to=${T0 + 3 * HOUR}&agg=max&bucket=1h`);
      assert.equal(aggregated.body, 'time,key,max\r\n2025-01-15T00:00:00.000Z,temp,5\r\n2025-01-15T01:00:00.000Z,temp,11\r\n2025-01-15T02:00:00.000Z,temp,17\r\n');
    });

    test('latest values of the fleet, narrowed by selector and keys', async () => {
      const all = await get('/api/v1/telemetry/latest');
      assert.equal(all.statusCode, 200, all.body);
      const items = all.json<{ items: { deviceId: string; values: Record<string, { ts: number; value: unknown }> }[] }>().items;
      assert.deepEqual(items.map((item) => item.deviceId).sort(), [device.id, other.id].sort());
      assert.deepEqual(items[0]!.values.temp, { ts: T0 + 17 * 10 * MINUTE, value: 17 });
      const oslo = await get('/api/v1/telemetry/latest?selector=site%3Doslo&keys=temp,door');
      assert.deepEqual(oslo.json(), {
        items: [{ deviceId: device.id, name: device.id, values: { door: { ts: T0 + 170 * MINUTE, value: false }, temp: { ts: T0 + 170 * MINUTE, value: 17 } } }],
        nextCursor: null,
      });
      const paged = await get('/api/v1/telemetry/latest?limit=1&keys=temp');
      const first = paged.json<{ items: unknown[]; nextCursor: string }>();
      assert.equal(first.items.length, 1);
      const second = await get(`/api/v1/telemetry/latest?limit=1&keys=temp&cursor=${first.nextCursor}`);
      assert.equal(second.json<{ items: unknown[]; nextCursor: string | null }>().nextCursor, null);
      const byId = await get(`/api/v1/telemetry/latest?devices=${other.id},nope&keys=temp`);
      assert.deepEqual(byId.json<{ items: { deviceId: string }[] }>().items.map((item) => item.deviceId), [other.id], 'unknown ids are left out');
      const both = await get(`/api/v1/telemetry/latest?devices=${device.id},${other.id}&selector=site%3Dbergen`);
      assert.deepEqual(both.json<{ items: { deviceId: string }[] }>().items.map((item) => item.deviceId), [other.id], 'ids and selector both apply');
    });

    test('a query over several devices and keys', async () => {
      const response = await testApp.request({
        method: 'POST',
        url: '/api/v1/telemetry/query',
        token: admin.accessToken,
        payload: { selector: 'site in (oslo,bergen)', keys: ['temp', 'hum'], from: new Date(T0).toISOString(), to: T0 + 2 * HOUR, agg: 'min', bucket: '1h' },
      });
      assert.equal(response.statusCode, 200, response.body);
      const reply = response.json<{ series: { deviceId: string; key: string; points: { value: number }[] }[] }>();
      assert.equal(reply.series.length, 4);
      for (const series of reply.series) {
        assert.deepEqual(series.points.map((point) => point.value), series.key === 'temp' ? [0, 6] : [95, 89]);
      }
    });

    test("another tenant's devices are not found and not listed", async () => {
      const stranger = await createSecondTenant(testApp);
      const read = await get(`/api/v1/devices/${device.id}/telemetry`, stranger.accessToken);
      assert.equal(read.statusCode, 404);
      assert.equal(read.json<{ code: string }>().code, 'DEVICE_NOT_FOUND');
      assert.equal((await get(`/api/v1/devices/${device.id}/telemetry.csv`, stranger.accessToken)).statusCode, 404);
      assert.equal((await get(`/api/v1/devices/${device.id}/telemetry?agg=avg`, stranger.accessToken)).statusCode, 404);
      assert.deepEqual((await get('/api/v1/telemetry/latest', stranger.accessToken)).json(), { items: [], nextCursor: null });
      const query = await testApp.request({ method: 'POST', url: '/api/v1/telemetry/query', token: stranger.accessToken, payload: { deviceIds: [device.id], keys: ['temp'], agg: 'avg' } });
      assert.equal(query.statusCode, 404);
    });

    test('bad query parameters answer 4xx naming the field, never 500', async () => {
      const base = `/api/v1/devices/${device.id}/telemetry`;
      const cases: [string, number, string, string?][] = [
        [`${base}?from=yesterday`, 400, 'VALIDATION_FAILED', 'querystring/from'],
        [`${base}?to=2025-13-45T00:00:00Z`, 400, 'VALIDATION_FAILED', 'querystring/to'],
        [`${base}?from=${T0 + HOUR}&to=${T0}`, 400, 'VALIDATION_FAILED', 'querystring/from'],
        [`${base}?from=${T0}&to=${T0 + 30 * 24 * HOUR}&agg=avg&bucket=1m`, 400, 'VALIDATION_FAILED', 'querystring/bucket'],
        [`${base}?agg=median`, 400, 'VALIDATION_FAILED', 'querystring/agg'],
        [`${base}?bucket=2h&agg=avg`, 400, 'VALIDATION_FAILED', 'querystring/bucket'],
        [`${base}?keys=temp,bad%20key`, 400, 'VALIDATION_FAILED', 'querystring/keys'],
        [`${base}?limit=0`, 400, 'VALIDATION_FAILED', 'querystring/limit'],
        [`${base}?cursor=bm9wZQ`, 400, 'INVALID_CURSOR'],
        [`${base}?surprise=1`, 400, 'VALIDATION_FAILED', 'querystring/surprise'],
        ['/api/v1/telemetry/latest?selector=site%3D%3D%3D', 400, 'INVALID_SELECTOR'],
        ['/api/v1/telemetry/latest?devices=,,', 400, 'VALIDATION_FAILED', 'querystring/devices'],
        [`/api/v1/telemetry/latest?devices=${Array.from({ length: 101 }, (_, index) => `d${index}`).join(',')}`, 400, 'VALIDATION_FAILED', 'querystring/devices'],
        ['/api/v1/devices/nope/telemetry', 404, 'DEVICE_NOT_FOUND'],
      ];
      for (const [url, status, code, field] of cases) {
        const response = await get(url);
        assert.equal(response.statusCode, status, `${url}: ${response.body}`);
        const problem = response.json<{ code: string; errors?: { field: string }[] }>();
        assert.equal(problem.code, code, url);
        if (field) assert.ok(problem.errors?.some((error) => error.field === field), `${url} names ${field}: ${response.body}`);
      }
      const badBody = await testApp.request({ method: 'POST', url: '/api/v1/telemetry/query', token: admin.accessToken, payload: { keys: ['temp'], agg: 'avg', from: 'soon' } });
      assert.equal(badBody.statusCode, 400);
      assert.ok(badBody.json<{ errors: { field: string }[] }>().errors.some((error) => error.field === 'body/from'), badBody.body);
      assert.equal((await get(base, '')).statusCode, 401);
    });

    test('latest values follow readings that arrive after they were read, and never go back', async () => {
      const latestTemp = async () =>
        (await get('/api/v1/telemetry/latest?selector=site%3Dbergen&keys=temp')).json<{ items: { values: { temp: unknown } }[] }>().items[0]!.values.temp;
      const post = (payload: Record<string, unknown>) =>
        testApp.request({ method: 'POST', url: '/api/v1/device/telemetry', headers: { authorization: basicAuth(other.id, other.secret) }, payload });
      assert.deepEqual(await latestTemp(), { ts: T0 + 170 * MINUTE, value: 17 });
      assert.equal((await post({ ts: T0 + 5 * HOUR, values: { temp: 99, fresh: 'yes' } })).statusCode, 200);
      assert.deepEqual(await latestTemp(), { ts: T0 + 5 * HOUR, value: 99 });
      assert.equal((await post({ ts: T0 + 4 * HOUR, values: { temp: -1 } })).statusCode, 200);
      assert.deepEqual(await latestTemp(), { ts: T0 + 5 * HOUR, value: 99 }, 'a late reading is stored but is not the latest');
      const all = await get('/api/v1/telemetry/latest?selector=site%3Dbergen');
      assert.deepEqual(Object.keys(all.json<{ items: { values: object }[] }>().items[0]!.values), ['door', 'fresh', 'hum', 'mode', 'temp']);
    });

    test('a query of more than 500 series is refused, naming the field that chose them', async () => {
      const many = await Promise.all(Array.from({ length: 26 }, () => createDevice(testApp.store.db, admin.user.tenantId)));
      const keys = Array.from({ length: 20 }, (_, index) => `k${index}`);
      const response = await testApp.request({ method: 'POST', url: '/api/v1/telemetry/query', token: admin.accessToken, payload: { deviceIds: many.map((one) => one.id), keys, agg: 'avg' } });
      assert.equal(response.statusCode, 400, response.body);
      assert.deepEqual(response.json<{ errors: { field: string }[] }>().errors.map((error) => error.field), ['body/deviceIds']);
    });

    test('retention is read by viewers and set by admins only', async () => {
      const viewer = await signInWithRole(testApp, admin.user.tenantId, 'viewer');
      assert.deepEqual((await get('/api/v1/telemetry/retention', viewer.accessToken)).json(), { days: 30 });
      const refused = await testApp.request({ method: 'PUT', url: '/api/v1/telemetry/retention', token: viewer.accessToken, payload: { days: 7 } });
      assert.equal(refused.statusCode, 403);
      const set = await testApp.request({ method: 'PUT', url: '/api/v1/telemetry/retention', token: admin.accessToken, payload: { days: 7 } });
      assert.equal(set.statusCode, 200, set.body);
      assert.deepEqual((await get('/api/v1/telemetry/retention')).json(), { days: 7 });
      const tooLong = await testApp.request({ method: 'PUT', url: '/api/v1/telemetry/retention', token: admin.accessToken, payload: { days: 0 } });
      assert.equal(tooLong.statusCode, 400);
    });
  });
}
