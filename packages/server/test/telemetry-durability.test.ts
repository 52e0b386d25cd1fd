import assert from 'node:assert/strict';
import { once } from 'node:events';
import { test } from 'node:test';
import { createLogger } from '../src/log.js';
import { openStore } from '../src/store/database.js';
import { startChild } from './child-server.js';
import { createTestDatabase, dialects, testConfig } from './helpers.js';
import { basicAuth, createDevice, createTenant, storedPoints } from './telemetry-helpers.js';

for (const dialect of dialects) {
  test(`every telemetry point acknowledged before kill -9 is stored (${dialect})`, async () => {
    const database = await createTestDatabase(dialect);
    const config = testConfig(database);
    const log = createLogger(config);
    let store = await openStore(config, log);
    await store.migrate();
    const device = await createDevice(store.db, await createTenant(store.db));
    await store.close();

    const { child, url } = await startChild({
      FLOTILLA_DATA_DIR: database.dataDir,
      ...(database.databaseUrl ? { FLOTILLA_DATABASE_URL: database.databaseUrl } : {}),
    });
    const acknowledged: number[] = [];
    const base = Date.now() - 3_600_000;
    let next = 0;
    let isKilled = false;
    try {
      // Eight senders, each a message of three readings at a time of its own, as fast as answers come.
      const sender = async () => {
        while (!isKilled) {
          const ts = base + next++;
          try {
            const response = await fetch(`${url}/api/v1/device/telemetry`, {
              method: 'POST',
              headers: { authorization: basicAuth(device.id, device.secret), 'content-type': 'application/json' },
              body: JSON.stringify({ ts, values: { a: ts % 7, b: true, c: 'x' } }),
            });
            if (response.status === 200) acknowledged.push(ts);
            else await response.arrayBuffer();
          } catch {
            return; // the server is gone
          }
        }
      };
      const senders = Array.from({ length: 8 }, sender);
      while (acknowledged.length < 300) await new Promise((resolve) => setTimeout(resolve, 5));
      child.kill('SIGKILL');
      isKilled = true;
      await once(child, 'exit');
      await Promise.all(senders);
    } finally {
      child.kill('SIGKILL');
    }

    store = await openStore(config, log);
    try {
      const stored = new Set((await storedPoints(store.db, device.id)).map((row) => `${row.key}@${Number(row.ts)}`));
      const missing = acknowledged.flatMap((ts) => ['a', 'b', 'c'].map((key) => `${key}@${ts}`)).filter((point) => !stored.has(point));
      assert.deepEqual(missing, [], `${missing.length} of ${acknowledged.length * 3} acknowledged points are lost`);
      assert.ok(acknowledged.length >= 300);
    } finally {
      await store.close();
      await database.drop();
    }
  });
}
