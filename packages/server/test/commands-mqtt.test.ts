/** Commands over MQTT: push on queue and on (re)subscribe, in order; results committed before the PUBACK; bad results; restarts; the live stream. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { topics, type Command, type CommandMessage, type CommandStatus, type Session } from '@flotilla/protocol';
import type { MqttClient } from 'mqtt';
import { buildApp } from '../src/app.js';
import { createLogger } from '../src/log.js';
import { openStore } from '../src/store/database.js';
import { connectDevice, eventually, run, startBrokerFixture, type BrokerFixture } from './broker-helpers.js';
import { openLive } from './live-helpers.js';
import type { TestDevice } from './telemetry-helpers.js';

/** Command messages a client receives, in arrival order. */
function commandInbox(client: MqttClient): Array<{ topic: string; message: CommandMessage }> {
  const received: Array<{ topic: string; message: CommandMessage }> = [];
  client.on('message', (topic, payload) => received.push({ topic, message: JSON.parse(payload.toString()) as CommandMessage }));
  return received;
}

/** Connects a device and subscribes it to its commands. */
async function listeningDevice(fixture: BrokerFixture, device: TestDevice, protocolVersion: 3 | 4 = 4) {
  const client = await connectDevice(fixture.mqttUrl, device, { protocolVersion });
  const inbox = commandInbox(client);
  await client.subscribeAsync(topics.commands(device.id), { qos: 1 });
  return { client, inbox };
}

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`commands over MQTT (${dialect})`, () => {
    let fixture: BrokerFixture;
    let operator: Session;

    const send = async (deviceId: string, payload: object): Promise<Command> => {
      const response = await fixture.app.inject({ method: 'POST', url: `/api/v1/devices/${deviceId}/commands`, headers: { authorization: `Bearer ${operator.accessToken}` }, payload });
      assert.equal(response.statusCode, 201, response.body);
      return response.json<Command>();
    };
    const stored = async (id: string) => {
      const row = await fixture.store.db.selectFrom('commands').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      return { ...row, output: row.output === null ? null : (JSON.parse(row.output) as unknown) };
    };
    const statusesOf = (commandId: string) => fixture.events.command.filter((event) => event.commandId === commandId).map((event) => event.status);

    before(async () => {
      fixture = await startBrokerFixture(dialect);
      operator = await fixture.signIn(fixture.tenantId, 'operator');
    });
    after(() => fixture.close());

    // The embedded broker speaks MQTT 3.1.1 and 3.1; an MQTT 5 CONNECT is refused (broker-connect.test.ts).
    for (const protocolVersion of [4, 3] as const) {
      test(`the whole lifecycle with MQTT ${protocolVersion === 4 ? '3.1.1' : '3.1'}: pushed, acknowledged, succeeded; each result stored by its PUBACK`, async () => {
        const device = await fixture.device();
        const { client, inbox } = await listeningDevice(fixture, device, protocolVersion);
        const command = await send(device.id, { name: 'collect-logs', params: { lines: 5 } });
        await eventually(() => assert.equal(inbox.length, 1));
        assert.equal(inbox[0]?.topic, topics.command(device.id, command.id));
        assert.deepEqual(inbox[0]?.message, {
          id: command.id,
          name: 'collect-logs',
          params: { lines: 5 },
          createdAt: Date.parse(command.createdAt),
          expiresAt: Date.parse(command.expiresAt as string),
          timeoutMs: 60_000,
        });
        await eventually(async () => assert.equal((await stored(command.id)).status, 'sent'));

        await client.publishAsync(topics.commandResult(device.id, command.id), JSON.stringify({ status: 'acknowledged' }), { qos: 1 });
        assert.equal((await stored(command.id)).status, 'acknowledged', 'stored when the PUBACK arrives');
        await client.publishAsync(topics.commandResult(device.id, command.id), JSON.stringify({ status: 'succeeded', output: { lines: ['a', 'b'] } }), { qos: 1 });
        const done = await stored(command.id);
        assert.equal(done.status, 'succeeded');
        assert.deepEqual(done.output, { lines: ['a', 'b'] });
        assert.deepEqual(statusesOf(command.id), ['queued', 'sent', 'acknowledged', 'succeeded']);
        await client.endAsync();
      });
    }

    test('a device offline while two commands are queued gets both, in order, when it connects; unanswered ones again on reconnect', async () => {
      const device = await fixture.device();
      const first = await send(device.id, { name: 'ping' });
      const second = await send(device.id, { name: 'restart-app', params: { app: 'web' } });
      assert.equal((await stored(first.id)).status, 'queued');

      const { client, inbox } = await listeningDevice(fixture, device);
      await eventually(() => assert.deepEqual(inbox.map((entry) => entry.message.id), [first.id, second.id]));
      await eventually(async () => assert.deepEqual([(await stored(first.id)).status, (await stored(second.id)).status], ['sent', 'sent']));
      await client.publishAsync(topics.commandResult(device.id, first.id), JSON.stringify({ status: 'succeeded' }), { qos: 1 });
      await client.endAsync();

      const again = await listeningDevice(fixture, device);
      await eventually(() => assert.deepEqual(again.inbox.map((entry) => entry.message.id), [second.id]), 10_000);
      await again.client.endAsync();
    });

    test('mosquitto_sub receives a command and mosquitto_pub reports its result', async () => {
      const device = await fixture.device();
      const auth = ['-h', '127.0.0.1', '-p', String(fixture.mqttPort), '-u', device.id, '-P', device.secret];
      const command = await send(device.id, { name: 'ping' });
      const received = await run('mosquitto_sub', [...auth, '-q', '1', '-t', topics.commands(device.id), '-C', '1', '-W', '10', '-v']);
      assert.equal(received.code, 0, received.stderr);
      const [topic, ...rest] = received.stdout.trim().split(' ');
      assert.equal(topic, topics.command(device.id, command.id));
      assert.equal((JSON.parse(rest.join(' ')) as CommandMessage).name, 'ping');

      const published = await run('mosquitto_pub', [...auth, '-q', '1', '-t', topics.commandResult(device.id, command.id), '-m', '{"status":"succeeded","output":{"pong":true}}']);
      assert.equal(published.code, 0, published.stderr);
      await eventually(async () => assert.deepEqual((await stored(command.id)).output, { pong: true }));
      assert.equal((await stored(command.id)).status, 'succeeded');
    });

    test('bad results are acknowledged, dropped, counted and told to the owner; the connection stays and the next result counts', async () => {
      const device = await fixture.device();
      const neighbour = await fixture.device();
      const { client } = await listeningDevice(fixture, device);
      const command = await send(device.id, { name: 'ping' });
      const finished = await send(device.id, { name: 'ping' });
      const theirs = await send(neighbour.id, { name: 'ping' });
      await client.publishAsync(topics.commandResult(device.id, finished.id), '{"status":"succeeded"}', { qos: 1 });

      const result = (commandId: string, text: string) => client.publishAsync(topics.commandResult(device.id, commandId), text, { qos: 1 });
      await result(command.id, 'not json');
      await result(command.id, '{"status":"done"}');
      await result(command.id, '{"status":"failed","error":42}');
      await result('cmd_unknown', '{"status":"succeeded"}');
      await result(theirs.id, '{"status":"succeeded"}');
      await result(finished.id, '{"status":"failed","error":"late"}');
      assert.ok(client.connected, 'the connection stays open');

      const rejected = fixture.events.deviceEvent.filter((event) => event.deviceId === device.id && event.kind === 'command.result_rejected');
      assert.deepEqual(rejected.map((event) => event.data.commandId), [command.id, command.id, command.id, 'cmd_unknown', theirs.id, finished.id]);
      assert.match(String(rejected[0]?.data.reason), /not JSON/);
      assert.match(String(rejected[1]?.data.reason), /status/);
      assert.equal(rejected[0]?.tenantId, device.tenantId);
      assert.equal((await stored(theirs.id)).status, 'queued', "another device's command is untouched");
      assert.equal((await stored(finished.id)).status, 'succeeded');

      await result(command.id, '{"status":"failed","error":"no such thing"}');
      assert.equal((await stored(command.id)).error, 'no such thing');
      const metrics = await fixture.app.inject({ url: '/metrics' });
      assert.match(metrics.body, /flotilla_command_results_rejected_total\{reason="invalid_payload"\} 3/);
      assert.match(metrics.body, /flotilla_command_results_rejected_total\{reason="unknown_command"\} 2/);
      assert.match(metrics.body, /flotilla_command_results_rejected_total\{reason="finished"\} 1/);
      await client.endAsync();
    });

    test('the live stream shows a command move through its statuses', async () => {
      const device = await fixture.device();
      const viewer = await fixture.signIn();
      const live = await openLive(fixture.httpUrl, viewer.accessToken);
      await live.subscribe({ id: 'cmds', devices: [device.id], events: ['command'] });
      const command = await send(device.id, { name: 'ping' });
      const { client } = await listeningDevice(fixture, device);
      const statusSeen = (status: CommandStatus) => live.next((message) => message.type === 'command' && message.commandId === command.id && message.status === status);
      await statusSeen('queued');
      await statusSeen('sent');
      await client.publishAsync(topics.commandResult(device.id, command.id), '{"status":"failed","error":"busy"}', { qos: 1 });
      const failed = await statusSeen('failed');
      assert.deepEqual({ ...failed, at: 0 }, { type: 'command', subscription: 'cmds', deviceId: device.id, commandId: command.id, name: 'ping', status: 'failed', at: 0, error: 'busy' });
      assert.ok(!live.messages.some((message) => message.type !== 'command' && message.type !== 'subscribed'), 'only command events were asked for');
      await client.endAsync();
      await live.close();
    });

    test('a restart loses no queued command: the device gets it when it connects to the new server', async () => {
      const device = await fixture.device();
      const queued = await send(device.id, { name: 'reboot', params: { delaySeconds: 0 } });
      const sentBefore = await send(device.id, { name: 'ping' });
      const early = await listeningDevice(fixture, device);
      await eventually(() => assert.equal(early.inbox.length, 2));
      await early.client.publishAsync(topics.commandResult(device.id, queued.id), '{"status":"acknowledged"}', { qos: 1 });
      await early.client.endAsync();
      const third = await send(device.id, { name: 'led/off' });

      fixture = await fixture.restart();
      operator = await fixture.signIn(fixture.tenantId, 'operator');
      const { client, inbox } = await listeningDevice(fixture, device);
      await eventually(() => assert.deepEqual(inbox.map((entry) => entry.message.id), [sentBefore.id, third.id]), 10_000);
      assert.equal((await stored(queued.id)).status, 'acknowledged', 'the acknowledgement survived the restart');
      await client.publishAsync(topics.commandResult(device.id, queued.id), '{"status":"succeeded"}', { qos: 1 });
      assert.equal((await stored(queued.id)).status, 'succeeded');
      await client.endAsync();
    });
  });
}

test('with two instances on one PostgreSQL and one bus, a command queued on one reaches the device connected to the other', async () => {
  const fixture = await startBrokerFixture('postgres');
  // A second instance: same database, same bus (as Redis would carry it), no MQTT listener of its own.
  const log = createLogger(fixture.config);
  const store = await openStore(fixture.config, log);
  const other = await buildApp({ config: fixture.config, log, store, bus: fixture.bus });
  try {
    const device = await fixture.device();
    const { client, inbox } = await listeningDevice(fixture, device);
    const operator = await fixture.signIn(fixture.tenantId, 'operator');
    const response = await other.inject({ method: 'POST', url: `/api/v1/devices/${device.id}/commands`, headers: { authorization: `Bearer ${operator.accessToken}` }, payload: { name: 'ping' } });
    assert.equal(response.statusCode, 201, response.body);
    await eventually(() => assert.deepEqual(inbox.map((entry) => entry.message.id), [response.json<Command>().id]));
    await client.publishAsync(topics.commandResult(device.id, response.json<Command>().id), '{"status":"succeeded"}', { qos: 1 });
    const seen = await other.inject({ url: `/api/v1/commands/${response.json<Command>().id}`, headers: { authorization: `Bearer ${operator.accessToken}` } });
    assert.equal(seen.json<Command>().status, 'succeeded');
    await client.endAsync();
  } finally {
    await other.close();
    await fixture.close();
  }
});
