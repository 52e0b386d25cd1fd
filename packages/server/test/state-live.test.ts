/** State changes on the live stream: `state.desired_changed` and `state.reported` reach the tenant's subscribers, never another tenant's. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { LiveServerMessage, Session } from '@flotilla/protocol';
import { createTenant } from './telemetry-helpers.js';
import { startBrokerFixture, type BrokerFixture } from './broker-helpers.js';
import { openLive } from './live-helpers.js';

type DeviceEventMessage = Extract<LiveServerMessage, { type: 'deviceEvent' }>;
const isStateEvent = (deviceId: string, kind: string) => (message: LiveServerMessage): message is DeviceEventMessage =>
  message.type === 'deviceEvent' && message.deviceId === deviceId && message.kind === kind;

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`state on the live stream (${dialect})`, () => {
    let fixture: BrokerFixture;
    let operator: Session;
    let otherTenantId: string;
    let otherOperator: Session;

    const call = async (session: Session, method: 'PUT' | 'PATCH' | 'POST', url: string, payload: object, headers: Record<string, string> = {}) => {
      const response = await fixture.app.inject({ method, url: `/api/v1${url}`, headers: { authorization: `Bearer ${session.accessToken}`, ...headers }, payload });
      assert.ok(response.statusCode < 300, response.body);
      return response;
    };

    before(async () => {
      fixture = await startBrokerFixture(dialect);
      operator = await fixture.signIn(fixture.tenantId, 'operator');
      otherTenantId = await createTenant(fixture.store.db, 'Other');
      otherOperator = await fixture.signIn(otherTenantId, 'operator');
    });
    after(() => fixture.close());

    test("a layer write, a profile and a device's report reach the tenant's subscriber; another tenant's sees none of them", async () => {
      const device = await fixture.device({ site: 'oslo' });
      const theirs = await fixture.device({ site: 'oslo' }, otherTenantId);
      const ours = await openLive(fixture.httpUrl, (await fixture.signIn()).accessToken);
      const stranger = await openLive(fixture.httpUrl, (await fixture.signIn(otherTenantId)).accessToken);
      // The stranger asks for everything, and names our device explicitly in a second subscription.
      await ours.subscribe({ id: 'oslo', selector: 'site=oslo', events: ['deviceEvent'] });
      await stranger.subscribe({ id: 'all' });
      await stranger.subscribe({ id: 'named', devices: [device.id] });

      await call(operator, 'PUT', `/devices/${device.id}/state`, { state: { settings: { interval: 5 } } });
      const desired = await ours.next(isStateEvent(device.id, 'state.desired_changed'));
      assert.deepEqual(desired.data, { version: 1 });
      assert.equal(desired.subscription, 'oslo');

      await call(operator, 'POST', '/profiles', { name: 'oslo', selector: 'site=oslo', priority: 0, state: { settings: { tz: 'Europe/Oslo' } } });
      const fromProfile = await ours.next((message) => isStateEvent(device.id, 'state.desired_changed')(message) && message.data.version === 2);
      assert.deepEqual((fromProfile as DeviceEventMessage).data, { version: 2 });

      const report = await fixture.app.inject({
        method: 'PATCH',
        url: '/api/v1/device/state',
        headers: { authorization: `Basic ${Buffer.from(`${device.id}:${device.secret}`).toString('base64')}` },
        payload: { applied: { version: 2, status: 'applied' } },
      });
      assert.equal(report.statusCode, 200, report.body);
      const reported = await ours.next(isStateEvent(device.id, 'state.reported'));
      assert.deepEqual(reported.data, { version: 1, appliedVersion: 2, appliedStatus: 'applied', inventory: false, transport: 'http' });

      // A change of the stranger's own device is the barrier: once it arrives, ours would have too.
      await call(otherOperator, 'PUT', `/devices/${theirs.id}/state`, { state: { mine: true } });
      await stranger.next(isStateEvent(theirs.id, 'state.desired_changed'));
      assert.deepEqual(
        stranger.messages.filter((message) => 'deviceId' in message && message.deviceId === device.id),
        [],
        "nothing of another tenant's device reaches the stranger",
      );
      assert.ok(!ours.messages.some((message) => 'deviceId' in message && message.deviceId === theirs.id), 'and nothing of theirs reaches us');
      await Promise.all([ours.close(), stranger.close()]);
    });
  });
}
