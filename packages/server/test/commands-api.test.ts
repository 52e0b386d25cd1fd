/** Commands for people and tools: sending, params, deadlines, lists, cancel, bulk, RBAC, tenants, audit, the sweeper. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AuditEntry, BulkCommandReply, Command, Page, Session } from '@flotilla/protocol';
import { eventually } from './broker-helpers.js';
import { createDevice } from './device-helpers.js';
import { createSecondTenant, createTestApp, dialects, type TestApp } from './helpers.js';
import { assertFieldRefused, assertProblem } from './problem-assert.js';
import { basicAuth } from './telemetry-helpers.js';

for (const dialect of dialects) {
  describe(`commands API (${dialect})`, () => {
    let t: TestApp;
    let admin: Session;
    let operator: Session;
    let viewer: Session;
    let device: { id: string; secret: string };

    const send = (deviceId: string, payload: object, session = operator) => t.request({ method: 'POST', url: `/api/v1/devices/${deviceId}/commands`, token: session.accessToken, payload });
    const get = <T>(url: string, session = viewer) => t.request({ method: 'GET', url: `/api/v1${url}`, token: session.accessToken }).then((response) => {
      assert.equal(response.statusCode, 200, response.body);
      return response.json<T>();
    });
    const deviceResult = (who: { id: string; secret: string }, commandId: string, payload: object) =>
      t.request({ method: 'POST', url: `/api/v1/device/commands/${commandId}/result`, headers: { authorization: basicAuth(who.id, who.secret) }, payload });

    before(async () => {
      t = await createTestApp(dialect, { commandSweepIntervalMs: '50ms' });
      admin = await t.setup();
      operator = await t.userWithRole(admin, 'operator');
      viewer = await t.userWithRole(admin, 'viewer');
      const created = await createDevice(t, admin, { name: 'pi-1', labels: { site: 'oslo' } });
      device = { id: created.device.id, secret: created.secret };
    });
    after(() => t.close());

    test('an operator sends a well-known command: queued, with its defaults, deadlines and sender', async () => {
      const before = Date.now();
      const response = await send(device.id, { name: 'reboot' });
      assert.equal(response.statusCode, 201, response.body);
      const command = response.json<Command>();
      assert.equal(command.status, 'queued');
      assert.equal(command.deviceId, device.id);
      assert.deepEqual(command.params, { delaySeconds: 5 }, 'the schema default is filled in');
      assert.equal(command.timeoutMs, 60_000, "the well-known command's timeout");
      assert.equal(command.createdBy, operator.user.id);
      assert.equal(command.batchId, null);
      const expiresIn = Date.parse(command.expiresAt as string) - before;
      assert.ok(expiresIn >= 7 * 86_400_000 - 1000 && expiresIn <= 7 * 86_400_000 + 60_000, 'expires in 7 days by default');
      assert.deepEqual([command.sentAt, command.acknowledgedAt, command.finishedAt, command.output, command.error], [null, null, null, null, null]);
      assert.deepEqual(await get<Command>(`/commands/${command.id}`), command);
    });

    test('custom commands take any JSON object params, their own timeout and expiry', async () => {
      const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
      const response = await send(device.id, { name: 'led/blink', params: { color: 'red', times: [1, 2] }, timeoutMs: 1234, expiresAt });
      assert.equal(response.statusCode, 201, response.body);
      const command = response.json<Command>();
      assert.deepEqual(command.params, { color: 'red', times: [1, 2] });
      assert.equal(command.timeoutMs, 1234);
      assert.equal(command.expiresAt, expiresAt);
      assert.equal((await send(device.id, { name: 'no-params' })).json<Command>().timeoutMs, 300_000, 'custom commands time out after 5 minutes by default');
    });

    test('bad commands are refused naming the field', async () => {
      assertFieldRefused(await send(device.id, { name: 'reboot', params: { delaySeconds: 'soon' } }), 'body/params/delaySeconds');
      assertFieldRefused(await send(device.id, { name: 'reboot', params: { force: true } }), 'body/params/force');
      assertFieldRefused(await send(device.id, { name: 'restart-app', params: {} }), 'body/params/app');
      assertFieldRefused(await send(device.id, { name: 'collect-logs', params: { lines: 0, app: '' } }), 'body/params/app');
      assertFieldRefused(await send(device.id, { name: 'Reboot!' }), 'body/name');
      assertFieldRefused(await send(device.id, { name: 'x', params: { blob: 'y'.repeat(70_000) } }), 'body/params');
      assertFieldRefused(await send(device.id, { name: 'x', params: [1] }), 'body/params');
      assertFieldRefused(await send(device.id, { name: 'x', expiresInMs: 1000, expiresAt: new Date(Date.now() + 5000).toISOString() }), 'body/expiresAt');
      assertFieldRefused(await send(device.id, { name: 'x', expiresAt: new Date(Date.now() - 5000).toISOString() }), 'body/expiresAt');
      assertFieldRefused(await send(device.id, { name: 'x', timeoutMs: 0 }), 'body/timeoutMs');
      assertFieldRefused(await send(device.id, { name: 'x', colour: 'red' }), 'body/colour');
      const both = await send(device.id, { name: 'collect-logs', params: { lines: 0, app: '' } });
      assert.equal(both.json<{ errors: unknown[] }>().errors.length, 2, 'every bad param is named');
    });

    test("a device's commands are listed newest first, filtered and paginated", async () => {
      const other = await createDevice(t, admin, { name: 'pi-list' });
      const ids: string[] = [];
      for (const name of ['ping', 'ping', 'collect-logs']) ids.push((await send(other.device.id, { name })).json<Command>().id);
      const all = await get<Page<Command>>(`/devices/${other.device.id}/commands`);
      assert.deepEqual(all.items.map((command) => command.id), [...ids].reverse());
      const pings = await get<Page<Command>>(`/devices/${other.device.id}/commands?name=ping&limit=1`);
      assert.deepEqual(pings.items.map((command) => command.id), [ids[1]]);
      const next = await get<Page<Command>>(`/devices/${other.device.id}/commands?name=ping&limit=1&cursor=${pings.nextCursor}`);
      assert.deepEqual(next.items.map((command) => command.id), [ids[0]]);
      assert.equal(next.nextCursor, null);
      assert.equal((await get<Page<Command>>(`/devices/${other.device.id}/commands?status=succeeded`)).items.length, 0);
      const tenantWide = await get<Page<Command>>(`/commands?deviceId=${other.device.id}&status=queued`);
      assert.equal(tenantWide.items.length, 3);
      assertFieldRefused(await t.request({ url: `/api/v1/commands?status=done`, token: viewer.accessToken }), 'querystring/status');
      assertProblem(await t.request({ url: `/api/v1/commands?cursor=bm9wZQ`, token: viewer.accessToken }), 400, 'INVALID_CURSOR');
    });

    test('cancel works while queued or sent; a finished command refuses it, and the device is told', async () => {
      const queued = (await send(device.id, { name: 'ping' })).json<Command>();
      const cancel = (id: string) => t.request({ method: 'POST', url: `/api/v1/commands/${id}/cancel`, token: operator.accessToken });
      const cancelled = await cancel(queued.id);
      assert.equal(cancelled.statusCode, 200, cancelled.body);
      assert.equal(cancelled.json<Command>().status, 'cancelled');
      assert.ok(cancelled.json<Command>().finishedAt);
      const again = await cancel(queued.id);
      assertProblem(again, 409, 'COMMAND_NOT_CANCELLABLE');
      assert.match(again.json<{ detail: string }>().detail, /is cancelled/);
      assertProblem(await deviceResult(device, queued.id, { status: 'succeeded' }), 409, 'COMMAND_FINISHED');
      assertProblem(await cancel('cmd_nope'), 404, 'COMMAND_NOT_FOUND');
    });

    test('a viewer reads but cannot send, bulk-send or cancel; no token is 401', async () => {
      const command = (await send(device.id, { name: 'ping' })).json<Command>();
      assertProblem(await send(device.id, { name: 'ping' }, viewer), 403, 'FORBIDDEN');
      assertProblem(await t.request({ method: 'POST', url: '/api/v1/commands', token: viewer.accessToken, payload: { selector: '', name: 'ping' } }), 403, 'FORBIDDEN');
      assertProblem(await t.request({ method: 'POST', url: `/api/v1/commands/${command.id}/cancel`, token: viewer.accessToken }), 403, 'FORBIDDEN');
      assertProblem(await t.request({ url: '/api/v1/commands' }), 401, 'UNAUTHENTICATED');
      assert.equal((await get<Command>(`/commands/${command.id}`)).status, 'queued');
    });

    test("another tenant's devices and commands are not found", async () => {
      const command = (await send(device.id, { name: 'ping' })).json<Command>();
      const stranger = await createSecondTenant(t, `stranger-${dialect}@example.org`);
      assertProblem(await send(device.id, { name: 'ping' }, stranger), 404, 'DEVICE_NOT_FOUND');
      assertProblem(await t.request({ url: `/api/v1/devices/${device.id}/commands`, token: stranger.accessToken }), 404, 'DEVICE_NOT_FOUND');
      assertProblem(await t.request({ url: `/api/v1/commands/${command.id}`, token: stranger.accessToken }), 404, 'COMMAND_NOT_FOUND');
      assertProblem(await t.request({ method: 'POST', url: `/api/v1/commands/${command.id}/cancel`, token: stranger.accessToken }), 404, 'COMMAND_NOT_FOUND');
      assert.deepEqual((await get<Page<Command>>('/commands', stranger)).items, []);
      assert.deepEqual((await get<Page<Command>>(`/commands?deviceId=${device.id}`, stranger)).items, []);
    });

    test('a bulk request queues one command per matching device of the tenant, under one batch id', async () => {
      const matching = [await createDevice(t, admin, { name: 'bulk-a', labels: { role: 'bulk' } }), await createDevice(t, admin, { name: 'bulk-b', labels: { role: 'bulk' } })];
      await createDevice(t, admin, { name: 'bulk-c', labels: { role: 'other' } });
      const stranger = await createSecondTenant(t, `bulk-${dialect}@example.org`);
      await createDevice(t, stranger, { name: 'bulk-x', labels: { role: 'bulk' } });
      const response = await t.request({ method: 'POST', url: '/api/v1/commands', token: operator.accessToken, payload: { selector: 'role=bulk', name: 'collect-logs', params: { lines: 10 } } });
      assert.equal(response.statusCode, 201, response.body);
      const reply = response.json<BulkCommandReply>();
      assert.equal(reply.count, 2);
      const batch = await get<Page<Command>>(`/commands?batchId=${reply.batchId}`);
      assert.deepEqual(new Set(batch.items.map((command) => command.deviceId)), new Set(matching.map((created) => created.device.id)));
      assert.deepEqual(new Set(batch.items.map((command) => command.id)), new Set(reply.commandIds));
      assert.ok(batch.items.every((command) => command.batchId === reply.batchId && command.params.lines === 10));
      const none = await t.request({ method: 'POST', url: '/api/v1/commands', token: operator.accessToken, payload: { selector: 'role=nobody', name: 'ping' } });
      assert.deepEqual({ ...none.json<BulkCommandReply>(), batchId: '' }, { batchId: '', count: 0, commandIds: [], dryRun: false });
      assertProblem(await t.request({ method: 'POST', url: '/api/v1/commands', token: operator.accessToken, payload: { selector: 'role in (', name: 'ping' } }), 400, 'INVALID_SELECTOR');
      assertFieldRefused(await t.request({ method: 'POST', url: '/api/v1/commands', token: operator.accessToken, payload: { selector: '', name: 'reboot', params: { delaySeconds: -1 } } }), 'body/params/delaySeconds');
    });

    test('sending, bulk sending and cancelling are audited with their target', async () => {
      const command = (await send(device.id, { name: 'audited' })).json<Command>();
      await t.request({ method: 'POST', url: `/api/v1/commands/${command.id}/cancel`, token: operator.accessToken });
      await t.request({ method: 'POST', url: '/api/v1/commands', token: operator.accessToken, payload: { selector: 'site=oslo', name: 'audited' } });
      await send(device.id, { name: 'ping' }, viewer);
      const entries = (await get<Page<AuditEntry>>('/audit?limit=50', admin)).items;
      const find = (action: string, targetId: string) => entries.find((entry) => entry.action === action && entry.target.id === targetId);
      assert.equal(find('device.send_command', device.id)?.target.type, 'device');
      assert.equal(find('command.cancel', command.id)?.target.type, 'command');
      assert.equal(find('command.send_bulk', 'site=oslo')?.target.type, 'selector');
      assert.ok(entries.some((entry) => entry.action === 'device.send_command' && entry.target.id === device.id && entry.outcome === 'failure' && entry.status === 403), 'a refused send is audited too');
    });

    test('the sweeper expires commands past their expiry, and fails acknowledged ones past their timeout', async () => {
      const expiring = (await send(device.id, { name: 'too-late', expiresInMs: 100 })).json<Command>();
      const slow = (await send(device.id, { name: 'slow', timeoutMs: 100 })).json<Command>();
      assert.equal((await deviceResult(device, slow.id, { status: 'acknowledged' })).statusCode, 200);
      await eventually(async () => assert.equal((await get<Command>(`/commands/${expiring.id}`)).status, 'expired'), 15_000);
      await eventually(async () => {
        const failed = await get<Command>(`/commands/${slow.id}`);
        assert.equal(failed.status, 'failed');
        assert.equal(failed.error, 'timed out');
        assert.ok(failed.acknowledgedAt && failed.finishedAt);
      }, 15_000);
      assertProblem(await deviceResult(device, slow.id, { status: 'succeeded' }), 409, 'COMMAND_FINISHED');
      const metrics = await t.request({ url: '/metrics' });
      assert.match(metrics.body, /flotilla_commands_finished_total\{status="expired"\} [1-9]/);
      assert.match(metrics.body, /flotilla_commands_finished_total\{status="failed"\} [1-9]/);
      assert.match(metrics.body, /flotilla_commands_created_total [1-9]/);
    });
  });
}
