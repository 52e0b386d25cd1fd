/**
 * Where the broker is, as the server tells it: the broker listens on a free port (never 1883)
 * and the device is given only the server's URL.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { connectDevice, enroll, type DeviceClient } from '../src/index.js';
import { startSdkFixture, type SdkFixture } from './sdk-helpers.js';

describe('the broker address comes from the server', () => {
  let f: SdkFixture;
  let port: number;
  before(async () => {
    f = await startSdkFixture();
    port = Number(new URL(f.mqttUrl).port);
    assert.notEqual(port, 1883);
  });
  after(() => f.close());

  test('the enrollment answer names the broker: its real port, no TLS, the WebSocket path', async () => {
    const token = await f.enrollmentToken();
    const response = await fetch(`${f.httpUrl}/api/v1/device/enroll`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) });
    assert.equal(response.status, 201);
    const body = (await response.json()) as { connection: unknown };
    assert.deepEqual(body.connection, { mqtt: { port, tls: false }, websocketPath: '/mqtt' });
    const device = await enroll({ serverUrl: f.httpUrl, token });
    assert.equal(device.mqttUrl, `mqtt://127.0.0.1:${port}`);
  });

  test('GET /device/connection answers the device with its credentials, and refuses without them', async () => {
    const device = await enroll({ serverUrl: f.httpUrl, token: await f.enrollmentToken() });
    const authorization = `Basic ${Buffer.from(`${device.deviceId}:${device.secret}`).toString('base64')}`;
    const answered = await fetch(`${f.httpUrl}/api/v1/device/connection`, { headers: { authorization } });
    assert.equal(answered.status, 200);
    assert.deepEqual(await answered.json(), { mqtt: { port, tls: false }, websocketPath: '/mqtt' });
    const anonymous = await fetch(`${f.httpUrl}/api/v1/device/connection`);
    assert.equal(anonymous.status, 401);
    const wrong = await fetch(`${f.httpUrl}/api/v1/device/connection`, { headers: { authorization: `Basic ${Buffer.from(`${device.deviceId}:fld_wrong`).toString('base64')}` } });
    assert.equal(wrong.status, 401);
  });

  test('connectDevice without mqttUrl connects over MQTT to the port the server named', async () => {
    const device = await enroll({ serverUrl: f.httpUrl, token: await f.enrollmentToken() });
    let client: DeviceClient | null = null;
    try {
      client = await connectDevice({ serverUrl: f.httpUrl, deviceId: device.deviceId, secret: device.secret, transport: 'mqtt', connectTimeoutMs: 20_000 });
      assert.equal(client.transport, 'mqtt');
      // Resolves on PUBACK, which the server sends once the readings are stored.
      await client.publishTelemetry({ 'probe.value': 1 });
      assert.equal((await f.telemetry(device.deviceId, ['probe.value'])).length, 1);
    } finally {
      await client?.close();
    }
  });

  test('refused credentials stop the client before any broker is tried', async () => {
    await assert.rejects(
      connectDevice({ serverUrl: f.httpUrl, deviceId: 'dev_unknown', secret: 'fld_nothing', transport: 'mqtt', connectTimeoutMs: 20_000 }),
      (error: Error & { code?: string }) => error.code === 'CREDENTIALS_REFUSED' && /HTTP 401/.test(error.message),
    );
  });
});
