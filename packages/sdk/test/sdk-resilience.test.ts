/** The device client when things go wrong: MQTT blocked (auto falls back to HTTP and comes back), credentials revoked, bad input. */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, connect as connectTcp, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import {
  ClientClosedError,
  connectDevice,
  createDeviceClient,
  CredentialsRefusedError,
  enroll,
  EnrollmentRefusedError,
  InvalidOptionsError,
  InvalidPayloadError,
  NotConnectedError,
  NotSupportedError,
  ServerUnreachableError,
  type DeviceClient,
  type TransportKind,
} from '../src/index.js';
import { eventually, freePort, startSdkFixture, type SdkFixture } from './sdk-helpers.js';

/** A TCP relay from a port of its own to the broker: started later, it is MQTT "coming back". */
async function startRelay(port: number, targetPort: number): Promise<{ close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const relay = createServer((inbound) => {
    const outbound = connectTcp(targetPort, '127.0.0.1');
    for (const socket of [inbound, outbound]) {
      sockets.add(socket);
      socket.on('error', () => socket.destroy());
      socket.on('close', () => sockets.delete(socket));
    }
    inbound.pipe(outbound).pipe(inbound);
  });
  relay.listen(port, '127.0.0.1');
  await once(relay, 'listening');
  return {
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => relay.close(resolve));
    },
  };
}

/** The count of refused MQTT connections with bad credentials, from the server's metrics. */
async function badCredentialConnects(f: SdkFixture): Promise<number> {
  const text = await (await fetch(`${f.httpUrl}/metrics`)).text();
  const line = text.split('\n').find((row) => row.startsWith('flotilla_mqtt_connects_total{outcome="bad_credentials"}'));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

describe('device client resilience', () => {
  let f: SdkFixture;
  const clients: DeviceClient[] = [];
  const newDevice = async () => enroll({ serverUrl: f.httpUrl, token: await f.enrollmentToken() });

  before(async () => (f = await startSdkFixture()));
  after(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await f.close();
  });

  test('auto uses HTTP while the MQTT port is closed, and switches back to MQTT when it opens', async () => {
    const device = await newDevice();
    const mqttPort = await freePort();
    const transports: TransportKind[] = [];
    const client = createDeviceClient({
      serverUrl: f.httpUrl,
      mqttUrl: `mqtt://127.0.0.1:${mqttPort}`,
      deviceId: device.deviceId,
      secret: device.secret,
      transport: 'auto',
      mqttConnectTimeoutMs: 500,
      reconnect: { minDelayMs: 100, maxDelayMs: 300 },
    });
    clients.push(client);
    client.on('transport', (kind) => transports.push(kind));
    await eventually(() => assert.equal(client.isConnected, true), 15_000);
    assert.equal(client.transport, 'http');
    await client.publishTelemetry({ temp: 20 });
    assert.equal((await f.telemetry(device.deviceId, ['temp'])).length, 1, 'telemetry went over HTTP');

    const relay = await startRelay(mqttPort, f.server.mqttPort);
    try {
      await eventually(() => assert.equal(client.transport, 'mqtt'), 15_000);
      assert.deepEqual(transports, ['http', 'mqtt']);
      await eventually(() => assert.equal(client.isConnected, true));
      await client.publishTelemetry({ temp: 21 });
      assert.equal((await f.telemetry(device.deviceId, ['temp'])).length, 2, 'telemetry went over MQTT');
      await client.publishEvent({ kind: 'door.opened', data: { door: 'front' } });
    } finally {
      await client.close();
      await relay.close();
    }
  });

  test('a deleted device gets CredentialsRefusedError over MQTT and does not retry', async () => {
    const device = await newDevice();
    const client = await connectDevice({ serverUrl: f.httpUrl, mqttUrl: f.mqttUrl, deviceId: device.deviceId, secret: device.secret, transport: 'mqtt', reconnect: { minDelayMs: 20, maxDelayMs: 50 } });
    clients.push(client);
    const errors: Error[] = [];
    client.on('error', (error) => errors.push(error));
    const refusedBefore = await badCredentialConnects(f);
    await f.api('DELETE', `/devices/${device.deviceId}`, undefined, 204);
    // A message of our own: without one, assert.ok parses the test's source for each failed try.
    await eventually(() => assert.ok(errors.some((error) => error instanceof CredentialsRefusedError), 'a CredentialsRefusedError was emitted'), 15_000);
    const refusal = errors.find((error) => error instanceof CredentialsRefusedError) as CredentialsRefusedError;
    assert.equal(refusal.code, 'CREDENTIALS_REFUSED');
    assert.equal(refusal.transport, 'mqtt');
    assert.equal(client.isConnected, false);
    assert.equal(client.transport, null);
    await assert.rejects(client.publishTelemetry({ temp: 1 }), CredentialsRefusedError);
    // With reconnect delays of 20-50 ms a retry loop would have made dozens of attempts by now.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.equal(await badCredentialConnects(f), refusedBefore + 1, 'one refused attempt, then none');
  });

  test('a device given a new secret gets CredentialsRefusedError over HTTP; connectDevice with the old one rejects', async () => {
    const device = await newDevice();
    const client = await connectDevice({ serverUrl: f.httpUrl, deviceId: device.deviceId, secret: device.secret, transport: 'http' });
    clients.push(client);
    await f.api('POST', `/devices/${device.deviceId}/secret`);
    await assert.rejects(client.publishTelemetry({ temp: 1 }), (error: unknown) => error instanceof CredentialsRefusedError && error.transport === 'http');
    await assert.rejects(client.reportState({ a: 1 }), CredentialsRefusedError);
    assert.equal(client.isConnected, false);
    await assert.rejects(connectDevice({ serverUrl: f.httpUrl, mqttUrl: f.mqttUrl, deviceId: device.deviceId, secret: device.secret, transport: 'mqtt' }), CredentialsRefusedError);
    await assert.rejects(connectDevice({ serverUrl: f.httpUrl, deviceId: device.deviceId, secret: device.secret, transport: 'http' }), CredentialsRefusedError);
  });

  test('bad payloads are refused before sending, naming what is wrong; the client stays usable', async () => {
    const device = await newDevice();
    const client = await connectDevice({ serverUrl: f.httpUrl, mqttUrl: f.mqttUrl, deviceId: device.deviceId, secret: device.secret, transport: 'mqtt' });
    clients.push(client);
    await assert.rejects(client.publishTelemetry({ temp: Number.NaN }), { name: 'InvalidPayloadError', message: /temp: numbers must be finite/ });
    await assert.rejects(client.publishTelemetry({ ts: 1_700_000_000, values: { temp: 1 } }), { message: /send milliseconds, not seconds/ });
    await assert.rejects(client.publishTelemetry([]), InvalidPayloadError);
    await assert.rejects(client.publishTelemetry('21.5' as never), InvalidPayloadError);
    await assert.rejects(client.reportState([] as never), { message: /JSON object/ });
    await assert.rejects(client.sendCommandResult('cmd_1', { status: 'done' } as never), { message: /command result \/status/ });
    await assert.rejects(client.sendCommandResult('a/b', { status: 'succeeded' }), { message: /not a command id/ });
    await assert.rejects(client.publishEvent({ kind: 'Bad Kind' }), { message: /event kind/ });
    await client.publishTelemetry({ temp: 3 });
    assert.equal((await f.telemetry(device.deviceId, ['temp'])).length, 1);
    await client.close();
    await assert.rejects(client.publishTelemetry({ temp: 4 }), ClientClosedError);
  });

  test('events have no HTTP route: publishEvent over HTTP says so', async () => {
    const device = await newDevice();
    const client = await connectDevice({ serverUrl: f.httpUrl, deviceId: device.deviceId, secret: device.secret, transport: 'http' });
    clients.push(client);
    await assert.rejects(client.publishEvent({ kind: 'boot' }), NotSupportedError);
  });

  test('bad options and unreachable servers give clear errors', async () => {
    const good = { serverUrl: f.httpUrl, deviceId: 'dev_x', secret: 'fld_x' };
    assert.throws(() => createDeviceClient({ ...good, serverUrl: 'not a url' }), { name: 'InvalidOptionsError', message: /serverUrl "not a url"/ });
    assert.throws(() => createDeviceClient({ ...good, transport: 'carrier-pigeon' as never }), { message: /transport "carrier-pigeon" must be one of mqtt, http, auto/ });
    assert.throws(() => createDeviceClient({ ...good, secret: '' }), { message: /secret must be a non-empty string/ });
    assert.throws(() => createDeviceClient({ ...good, mqttUrl: 'http://x' }), { message: /mqttUrl must start with mqtt:\/\// });
    assert.throws(() => createDeviceClient({ ...good, reconnect: { minDelayMs: 500, maxDelayMs: 10 } }), InvalidOptionsError);
    await assert.rejects(enroll({ serverUrl: f.httpUrl, token: 'fle_wrong' }), (error: unknown) => error instanceof EnrollmentRefusedError && error.serverCode === 'ENROLLMENT_TOKEN_INVALID');
    await assert.rejects(enroll({ serverUrl: f.httpUrl, token: '' }), InvalidOptionsError);
    await assert.rejects(enroll({ serverUrl: f.httpUrl } as never), { message: /exactly one of token and claimCode/ });
    const closedPort = await freePort();
    await assert.rejects(enroll({ serverUrl: `http://127.0.0.1:${closedPort}`, token: 'fle_x' }), { name: 'ServerUnreachableError', message: /connection refused/ });
    await assert.rejects(
      connectDevice({ ...good, serverUrl: `http://127.0.0.1:${closedPort}`, transport: 'http', connectTimeoutMs: 500 }),
      ServerUnreachableError,
    );
    const offline = createDeviceClient({ ...good, serverUrl: `http://127.0.0.1:${closedPort}`, mqttUrl: `mqtt://127.0.0.1:${closedPort}`, transport: 'mqtt' });
    await assert.rejects(offline.publishTelemetry({ temp: 1 }), NotConnectedError);
    await offline.close();
  });
});
