import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { TelemetryPoint } from '@flotilla/protocol';
import { AppError } from '../src/errors.js';
import { dialects } from './helpers.js';
import { createDevice, createIngestFixture, storedPoints } from './telemetry-helpers.js';

const T0 = Date.UTC(2025, 0, 15, 12);

function readings(count: number, ts: number, prefix = 'k'): TelemetryPoint[] {
  return Array.from({ length: count }, (_, index) => ({ key: `${prefix}${index}`, ts, value: index + 0.5 }));
}

for (const dialect of dialects) {
  describe(`telemetry ingest (${dialect})`, () => {
    test('many concurrent submissions are committed in a few transactions', async () => {
      const fixture = await createIngestFixture(dialect);
      try {
        const devices = await Promise.all(Array.from({ length: 10 }, () => createDevice(fixture.store.db, fixture.tenantId)));
        const submissions = Array.from({ length: 200 }, (_, index) => {
          const device = devices[index % devices.length]!;
          return fixture.ingest.submit({ tenantId: fixture.tenantId, deviceId: device.id, points: readings(10, T0 + index) });
        });
        await Promise.all(submissions);
        assert.ok(fixture.transactions() <= 3, `200 submissions took ${fixture.transactions()} transactions`);
        const count = await fixture.store.db.selectFrom('telemetry_points').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
        assert.equal(Number(count.n), 2000);
      } finally {
        await fixture.close();
      }
    });

    test('a submission resolves only once its points can be read, then they are published', async () => {
      const fixture = await createIngestFixture(dialect);
      try {
        const device = await createDevice(fixture.store.db, fixture.tenantId);
        const points = [
          { key: 'temp', ts: T0, value: 21.5 },
          { key: 'door', ts: T0, value: true },
          { key: 'mode', ts: T0, value: 'eco' },
          { key: 'gps', ts: T0, value: { lat: 59.9, lon: 10.7 } },
        ];
        // What a subscriber reads when the event arrives: published after commit, it sees all.
        const seenBySubscriber: Promise<number>[] = [];
        fixture.bus.subscribe('telemetry', () => seenBySubscriber.push(storedPoints(fixture.store.db, device.id).then((rows) => rows.length)));
        await fixture.ingest.submit({ tenantId: fixture.tenantId, deviceId: device.id, points });
        const rows = await storedPoints(fixture.store.db, device.id);
        assert.deepEqual(
          rows.map((row) => [row.key, Number(row.ts), row.value_num === null ? null : Number(row.value_num), row.value_text]),
          [
            ['door', T0, 1, null],
            ['gps', T0, null, '{"lat":59.9,"lon":10.7}'],
            ['mode', T0, null, 'eco'],
            ['temp', T0, 21.5, null],
          ],
        );
        assert.deepEqual(await Promise.all(seenBySubscriber), [4]);
        assert.deepEqual(fixture.events, [{ tenantId: fixture.tenantId, deviceId: device.id, points }]);
      } finally {
        await fixture.close();
      }
    });

    test('a re-sent point is stored once, and the first value stays', async () => {
      const fixture = await createIngestFixture(dialect);
      try {
        const device = await createDevice(fixture.store.db, fixture.tenantId);
        const submit = (value: number) => fixture.ingest.submit({ tenantId: fixture.tenantId, deviceId: device.id, points: [{ key: 'temp', ts: T0, value }] });
        await submit(1);
        await Promise.all([submit(2), submit(3)]);
        const rows = await storedPoints(fixture.store.db, device.id);
        assert.equal(rows.length, 1);
        assert.equal(Number(rows[0]!.value_num), 1);
      } finally {
        await fixture.close();
      }
    });

    test('the latest value only moves forward in time', async () => {
      const fixture = await createIngestFixture(dialect);
      try {
        const device = await createDevice(fixture.store.db, fixture.tenantId);
        const submit = (ts: number, value: number) =>
          fixture.ingest.submit({ tenantId: fixture.tenantId, deviceId: device.id, points: [{ key: 'temp', ts, value }] });
        await submit(T0 + 2000, 2);
        await submit(T0 + 1000, 1); // late arrival
        await Promise.all([submit(T0 + 3000, 3), submit(T0 + 500, 0.5)]); // same batch, out of order
        const latest = await fixture.store.db.selectFrom('telemetry_latest').select(['ts', 'value_num']).execute();
        assert.deepEqual(latest.map((row) => [Number(row.ts), Number(row.value_num)]), [[T0 + 3000, 3]]);
        assert.equal((await storedPoints(fixture.store.db, device.id)).length, 4);
      } finally {
        await fixture.close();
      }
    });

    test('a failing batch rejects each of its submissions and the writer goes on', async () => {
      let failNext = false;
      const fixture = await createIngestFixture(dialect, {}, (writer) => ({
        close: () => writer.close(),
        async write(batch) {
          if (failNext) {
            failNext = false;
            throw new Error('disk on fire');
          }
          return writer.write(batch);
        },
      }));
      try {
        const device = await createDevice(fixture.store.db, fixture.tenantId);
        const submit = (ts: number) => fixture.ingest.submit({ tenantId: fixture.tenantId, deviceId: device.id, points: [{ key: 'temp', ts, value: 1 }] });
        failNext = true;
        const results = await Promise.allSettled([submit(T0), submit(T0 + 1)]);
        assert.deepEqual(results.map((result) => result.status), ['rejected', 'rejected']);
        assert.equal(fixture.events.length, 0, 'nothing is published for a failed batch');
        await submit(T0 + 2);
        assert.deepEqual((await storedPoints(fixture.store.db, device.id)).map((row) => Number(row.ts)), [T0 + 2]);
      } finally {
        await fixture.close();
      }
    });

    test('past the soft bound submissions wait; past the hard bound they are refused', async () => {
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const fixture = await createIngestFixture(dialect, { softLimitPoints: 20, hardLimitPoints: 50, maxBatchPoints: 10 }, (writer) => ({
        close: () => writer.close(),
        async write(batch) {
          await gate;
          return writer.write(batch);
        },
      }));
      try {
        const device = await createDevice(fixture.store.db, fixture.tenantId);
        const submit = (index: number) => fixture.ingest.submit({ tenantId: fixture.tenantId, deviceId: device.id, points: readings(10, T0 + index) });
        const accepted = Array.from({ length: 5 }, (_, index) => submit(index)); // 50 points: 20 queued, 30 waiting
        assert.equal(fixture.ingest.pendingPoints(), 50);
        await assert.rejects(submit(99), (error: unknown) => error instanceof AppError && error.code === 'INGEST_OVERLOADED' && error.status === 503);
        assert.equal(fixture.ingest.pendingPoints(), 50, 'a refused submission holds no memory');
        release();
        await Promise.all(accepted);
        assert.equal(fixture.ingest.pendingPoints(), 0);
        assert.equal((await storedPoints(fixture.store.db, device.id)).length, 50);
      } finally {
        await fixture.close();
      }
    });

    test('close writes everything accepted, then refuses new submissions', async () => {
      const fixture = await createIngestFixture(dialect, { lingerMs: 50 });
      try {
        const device = await createDevice(fixture.store.db, fixture.tenantId);
        const pending = fixture.ingest.submit({ tenantId: fixture.tenantId, deviceId: device.id, points: readings(3, T0) });
        await fixture.ingest.close();
        await pending;
        assert.equal((await storedPoints(fixture.store.db, device.id)).length, 3);
        await assert.rejects(
          fixture.ingest.submit({ tenantId: fixture.tenantId, deviceId: device.id, points: readings(1, T0 + 1) }),
          (error: unknown) => error instanceof AppError && error.code === 'SERVICE_UNAVAILABLE',
        );
      } finally {
        await fixture.close();
      }
    });
  });
}
