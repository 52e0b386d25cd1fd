/** Retention of device events: the tenant's telemetry window applies, in small chunks, on both dialects. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseConfig } from '../src/config.js';
import { deviceEventsPruner } from '../src/events/events.repository.js';
import { createLogger } from '../src/log.js';
import { createRetention } from '../src/telemetry/retention.js';
import { dialects } from './helpers.js';
import { createDevice, createIngestFixture, createTenant } from './telemetry-helpers.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2025, 5, 15, 12);
const log = createLogger(parseConfig({ flags: { logLevel: 'silent' } }));

for (const dialect of dialects) {
  describe(`device event retention (${dialect})`, () => {
    test("deletes only events older than each tenant's window", async () => {
      const fixture = await createIngestFixture(dialect);
      try {
        const db = fixture.store.db;
        const longKeeper = await createDevice(db, fixture.tenantId); // default: 30 days
        const shortTenant = await createTenant(db, 'Short');
        await db.insertInto('telemetry_retention').values({ tenant_id: shortTenant, retention_days: 7, updated_at: NOW }).execute();
        const shortKeeper = await createDevice(db, shortTenant);
        const ages = [100, 40, 31, 29, 10, 6, 1];
        for (const device of [longKeeper, shortKeeper]) {
          await db
            .insertInto('device_events')
            .values(
              ages.map((age) => ({
                tenant_id: device.tenantId,
                device_id: device.id,
                ts: NOW - age * DAY,
                kind: 'age.test',
                level: 'info',
                message: String(age),
                data: '{}',
                source: 'device',
                received_at: NOW,
              })),
            )
            .execute();
        }

        const report = await createRetention({ store: fixture.store, log, options: { chunkSize: 2 }, pruners: [deviceEventsPruner] }).runOnce(NOW);

        const kept = async (deviceId: string) =>
          (await db.selectFrom('device_events').select('message').where('device_id', '=', deviceId).orderBy('ts').execute()).map((row) => row.message);
        assert.deepEqual(await kept(longKeeper.id), ['29', '10', '6', '1']);
        assert.deepEqual(await kept(shortKeeper.id), ['6', '1']);
        assert.equal(report.pruned.deviceEvents, 8);
      } finally {
        await fixture.close();
      }
    });
  });
}
