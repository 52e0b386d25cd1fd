/** Live clients that read too slowly, and live clients at shutdown. */
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { test } from 'node:test';
import type { LiveServerMessage } from '@flotilla/protocol';
import { eventually, startBrokerFixture, type BrokerFixture } from './broker-helpers.js';
import { openLive, type LiveClient } from './live-helpers.js';

const EVENTS = 300;
const VALUE = 'x'.repeat(100_000);

/** Pauses reading on the client's TCP socket, as a client on a slow link would. */
function rawSocket(client: LiveClient): Socket {
  return (client.socket as unknown as { _socket: Socket })._socket;
}

/** Publishes many large telemetry events for one device of the fixture's tenant. */
function flood(fixture: BrokerFixture, deviceId: string): void {
  for (let index = 0; index < EVENTS; index++) {
    fixture.bus.publish('telemetry', { tenantId: fixture.tenantId, deviceId, points: [{ key: 'blob', ts: index, value: VALUE }] });
  }
}

async function metric(fixture: BrokerFixture, name: string): Promise<number> {
  const body = (await fixture.app.inject({ url: '/metrics' })).body;
  return Number(new RegExp(`^${name} (\\d+)`, 'm').exec(body)?.[1] ?? 0);
}

test('a client that reads slowly loses the oldest messages, is told how many, and gets the newest', async () => {
  const fixture = await startBrokerFixture('sqlite', { liveBufferBytes: '64kb', liveSlowClientTimeoutMs: '60s' });
  try {
    const device = await fixture.device();
    const stream = await openLive(fixture.httpUrl, (await fixture.signIn()).accessToken);
    await stream.subscribe({ id: 's', devices: [device.id] });
    rawSocket(stream).pause();
    flood(fixture, device.id);
    await eventually(async () => assert.ok((await metric(fixture, 'flotilla_live_messages_dropped_total')) > 0));
    rawSocket(stream).resume();
    const notice = await stream.next((message) => message.type === 'notice', 10_000);
    const dropped = notice.type === 'notice' ? (notice.dropped ?? 0) : 0;
    assert.equal(notice.type === 'notice' && notice.message, `dropped ${dropped} messages`);
    const timestamps = () => stream.messages.flatMap((message: LiveServerMessage) => (message.type === 'telemetry' ? [message.points[0]?.ts] : []));
    await eventually(() => assert.equal(timestamps().at(-1), EVENTS - 1), 10_000);
    assert.equal(timestamps().length + dropped, EVENTS, 'every event is either delivered or counted as dropped');
    assert.ok(dropped > EVENTS / 2, `most of ${EVENTS} × 100 KB could not wait for a 64 KB buffer (dropped ${dropped})`);
    assert.deepEqual(timestamps(), [...timestamps()].sort((a, b) => (a as number) - (b as number)), 'order is kept');
    assert.equal(await metric(fixture, 'flotilla_live_messages_dropped_total'), dropped);
    await stream.close();
  } finally {
    await fixture.close();
  }
});

test('a client that stays behind longer than FLOTILLA_LIVE_SLOW_TIMEOUT is disconnected', async () => {
  const fixture = await startBrokerFixture('sqlite', { liveBufferBytes: '64kb', liveSlowClientTimeoutMs: '300ms' });
  try {
    const device = await fixture.device();
    const stream = await openLive(fixture.httpUrl, (await fixture.signIn()).accessToken);
    await stream.subscribe({ id: 's', devices: [device.id] });
    const closed = new Promise((resolve) => stream.socket.once('close', resolve));
    rawSocket(stream).pause();
    flood(fixture, device.id);
    await eventually(async () => assert.equal(await metric(fixture, 'flotilla_live_slow_disconnects_total'), 1), 5000);
    rawSocket(stream).resume();
    await closed;
  } finally {
    await fixture.close();
  }
});

test('closing the server closes live sockets with 1001 (going away)', async () => {
  const fixture = await startBrokerFixture('sqlite');
  try {
    const stream = await openLive(fixture.httpUrl, (await fixture.signIn()).accessToken);
    const closed = new Promise<number>((resolve) => stream.socket.once('close', (code) => resolve(code)));
    await fixture.stop();
    assert.equal(await closed, 1001);
  } finally {
    await fixture.close();
  }
});
