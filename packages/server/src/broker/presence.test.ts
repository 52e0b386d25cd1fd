import assert from 'node:assert/strict';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { test } from 'node:test';
import type { Client } from 'aedes';
import { createMemoryBus, type BusEvents } from '../bus/bus.js';
import { createLogger } from '../log.js';
import { createPresence } from './presence.js';
import type { PresenceChange } from './presence.repository.js';

function fixture() {
  let now = 1_000_000;
  const saved: PresenceChange[][] = [];
  const events: BusEvents['presence'][] = [];
  const bus = createMemoryBus();
  bus.subscribe('presence', (event) => events.push(event));
  const presence = createPresence({
    repository: { markAllOffline: async () => 2, save: async (changes) => void saved.push([...changes]) },
    bus,
    log: createLogger({ logLevel: 'silent' }),
    lastSeenWriteIntervalMs: 60_000,
    now: () => now,
  });
  return { presence, saved, events, advance: (ms: number) => (now += ms), now: () => now };
}

const device = { id: 'dev_a', tenantId: 'ten_a' };
const client = () => ({}) as Client;

test('online with the first connection, offline after the last; each change written, then published', async () => {
  const { presence, saved, events } = fixture();
  const [first, second] = [client(), client()];
  presence.connected(device, first);
  presence.connected(device, second);
  await presence.flush();
  presence.disconnected(device.id, first);
  await presence.flush();
  assert.deepEqual(events.map((event) => event.online), [true], 'one connection left: still online');
  presence.disconnected(device.id, second);
  await presence.flush();
  assert.deepEqual(events.map((event) => event.online), [true, false]);
  assert.deepEqual(saved.flat().map((change) => change.online), [true, false]);
  assert.equal(events[0]?.tenantId, 'ten_a');
});

test('a takeover (old connection closes, new one registers in the same turn) does not flap', async () => {
  const { presence, events } = fixture();
  const [old, replacement] = [client(), client()];
  presence.connected(device, old);
  await presence.flush();
  presence.disconnected(device.id, old);
  presence.connected(device, replacement);
  await nextTurn();
  await presence.flush();
  assert.deepEqual(events.map((event) => event.online), [true]);
  assert.equal(presence.connectionsOf(device.id).length, 1);
});

test('activity moves last_seen_at at most once per interval', async () => {
  const { presence, saved, advance, now } = fixture();
  presence.connected(device, client());
  await presence.flush();
  saved.length = 0;
  for (let index = 0; index < 100; index++) {
    advance(500);
    presence.touch(device.id);
  }
  await presence.flush();
  assert.deepEqual(saved, [], '50 seconds of messages: no write');
  advance(10_000);
  presence.touch(device.id);
  presence.touch(device.id);
  await presence.flush();
  assert.deepEqual(saved, [[{ deviceId: device.id, online: undefined, seenAt: now() }]]);
});
