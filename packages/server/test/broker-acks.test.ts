/**
 * When the broker acknowledges: a broker on its own with an ingest the test controls, so that
 * "PUBACK only after commit" is seen failing if it were not so.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { topics } from '@flotilla/protocol';
import type { MqttClient } from 'mqtt';
import { Registry } from 'prom-client';
import { createBroker, type Broker } from '../src/broker/broker.js';
import { createPresence } from '../src/broker/presence.js';
import { createMemoryBus } from '../src/bus/bus.js';
import { createLogger } from '../src/log.js';
import type { TelemetrySubmission } from '../src/telemetry/batch-writer.js';
import { closeOf, connectDevice, eventually } from './broker-helpers.js';

interface HeldSubmission {
  submission: TelemetrySubmission;
  commit(): void;
  fail(error: Error): void;
}

const device = { id: 'dev_a', secret: 'fld_secret' };
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('broker acknowledgements', () => {
  const held: HeldSubmission[] = [];
  let broker: Broker;
  let url: string;
  before(async () => {
    const log = createLogger({ logLevel: 'silent' });
    const bus = createMemoryBus();
    broker = createBroker({
      maxPayloadBytes: 1024,
      connectRatePerSecond: 1000,
      authenticateDevice: async (id, secret) => (id === device.id && secret === device.secret ? { id, tenantId: 'ten_a' } : null),
      ingest: { submit: (submission) => new Promise((resolve, reject) => held.push({ submission, commit: () => resolve(), fail: reject })) },
      rejectTelemetry: async () => undefined,
      presence: createPresence({ repository: { markAllOffline: async () => 0, save: async () => undefined }, bus, log }),
      bus,
      registry: new Registry(),
      log,
    });
    await broker.start();
    url = `mqtt://127.0.0.1:${await broker.listen('127.0.0.1', 0)}`;
  });
  after(() => broker.stop());
  beforeEach(() => {
    held.length = 0;
  });

  test('a QoS 1 PUBACK is sent only once ingest has committed the points', { timeout: 10_000 }, async () => {
    const client = await connectDevice(url, device);
    let isAcknowledged = false;
    const publishing = client.publishAsync(topics.telemetry(device.id), '{"temp":20}', { qos: 1 }).then(() => (isAcknowledged = true));
    await eventually(() => assert.equal(held.length, 1));
    await pause(200);
    assert.equal(isAcknowledged, false, 'no PUBACK before the commit');
    held.shift()?.commit();
    await publishing;
    await client.endAsync();
  });

  test('PUBACKs keep the order of the PUBLISHes ([MQTT-4.6.0-2]) when a later message is answered first', { timeout: 10_000 }, async () => {
    const client = await connectDevice(url, device);
    const order: string[] = [];
    const first = client.publishAsync(topics.telemetry(device.id), '{"temp":21}', { qos: 1 }).then(() => order.push('good'));
    const second = client.publishAsync(topics.telemetry(device.id), 'not json', { qos: 1 }).then(() => order.push('bad'));
    await eventually(() => assert.equal(held.length, 1));
    await pause(100);
    assert.deepEqual(order, [], 'the refused message waits for the one before it');
    held.shift()?.commit();
    await Promise.all([first, second]);
    assert.deepEqual(order, ['good', 'bad']);
    await client.endAsync();
  });

  test('when the points cannot be stored, a QoS 1 message is not acknowledged and the connection closes', { timeout: 10_000 }, async () => {
    const client: MqttClient = await connectDevice(url, device);
    let isAcknowledged = false;
    void client.publishAsync(topics.telemetry(device.id), '{"temp":22}', { qos: 1 }).then(
      () => (isAcknowledged = true),
      () => undefined,
    );
    await eventually(() => assert.equal(held.length, 1));
    const closed = closeOf(client);
    held.shift()?.fail(new Error('disk full'));
    await closed;
    assert.equal(isAcknowledged, false);
    client.end(true);
  });

  test('a QoS 0 message that cannot be stored is dropped and the connection stays', { timeout: 10_000 }, async () => {
    const client = await connectDevice(url, device);
    await client.publishAsync(topics.telemetry(device.id), '{"temp":23}', { qos: 0 });
    await eventually(() => assert.equal(held.length, 1));
    held.shift()?.fail(new Error('disk full'));
    await pause(100);
    assert.ok(client.connected);
    await client.endAsync();
  });
});
