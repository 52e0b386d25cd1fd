/** A command cancelled after it was sent: a connected device subscribed to cancellations is told on `…/commands/{id}/cancel`. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { topics, type Command, type CommandCancel, type Session } from '@flotilla/protocol';
import { connectDevice, eventually, startBrokerFixture, type BrokerFixture } from './broker-helpers.js';

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`cancel notices over MQTT (${dialect})`, () => {
    let fixture: BrokerFixture;
    let operator: Session;

    const call = async (method: 'POST', url: string, payload?: object) => {
      const response = await fixture.app.inject({ method, url: `/api/v1${url}`, headers: { authorization: `Bearer ${operator.accessToken}` }, ...(payload ? { payload } : {}) });
      assert.ok(response.statusCode < 300, response.body);
      return response.json<Command>();
    };

    before(async () => {
      fixture = await startBrokerFixture(dialect);
      operator = await fixture.signIn(fixture.tenantId, 'operator');
    });
    after(() => fixture.close());

    test('the device that holds a sent command learns of its cancellation; a never-sent one is not announced', async () => {
      const device = await fixture.device();
      const client = await connectDevice(fixture.mqttUrl, device);
      const received: Array<{ topic: string; payload: unknown }> = [];
      client.on('message', (topic, payload) => received.push({ topic, payload: JSON.parse(payload.toString()) }));
      await client.subscribeAsync(topics.commandCancels(device.id), { qos: 1 });

      // Not subscribed to commands yet: this one stays queued, and its cancellation is not announced.
      const queued = await call('POST', `/devices/${device.id}/commands`, { name: 'ping' });
      assert.equal((await call('POST', `/commands/${queued.id}/cancel`)).status, 'cancelled');

      await client.subscribeAsync(topics.commands(device.id), { qos: 1 });
      const running = await call('POST', `/devices/${device.id}/commands`, { name: 'reboot' });
      await eventually(() => assert.ok(received.some((message) => message.topic === topics.command(device.id, running.id))));
      const before = Date.now();
      assert.equal((await call('POST', `/commands/${running.id}/cancel`)).status, 'cancelled');
      await eventually(() => assert.ok(received.some((message) => message.topic.endsWith('/cancel'))));
      const notices = received.filter((message) => message.topic.endsWith('/cancel'));
      assert.equal(notices.length, 1, `only the sent command's cancellation: ${JSON.stringify(notices)}`);
      assert.equal(notices[0]?.topic, topics.commandCancel(device.id, running.id));
      const notice = notices[0]?.payload as CommandCancel;
      assert.deepEqual({ ...notice, at: 0 }, { id: running.id, status: 'cancelled', at: 0 });
      assert.ok(notice.at >= before - 1000);
      await client.endAsync();
    });

    test("a device cannot publish a cancellation, nor receive another device's", async () => {
      const [alice, bob] = [await fixture.device(), await fixture.device()];
      const bobClient = await connectDevice(fixture.mqttUrl, bob);
      const bobGot: string[] = [];
      bobClient.on('message', (topic) => bobGot.push(topic));
      await bobClient.subscribeAsync([topics.commands(bob.id), topics.commandCancels(bob.id)], { qos: 1 });
      const aliceClient = await connectDevice(fixture.mqttUrl, alice);
      await aliceClient.subscribeAsync([topics.commands(alice.id), topics.commandCancels(alice.id)], { qos: 1 });
      const command = await call('POST', `/devices/${alice.id}/commands`, { name: 'ping' });
      await eventually(async () => {
        const row = await fixture.store.db.selectFrom('commands').select('status').where('id', '=', command.id).executeTakeFirstOrThrow();
        assert.equal(row.status, 'sent');
      });
      // Bob forging a cancellation for his own topic is dropped by the ACL; the server's own notice for Alice never reaches Bob.
      await bobClient.publishAsync(topics.commandCancel(bob.id, command.id), JSON.stringify({ id: command.id, status: 'cancelled', at: 1 }), { qos: 1 });
      await call('POST', `/commands/${command.id}/cancel`);
      const barrier = await call('POST', `/devices/${bob.id}/commands`, { name: 'ping' });
      await eventually(() => assert.ok(bobGot.includes(topics.command(bob.id, barrier.id))));
      assert.deepEqual(bobGot, [topics.command(bob.id, barrier.id)]);
      await Promise.all([aliceClient.endAsync(), bobClient.endAsync()]);
    });
  });
}
