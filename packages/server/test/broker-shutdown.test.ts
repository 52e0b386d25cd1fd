/** Shutting down with devices connected: they are disconnected and marked offline before the store closes. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger } from '../src/log.js';
import { openStore } from '../src/store/database.js';
import { closeOf, connectDevice, startBrokerFixture } from './broker-helpers.js';
import { dialects } from './helpers.js';

for (const dialect of dialects) {
  test(`closing the server disconnects MQTT clients over TCP and WebSocket and stores them offline (${dialect})`, async () => {
    const fixture = await startBrokerFixture(dialect);
    try {
      const [viaTcp, viaWebSocket] = [await fixture.device(), await fixture.device()];
      const tcp = await connectDevice(fixture.mqttUrl, viaTcp);
      const webSocket = await connectDevice(`${fixture.httpUrl.replace('http', 'ws')}/mqtt`, viaWebSocket);
      const closed = Promise.all([closeOf(tcp), closeOf(webSocket)]);
      await fixture.stop();
      await closed;
      const offline = fixture.events.presence.filter((event) => !event.online).map((event) => event.deviceId);
      assert.deepEqual(offline.sort(), [viaTcp.id, viaWebSocket.id].sort());

      const store = await openStore(fixture.config, createLogger(fixture.config));
      const rows = await store.db.selectFrom('devices').select(['id', 'online']).execute();
      await store.close();
      assert.deepEqual(rows.map((row) => Number(row.online)), [0, 0]);
      tcp.end(true);
      webSocket.end(true);
    } finally {
      await fixture.close();
    }
  });
}
