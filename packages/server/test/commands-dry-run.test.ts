/** Bulk dry runs (which devices a selector would reach, nothing created, nothing audited) and device names on commands. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BULK_DRY_RUN_DEVICES, type AuditEntry, type BulkCommandReply, type Command, type Page, type Session } from '@flotilla/protocol';
import { createDevice } from './device-helpers.js';
import { createSecondTenant, createTestApp, dialects, type TestApp } from './helpers.js';
import { assertFieldRefused, assertProblem } from './problem-assert.js';

for (const dialect of dialects) {
  describe(`bulk dry runs and device names (${dialect})`, () => {
    let t: TestApp;
    let admin: Session;
    let operator: Session;
    let viewer: Session;
    const fleet: { id: string; name: string }[] = [];

    const bulk = (payload: object, session = operator) => t.request({ method: 'POST', url: '/api/v1/commands', token: session.accessToken, payload });
    const get = async <T>(url: string, session = viewer): Promise<T> => {
      const response = await t.request({ method: 'GET', url: `/api/v1${url}`, token: session.accessToken });
      assert.equal(response.statusCode, 200, response.body);
      return response.json<T>();
    };

    before(async () => {
      t = await createTestApp(dialect);
      admin = await t.setup();
      operator = await t.userWithRole(admin, 'operator');
      viewer = await t.userWithRole(admin, 'viewer');
      for (let index = 0; index < BULK_DRY_RUN_DEVICES + 2; index++) {
        const { device } = await createDevice(t, admin, { name: `kiosk-${String(index).padStart(2, '0')}`, labels: { role: 'kiosk' } });
        fleet.push({ id: device.id, name: device.name });
      }
      await createDevice(t, admin, { name: 'not-a-kiosk', labels: { role: 'gateway' } });
    });
    after(() => t.close());

    test('a dry run answers how many devices and which (the first page), creating nothing and leaving no audit entry', async () => {
      const other = await createSecondTenant(t, `dry-${dialect}@example.org`);
      await createDevice(t, other, { name: 'their-kiosk', labels: { role: 'kiosk' } });
      const response = await bulk({ selector: 'role=kiosk', name: 'reboot', dryRun: true });
      assert.equal(response.statusCode, 200, response.body);
      const reply = response.json<BulkCommandReply>();
      const byId = [...fleet].sort((a, b) => (a.id < b.id ? -1 : 1));
      assert.deepEqual(reply, { batchId: null, count: fleet.length, commandIds: [], dryRun: true, devices: byId.slice(0, BULK_DRY_RUN_DEVICES) });
      assert.deepEqual((await get<Page<Command>>('/commands')).items, [], 'no command was created');
      const audit = await get<Page<AuditEntry>>('/audit?action=command.send_bulk', admin);
      assert.deepEqual(audit.items, [], 'a dry run is not audited');
      const real = await bulk({ selector: 'role=kiosk', name: 'reboot' });
      assert.equal(real.statusCode, 201, real.body);
      assert.equal(real.json<BulkCommandReply>().count, reply.count, 'the send reaches the devices the dry run counted');
      assert.equal(real.json<BulkCommandReply>().dryRun, false);
      assert.equal((await get<Page<AuditEntry>>('/audit?action=command.send_bulk', admin)).items.length, 1, 'the send is audited');
    });

    test('a dry run checks what a send checks: selector, params, deadlines', async () => {
      assertProblem(await bulk({ selector: 'role in (', name: 'ping', dryRun: true }), 400, 'INVALID_SELECTOR');
      assertFieldRefused(await bulk({ selector: 'role=kiosk', name: 'reboot', params: { delaySeconds: -1 }, dryRun: true }), 'body/params/delaySeconds');
      assertFieldRefused(await bulk({ selector: 'role=kiosk', name: 'ping', expiresAt: '2001-01-01T00:00:00Z', dryRun: true }), 'body/expiresAt');
      assertFieldRefused(await bulk({ selector: 'role=kiosk', name: 'ping', dryRun: 'yes' }), 'body/dryRun');
      const none = await bulk({ selector: 'role=nobody', name: 'ping', dryRun: true });
      assert.deepEqual(none.json<BulkCommandReply>(), { batchId: null, count: 0, commandIds: [], dryRun: true, devices: [] });
    });

    test('a viewer may not dry-run a bulk send either', async () => {
      assertProblem(await bulk({ selector: '', name: 'ping', dryRun: true }, viewer), 403, 'FORBIDDEN');
    });

    test('commands carry the name of their device in lists, on their own, and when sent or cancelled', async () => {
      const [first] = fleet as [{ id: string; name: string }];
      const sent = await t.request({ method: 'POST', url: `/api/v1/devices/${first.id}/commands`, token: operator.accessToken, payload: { name: 'ping' } });
      const command = sent.json<Command>();
      assert.equal(command.deviceName, first.name);
      assert.equal((await get<Command>(`/commands/${command.id}`)).deviceName, first.name);
      const listed = await get<Page<Command>>(`/commands?deviceId=${first.id}`);
      assert.ok(listed.items.length > 0 && listed.items.every((item) => item.deviceName === first.name));
      assert.ok((await get<Page<Command>>(`/devices/${first.id}/commands`)).items.every((item) => item.deviceName === first.name));
      await t.request({ method: 'PATCH', url: `/api/v1/devices/${first.id}`, token: operator.accessToken, payload: { name: 'renamed-kiosk' } });
      assert.equal((await get<Command>(`/commands/${command.id}`)).deviceName, 'renamed-kiosk', 'the current name, not the one at sending');
      const cancelled = await t.request({ method: 'POST', url: `/api/v1/commands/${command.id}/cancel`, token: operator.accessToken });
      assert.equal(cancelled.json<Command>().deviceName, 'renamed-kiosk');
    });
  });
}
