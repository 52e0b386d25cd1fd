/** Commands over the HTTP device routes: polling (and long polling) in order, results, idempotence, refusals. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Command, CommandMessage, Session } from '@flotilla/protocol';
import { createDevice } from './device-helpers.js';
import { createTestApp, dialects, type TestApp } from './helpers.js';
import { assertFieldRefused, assertProblem } from './problem-assert.js';
import { basicAuth } from './telemetry-helpers.js';

type Credentials = { id: string; secret: string };

for (const dialect of dialects) {
  describe(`commands over HTTP (${dialect})`, () => {
    let t: TestApp;
    let operator: Session;
    let device: Credentials;
    let neighbour: Credentials;

    const send = (deviceId: string, payload: object) =>
      t.request({ method: 'POST', url: `/api/v1/devices/${deviceId}/commands`, token: operator.accessToken, payload }).then((response) => {
        assert.equal(response.statusCode, 201, response.body);
        return response.json<Command>();
      });
    const status = async (id: string) => (await t.request({ url: `/api/v1/commands/${id}`, token: operator.accessToken })).json<Command>();
    const poll = (who: Credentials, query = '') => t.request({ url: `/api/v1/device/commands${query}`, headers: { authorization: basicAuth(who.id, who.secret) } });
    const polled = async (who: Credentials, query = '') => {
      const response = await poll(who, query);
      assert.equal(response.statusCode, 200, response.body);
      return response.json<{ commands: CommandMessage[] }>().commands;
    };
    const result = (who: Credentials, commandId: string, payload: object) =>
      t.request({ method: 'POST', url: `/api/v1/device/commands/${commandId}/result`, headers: { authorization: basicAuth(who.id, who.secret) }, payload });

    before(async () => {
      t = await createTestApp(dialect);
      const admin = await t.setup();
      operator = await t.userWithRole(admin, 'operator');
      for (const name of ['sensor', 'neighbour']) {
        const created = await createDevice(t, admin, { name });
        const credentials = { id: created.device.id, secret: created.secret };
        if (name === 'sensor') device = credentials;
        else neighbour = credentials;
      }
    });
    after(() => t.close());

    test('a poll hands out pending commands oldest first and marks them sent; results move them to the end', async () => {
      const first = await send(device.id, { name: 'ping' });
      const second = await send(device.id, { name: 'led/blink', params: { times: 3 }, timeoutMs: 5000 });
      const commands = await polled(device);
      assert.deepEqual(commands.map((command) => command.id), [first.id, second.id]);
      assert.deepEqual(commands[1], { id: second.id, name: 'led/blink', params: { times: 3 }, createdAt: Date.parse(second.createdAt), expiresAt: Date.parse(second.expiresAt as string), timeoutMs: 5000 });
      assert.equal((await status(first.id)).status, 'sent');
      assert.ok((await status(first.id)).sentAt);
      assert.deepEqual((await polled(neighbour)).map((command) => command.id), [], 'another device gets none of them');

      const acknowledged = await result(device, first.id, { status: 'acknowledged' });
      assert.deepEqual(acknowledged.json(), { id: first.id, status: 'acknowledged' });
      assert.deepEqual((await polled(device)).map((command) => command.id), [second.id], 'an acknowledged command is not handed out again; a sent one is');
      const succeeded = await result(device, first.id, { status: 'succeeded', output: { rttMs: 3, deviceTime: 1700000000000 } });
      assert.deepEqual(succeeded.json(), { id: first.id, status: 'succeeded' });
      const done = await status(first.id);
      assert.deepEqual(done.output, { rttMs: 3, deviceTime: 1700000000000 });
      assert.ok(done.acknowledgedAt && done.finishedAt);
      const failed = await result(device, second.id, { status: 'failed', error: 'no LED on this board' });
      assert.equal(failed.statusCode, 200, failed.body);
      assert.equal((await status(second.id)).error, 'no LED on this board');
      assert.deepEqual(await polled(device), []);
    });

    test('the same final result again is accepted; another result for a finished command is 409', async () => {
      const command = await send(device.id, { name: 'ping' });
      assert.equal((await result(device, command.id, { status: 'succeeded', output: 'pong' })).statusCode, 200);
      const again = await result(device, command.id, { status: 'succeeded', output: 'pong' });
      assert.equal(again.statusCode, 200, again.body);
      assert.deepEqual(again.json(), { id: command.id, status: 'succeeded' });
      assertProblem(await result(device, command.id, { status: 'failed', error: 'late' }), 409, 'COMMAND_FINISHED');
      assertProblem(await result(device, command.id, { status: 'acknowledged' }), 409, 'COMMAND_FINISHED');
      assert.equal((await status(command.id)).output, 'pong');
    });

    test("a device cannot answer another device's command; bad results and bad credentials are refused", async () => {
      const command = await send(device.id, { name: 'ping' });
      assertProblem(await result(neighbour, command.id, { status: 'succeeded' }), 404, 'COMMAND_NOT_FOUND');
      assertProblem(await result(device, 'cmd_unknown', { status: 'succeeded' }), 404, 'COMMAND_NOT_FOUND');
      assertFieldRefused(await result(device, command.id, { status: 'done' }), 'body/status');
      assertFieldRefused(await result(device, command.id, { status: 'failed', reason: 'x' }), 'body/reason');
      assertFieldRefused(await result(device, command.id, { status: 'succeeded', output: 'x'.repeat(300_000) }), 'body/output');
      const notJson = await t.request({ method: 'POST', url: `/api/v1/device/commands/${command.id}/result`, headers: { authorization: basicAuth(device.id, device.secret), 'content-type': 'application/json' }, payload: 'not json' });
      assertProblem(notJson, 400, 'MALFORMED_BODY');
      assertProblem(await result({ id: device.id, secret: 'fld_wrong' }, command.id, { status: 'succeeded' }), 401, 'DEVICE_AUTH_FAILED');
      assertProblem(await poll({ id: device.id, secret: 'fld_wrong' }), 401, 'DEVICE_AUTH_FAILED');
      assertFieldRefused(await poll(device, '?waitSeconds=31'), 'querystring/waitSeconds');
      assert.equal((await status(command.id)).status, 'queued', 'nothing refused changed the command');
    });

    test('a long poll answers as soon as a command is queued, and empty when the wait is over', async () => {
      // A sent command is handed out again until the device answers it: finish what is left over.
      for (const leftover of await polled(device)) await result(device, leftover.id, { status: 'succeeded' });
      const waiting = polled(device, '?waitSeconds=25');
      await new Promise((resolve) => setTimeout(resolve, 200));
      const command = await send(device.id, { name: 'ping' });
      assert.deepEqual((await waiting).map((message) => message.id), [command.id]);
      assert.equal((await status(command.id)).status, 'sent');
      await result(device, command.id, { status: 'succeeded' });
      assert.deepEqual(await polled(device, '?waitSeconds=1'), [], 'nothing was queued: an empty answer after the wait');
    });

    test('an expired command is not handed out', async () => {
      const command = await send(device.id, { name: 'ping', expiresInMs: 1 });
      await new Promise((resolve) => setTimeout(resolve, 20));
      assert.ok(!(await polled(device)).some((message) => message.id === command.id));
    });
  });
}
