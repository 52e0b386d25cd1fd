import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createLogger } from '../src/log.js';
import { parseConfig } from '../src/config.js';
import { createPartitions, monthOf, partitionName } from '../src/telemetry/partitions.js';
import { createRetention } from '../src/telemetry/retention.js';
import { dialects } from './helpers.js';
import { createDevice, createIngestFixture, createTenant, storedPoints } from './telemetry-helpers.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2025, 5, 15, 12); // 15 June 2025
const log = createLogger(parseConfig({ flags: { logLevel: 'silent' } }));

for (const dialect of dialects) {
  describe(`telemetry retention (${dialect})`, () => {
    test("deletes only points older than each tenant's window, in small chunks", async () => {
      const fixture = await createIngestFixture(dialect);
      try {
        const db = fixture.store.db;
        const longKeeper = await createDevice(db, fixture.tenantId); // default: 30 days
        const shortTenant = await createTenant(db, 'Short');
        await db.insertInto('telemetry_retention').values({ tenant_id: shortTenant, retention_days: 7, updated_at: NOW }).execute();
        const shortKeeper = await createDevice(db, shortTenant);
        const ages = [100, 40, 31, 29, 10, 6, 1];
        for (const device of [longKeeper, shortKeeper]) {
          const old = Array.from({ length: 25 }, (_, index) => ({ key: 'burst', ts: NOW - 50 * DAY + index, value: index }));
          const points = [...old, ...ages.map((age) => ({ key: 'temp', ts: NOW - age * DAY, value: age }))];
          await fixture.ingest.submit({ tenantId: device.tenantId, deviceId: device.id, points });
        }

        const report = await createRetention({ store: fixture.store, log, options: { chunkSize: 4 } }).runOnce(NOW);

        const ageOf = (ts: number) => Math.round((NOW - ts) / DAY);
        const kept = async (deviceId: string) => (await storedPoints(db, deviceId)).map((row) => `${row.key}@${ageOf(Number(row.ts))}`);
        assert.deepEqual(await kept(longKeeper.id), ['temp@29', 'temp@10', 'temp@6', 'temp@1']);
        assert.deepEqual(await kept(shortKeeper.id), ['temp@6', 'temp@1']);
        assert.equal(report.skipped, false);
        const latest = await db.selectFrom('telemetry_latest').select('ts').execute();
        assert.equal(latest.length, 4, 'latest values stay, whatever their age');
        if (dialect === 'postgres') {
          assert.ok(report.droppedPartitions >= 1, 'months older than every window are dropped whole');
          const months = await createPartitions(db).list();
          assert.ok(!months.includes(monthOf(NOW - 100 * DAY)), `${partitionName(monthOf(NOW - 100 * DAY))} was dropped`);
          for (let month = monthOf(NOW); month <= monthOf(NOW) + 2; month++) assert.ok(months.includes(month), `${partitionName(month)} exists ahead`);
        }
      } finally {
        await fixture.close();
      }
    });

    if (dialect === 'postgres') {
      test('a late point for a month that retention dropped brings the month back', async () => {
        const fixture = await createIngestFixture(dialect);
        try {
          const device = await createDevice(fixture.store.db, fixture.tenantId);
          const old = NOW - 100 * DAY;
          await fixture.ingest.submit({ tenantId: device.tenantId, deviceId: device.id, points: [{ key: 'temp', ts: old, value: 1 }] });
          await createRetention({ store: fixture.store, log }).runOnce(NOW);
          assert.ok(!(await createPartitions(fixture.store.db).list()).includes(monthOf(old)));
          await fixture.ingest.submit({ tenantId: device.tenantId, deviceId: device.id, points: [{ key: 'temp', ts: old + 1, value: 2 }] });
          assert.deepEqual((await storedPoints(fixture.store.db, device.id)).map((row) => Number(row.ts)), [old + 1]);
        } finally {
          await fixture.close();
        }
      });
    }

    test('removes the points of deleted devices', async () => {
      const fixture = await createIngestFixture(dialect);
      try {
        const db = fixture.store.db;
        const gone = await createDevice(db, fixture.tenantId);
        const stays = await createDevice(db, fixture.tenantId);
        for (const device of [gone, stays]) {
          await fixture.ingest.submit({ tenantId: device.tenantId, deviceId: device.id, points: [{ key: 'temp', ts: NOW - DAY, value: 1 }] });
        }
        await db.deleteFrom('devices').where('id', '=', gone.id).execute();
        const report = await createRetention({ store: fixture.store, log }).runOnce(NOW);
        assert.equal(report.forgottenDevices, 1);
        const points = await db.selectFrom('telemetry_points').select('device_ref').execute();
        const refs = await db.selectFrom('telemetry_devices').select('device_id').execute();
        assert.equal(points.length, 1);
        assert.deepEqual(refs.map((row) => row.device_id), [stays.id]);
      } finally {
        await fixture.close();
      }
    });
  });
}
