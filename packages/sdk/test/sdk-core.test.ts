/** Enrollment and the device client against a real server, over MQTT and over HTTP. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { CommandMessage, DesiredStateMessage } from '@flotilla/protocol';
import { connectDevice, enroll, type DeviceClient, type EnrolledDeviceCredentials } from '../src/index.js';
import { eventually, startSdkFixture, type SdkFixture } from './sdk-helpers.js';

describe('enroll', () => {
  let f: SdkFixture;
  before(async () => (f = await startSdkFixture()));
  after(() => f.close());

  test('with an enrollment token: the device gets an id and secret, with the name asked for', async () => {
    const token = await f.enrollmentToken({ labels: { site: 'oslo' } });
    const device = await enroll({ serverUrl: f.httpUrl, token }, { name: 'kitchen-sensor' });
    assert.match(device.deviceId, /^dev_/);
    assert.match(device.secret, /^fld_/);
    assert.equal(device.name, 'kitchen-sensor');
    const listed = await f.api<{ labels: Record<string, string> }>('GET', `/devices/${device.deviceId}`);
    assert.deepEqual(listed.labels, { site: 'oslo' });
  });

  test('with a claim code', async () => {
    const { items } = await f.api<{ items: { deviceId: string; claimCode: string }[] }>('POST', '/claim-codes', { count: 1 }, 201);
    const device = await enroll({ serverUrl: f.httpUrl, claimCode: items[0]!.claimCode });
    assert.equal(device.deviceId, items[0]!.deviceId);
    assert.match(device.secret, /^fld_/);
  });
});

for (const transport of ['mqtt', 'http'] as const) {
  describe(`device client over ${transport}`, () => {
    let f: SdkFixture;
    let credentials: EnrolledDeviceCredentials;
    let client: DeviceClient;

    before(async () => {
      f = await startSdkFixture();
      credentials = await enroll({ serverUrl: f.httpUrl, token: await f.enrollmentToken() });
      client = await connectDevice({ serverUrl: f.httpUrl, mqttUrl: f.mqttUrl, deviceId: credentials.deviceId, secret: credentials.secret, transport, statePollIntervalMs: 200, commandWaitSeconds: 5 });
    });
    after(async () => {
      await client.close();
      await f.close();
    });

    test('is connected on the transport asked for', () => {
      assert.equal(client.transport, transport);
      assert.equal(client.isConnected, true);
    });

    test('publishTelemetry resolves once the readings are stored, keeping the given times', async () => {
      const ts = Date.now() - 60_000;
      await client.publishTelemetry({ ts, values: { temp: 21.5, door: 'open' } });
      // Resolved means acknowledged means stored: the REST API has it now, without waiting.
      const points = await f.telemetry(credentials.deviceId);
      assert.deepEqual(
        points.map(({ key, ts: time, value }) => ({ key, ts: time, value })).sort((a, b) => a.key.localeCompare(b.key)),
        [{ key: 'door', ts, value: 'open' }, { key: 'temp', ts, value: 21.5 }],
      );
      await client.publishTelemetry([{ humidity: 40 }, { ts: ts + 1000, values: { humidity: 41 } }]);
      assert.equal((await f.telemetry(credentials.deviceId, ['humidity'])).length, 2);
    });

    test('reportState shows in the reported state', async () => {
      await client.reportState({ firmware: '1.0.0', simulated: true });
      const state = await f.deviceState(credentials.deviceId);
      assert.equal(state.reported.state.firmware, '1.0.0');
      assert.equal(state.reported.state.simulated, true);
    });

    test('desired state set through the REST API reaches onDesiredState', async () => {
      const received: DesiredStateMessage[] = [];
      const stop = client.onDesiredState((message) => received.push(message));
      await f.api('PUT', `/devices/${credentials.deviceId}/state`, { state: { settings: { interval: 5 } } });
      await eventually(() => assert.deepEqual(received.at(-1)?.state, { settings: { interval: 5 } }), 15_000);
      await f.api('PATCH', `/devices/${credentials.deviceId}/state`, { state: { settings: { interval: 10 } } });
      await eventually(() => assert.deepEqual(received.at(-1)?.state, { settings: { interval: 10 } }), 15_000);
      const versions = received.map((message) => message.version);
      assert.deepEqual(versions, [...new Set(versions)].sort((a, b) => a - b), 'each version once, in order');
      stop();
    });

    test('a command round trip: sent through the REST API, answered, result visible there', async () => {
      const received: CommandMessage[] = [];
      client.onCommand((command) => {
        received.push(command);
        void client.sendCommandResult(command.id, { status: 'succeeded', output: { pong: true } });
      });
      const first = await f.sendCommand(credentials.deviceId, 'ping');
      const second = await f.sendCommand(credentials.deviceId, 'led/blink', { times: 2 });
      await eventually(async () => {
        assert.equal((await f.command(first.id)).status, 'succeeded');
        assert.equal((await f.command(second.id)).status, 'succeeded');
      }, 20_000);
      assert.deepEqual((await f.command(first.id)).output, { pong: true });
      assert.deepEqual(received.map((command) => command.id), [first.id, second.id], 'in order, each once');
    });
  });
}
