/** Connecting to the embedded broker: credentials, CONNACK codes, limits, client ids, listeners. */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect as connectTcp, createServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { topics } from '@flotilla/protocol';
import type { MqttClient } from 'mqtt';
import { ListenError, startServer } from '../src/main.js';
import { connectDevice, connectPacket, freePort, rawConnect, run, startBrokerFixture, type BrokerFixture } from './broker-helpers.js';
import { createTestDatabase, dialects, SETUP_TOKEN, testConfig } from './helpers.js';

/** The CONNACK code an attempt was refused with (MQTT.js puts it on the error). */
async function refusalCode(attempt: Promise<MqttClient>): Promise<number | undefined> {
  const error = await attempt.then(
    (client) => {
      client.end(true);
      return null;
    },
    (failure: unknown) => failure as { code?: number },
  );
  assert.ok(error, 'the connection was accepted');
  return error.code;
}

for (const dialect of dialects) {
  describe(`broker connect (${dialect})`, () => {
    let fixture: BrokerFixture;
    before(async () => {
      fixture = await startBrokerFixture(dialect);
    });
    after(() => fixture.close());

    test('a device connects with its id and secret over TCP and over WebSocket at /mqtt', async () => {
      const device = await fixture.device();
      const tcp = await connectDevice(fixture.mqttUrl, device);
      const webSocket = await connectDevice(`${fixture.httpUrl.replace('http', 'ws')}/mqtt`, device);
      assert.ok(tcp.connected && webSocket.connected);
      await Promise.all([tcp.endAsync(), webSocket.endAsync()]);
    });

    test('a wrong secret, an unknown device or no password is refused with CONNACK 4 (bad user name or password)', async () => {
      const device = await fixture.device();
      assert.equal(await refusalCode(connectDevice(fixture.mqttUrl, { id: device.id, secret: 'fld_wrong' })), 4);
      assert.equal(await refusalCode(connectDevice(fixture.mqttUrl, { id: 'dev_unknown', secret: device.secret })), 4);
      assert.equal(await refusalCode(connectDevice(fixture.mqttUrl, { id: device.id, secret: '' })), 4);
      assert.equal(await refusalCode(connectDevice(`${fixture.httpUrl.replace('http', 'ws')}/mqtt`, { id: device.id, secret: 'fld_wrong' })), 4);
    });

    test('mosquitto_pub with a wrong secret is told bad user name or password', async () => {
      const device = await fixture.device();
      const result = await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(fixture.mqttPort), '-u', device.id, '-P', 'fld_wrong', '-t', 'x', '-m', '1']);
      assert.notEqual(result.code, 0);
      assert.match(result.stderr, /bad user name or password/i);
    });
  });
}

describe('broker connect rules', () => {
  let fixture: BrokerFixture;
  before(async () => {
    fixture = await startBrokerFixture('sqlite', { mqttConnectRatePerSecond: '4' });
  });
  after(() => fixture.close());

  test('an MQTT 5 client is refused with "unacceptable protocol version": the embedded broker speaks 3.1.1', async () => {
    const device = await fixture.device();
    await new Promise((resolve) => setTimeout(resolve, 1000)); // a full bucket of connection attempts
    assert.equal(await refusalCode(connectDevice(fixture.mqttUrl, device, { protocolVersion: 5 })), 1);
  });

  test('an empty client id with a persistent session is refused with CONNACK 2 ([MQTT-3.1.3-8])', async () => {
    const device = await fixture.device();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const persistent = await rawConnect(fixture.mqttPort, connectPacket({ clientId: '', username: device.id, password: device.secret, isClean: false }));
    assert.equal(persistent.returnCode, 2);
    persistent.socket.destroy();
    const clean = await connectDevice(fixture.mqttUrl, device, { clientId: '', clean: true });
    await clean.endAsync();
  });

  test('connection attempts beyond the rate are refused with CONNACK 3 (server unavailable)', async () => {
    const device = await fixture.device();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const attempts = await Promise.allSettled(Array.from({ length: 8 }, () => connectDevice(fixture.mqttUrl, device)));
    const refused = attempts.filter((attempt) => attempt.status === 'rejected').map((attempt) => (attempt.reason as { code?: number }).code);
    const accepted = attempts.flatMap((attempt) => (attempt.status === 'fulfilled' ? [attempt.value] : []));
    assert.ok(accepted.length >= 4 && accepted.length <= 5, `accepted ${accepted.length}`);
    assert.ok(refused.length >= 3 && refused.every((code) => code === 3), `refused with ${refused.join(', ')}`);
    await Promise.all(accepted.map((client) => client.endAsync()));
  });

  test('devices using the same client id do not take over each other ([MQTT-3.1.4-2] applies per device)', async () => {
    const [first, second] = [await fixture.device(), await fixture.device()];
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const a = await connectDevice(fixture.mqttUrl, first, { clientId: 'sensor' });
    const b = await connectDevice(fixture.mqttUrl, second, { clientId: 'sensor' });
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.ok(a.connected && b.connected, 'both stay connected');
    await Promise.all([a.endAsync(), b.endAsync()]);
  });

  test('a packet announcing more than the limit closes the connection before it is read', async () => {
    const socket = connectTcp(fixture.mqttPort, '127.0.0.1');
    await once(socket, 'connect');
    // A CONNECT announcing 100 MB: the remaining length 0x80 0x80 0xd0 0x2f, then a trickle of bytes.
    socket.write(Buffer.from([0x10, 0x80, 0x80, 0xd0, 0x2f, 0x00]));
    const closed = once(socket, 'close');
    const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error('still open')), 2000));
    await Promise.race([closed, timeout]);
  });
});

describe('broker listener', () => {
  test('a port in use stops start-up with a message naming FLOTILLA_MQTT_PORT', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    const database = await createTestDatabase('sqlite');
    try {
      await assert.rejects(startServer(testConfig(database, { mqttHost: '127.0.0.1', mqttPort: String(port) })), (error: unknown) => {
        assert.ok(error instanceof ListenError);
        assert.match(error.message, new RegExp(`port ${port} is already in use.*FLOTILLA_MQTT_PORT \\(--mqtt-port\\)`));
        return true;
      });
    } finally {
      blocker.close();
      await database.drop();
    }
  });

  test('with a certificate configured, MQTT speaks TLS on its port and WebSocket MQTT is wss', async () => {
    const database = await createTestDatabase('sqlite');
    const [cert, key] = [join(database.dataDir, 'cert.pem'), join(database.dataDir, 'key.pem')];
    const made = await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert]);
    assert.equal(made.code, 0, made.stderr);
    const port = await freePort();
    const server = await startServer(testConfig(database, { mqttHost: '127.0.0.1', mqttPort: String(port), tlsCertFile: cert, tlsKeyFile: key }));
    try {
      const operator = await server.app.inject({ method: 'POST', url: '/api/v1/setup', payload: { token: SETUP_TOKEN, email: 'a@example.com', password: 'correct horse battery', tenantName: 'Acme' } });
      const created = await server.app.inject({ method: 'POST', url: '/api/v1/devices', headers: { authorization: `Bearer ${operator.json().accessToken}` }, payload: { name: 'tls-1' } });
      const device = { id: created.json().device.id as string, secret: created.json().secret as string };
      const ca = readFileSync(cert);
      const overTls = await connectDevice(`mqtts://127.0.0.1:${port}`, device, { ca });
      const overWss = await connectDevice(`${server.url.replace('https', 'wss')}/mqtt`, device, { ca });
      await Promise.all([overTls.endAsync(), overWss.endAsync()]);
      const published = await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(port), '--cafile', cert, '-u', device.id, '-P', device.secret, '-q', '1', '-t', topics.telemetry(device.id), '-m', '{"temp":1}']);
      assert.equal(published.code, 0, published.stderr);
      const plain = await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(port), '-u', device.id, '-P', device.secret, '-t', topics.telemetry(device.id), '-m', '{"temp":1}']);
      assert.notEqual(plain.code, 0, 'plain MQTT is not spoken on a TLS port');
    } finally {
      await server.close();
      await database.drop();
    }
  });

  test('the MQTT port given is the one listening, and 0 turns the TCP listener off', async () => {
    const database = await createTestDatabase('sqlite');
    const port = await freePort();
    const server = await startServer(testConfig(database, { mqttHost: '127.0.0.1', mqttPort: String(port) }));
    const off = await startServer(testConfig(database, { mqttPort: '0' }));
    try {
      assert.equal(server.mqttPort, port);
      assert.equal(off.mqttPort, null);
    } finally {
      await server.close();
      await off.close();
      await database.drop();
    }
  });
});
