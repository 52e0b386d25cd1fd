/** mDNS on the loopback interface: a real server announces itself, discoverServer finds it and the SDK connects with what it found. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parseConfig } from '../../server/src/config.js';
import { createLogger } from '../../server/src/log.js';
import { startServer, type RunningServer } from '../../server/src/main.js';
import { createTestDatabase, SETUP_TOKEN, type TestDatabase } from '../../server/test/helpers.js';
import { discoverServer, discoverServers, NoServerFoundError } from '../src/discovery/index.js';
import { InvalidOptionsError } from '../src/index.js';
import { freePort } from './sdk-helpers.js';

describe('discovery by mDNS on loopback', () => {
  let database: TestDatabase;
  let server: RunningServer;
  let mqttPort: number;
  const name = `flotilla-test-${process.pid}`;

  before(async () => {
    database = await createTestDatabase('sqlite');
    mqttPort = await freePort();
    const config = parseConfig({
      flags: {
        dataDir: database.dataDir,
        httpHost: '127.0.0.1',
        httpPort: '0',
        mqttHost: '127.0.0.1',
        mqttPort: String(mqttPort),
        logLevel: 'silent',
        setupToken: SETUP_TOKEN,
        webDir: '',
        mdns: 'true',
        mdnsName: name,
        mdnsInterface: '127.0.0.1',
      },
    });
    server = await startServer(config, createLogger(config));
  });
  after(async () => {
    await server.close();
    await database.drop();
  });

  test('discoverServer finds the server with its URLs, version and protocol', async () => {
    const found = await discoverServer({ interface: '127.0.0.1', name, timeoutMs: 10_000 });
    assert.equal(found.name, name);
    assert.equal(found.serverUrl, server.url);
    assert.equal(found.mqttUrl, `mqtt://127.0.0.1:${mqttPort}`);
    assert.equal(found.protocol, 'v1');
    assert.match(found.version ?? '', /^\d+\.\d+\.\d+/);
    const health = await fetch(`${found.serverUrl}/healthz`);
    assert.equal(health.status, 200, 'the URL found answers');
  });

  test('discoverServers lists every server that answered; an unknown name finds none', async () => {
    const all = await discoverServers({ interface: '127.0.0.1', timeoutMs: 3000 });
    assert.ok(all.some((found) => found.name === name), 'the test server is among those found');
    await assert.rejects(discoverServer({ interface: '127.0.0.1', name: 'no-such-server', timeoutMs: 1000 }), NoServerFoundError);
  });

  test('bad options are refused', async () => {
    await assert.rejects(discoverServers({ interface: 'eth0' }), { name: 'InvalidOptionsError', message: /interface "eth0" must be an IPv4 address/ });
    await assert.rejects(discoverServer({ timeoutMs: -1 }), InvalidOptionsError);
  });
});
