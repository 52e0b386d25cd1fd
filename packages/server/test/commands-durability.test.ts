/** Command results survive kill -9 once acknowledged: the HTTP 200 and the PUBACK come after the commit. */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { test } from 'node:test';
import { topics } from '@flotilla/protocol';
import { createCommandsRepository } from '../src/commands/commands.repository.js';
import { createLogger } from '../src/log.js';
import { openStore } from '../src/store/database.js';
import { newId } from '../src/store/ids.js';
import { connectDevice, freePort } from './broker-helpers.js';
import { startChild } from './child-server.js';
import { createTestDatabase, dialects, testConfig } from './helpers.js';
import { basicAuth, createDevice, createTenant } from './telemetry-helpers.js';

const COMMANDS = 3000;

for (const dialect of dialects) {
  test(`every command result acknowledged before kill -9 is stored, over MQTT and HTTP (${dialect})`, async () => {
    const database = await createTestDatabase(dialect);
    const config = testConfig(database);
    const log = createLogger(config);
    let store = await openStore(config, log);
    await store.migrate();
    const device = await createDevice(store.db, await createTenant(store.db));
    const now = Date.now();
    const ids = Array.from({ length: COMMANDS }, () => newId('cmd', now));
    await createCommandsRepository(store.db).insert(
      ids.map((id) => ({
        id,
        tenant_id: device.tenantId,
        device_id: device.id,
        batch_id: null,
        name: 'ping',
        params: '{}',
        status: 'sent',
        timeout_ms: 60_000,
        expires_at: null,
        timeout_at: null,
        created_by: null,
        created_at: now,
        sent_at: now,
        acknowledged_at: null,
        finished_at: null,
        output: null,
        error: null,
      })),
    );
    await store.close();

    const mqttPort = await freePort();
    const { child, url } = await startChild({
      FLOTILLA_DATA_DIR: database.dataDir,
      FLOTILLA_MQTT_HOST: '127.0.0.1',
      FLOTILLA_MQTT_PORT: String(mqttPort),
      ...(database.databaseUrl ? { FLOTILLA_DATABASE_URL: database.databaseUrl } : {}),
    });
    const acknowledged: string[] = [];
    let next = 0;
    let isKilled = false;
    const client = await connectDevice(`mqtt://127.0.0.1:${mqttPort}`, device);
    try {
      // MQTT answers one after another; HTTP answers from four senders at once, all as fast as acknowledgements come.
      const mqttSender = async () => {
        while (!isKilled && next < COMMANDS) {
          const id = ids[next++] as string;
          await client.publishAsync(topics.commandResult(device.id, id), JSON.stringify({ status: 'succeeded', output: { via: 'mqtt' } }), { qos: 1 });
          if (!isKilled) acknowledged.push(id);
        }
      };
      const httpSender = async () => {
        while (!isKilled && next < COMMANDS) {
          const id = ids[next++] as string;
          try {
            const response = await fetch(`${url}/api/v1/device/commands/${id}/result`, {
              method: 'POST',
              headers: { authorization: basicAuth(device.id, device.secret), 'content-type': 'application/json' },
              body: JSON.stringify({ status: 'succeeded', output: { via: 'http' } }),
            });
            if (response.status === 200) acknowledged.push(id);
            else await response.arrayBuffer();
          } catch {
            return; // the server is gone
          }
        }
      };
      void mqttSender().catch(() => undefined); // its last publish never gets a PUBACK
      const senders = Array.from({ length: 4 }, httpSender);
      while (acknowledged.length < 300 && next < COMMANDS) await new Promise((resolve) => setTimeout(resolve, 5));
      child.kill('SIGKILL');
      isKilled = true;
      await once(child, 'exit');
      await Promise.all(senders);
    } finally {
      child.kill('SIGKILL');
      client.end(true);
    }

    store = await openStore(config, log);
    try {
      const rows = await store.db.selectFrom('commands').select(['id', 'status', 'output']).where('id', 'in', acknowledged).execute();
      const succeeded = new Set(rows.filter((row) => row.status === 'succeeded' && row.output !== null).map((row) => row.id));
      const missing = acknowledged.filter((id) => !succeeded.has(id));
      assert.deepEqual(missing, [], `${missing.length} of ${acknowledged.length} acknowledged results are lost`);
      assert.ok(acknowledged.length >= 300);
      assert.ok(rows.some((row) => row.output?.includes('mqtt')), 'results came over MQTT too');
    } finally {
      await store.close();
      await database.drop();
    }
  });
}
