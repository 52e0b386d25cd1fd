/**
 * Presence of the devices connected to the embedded broker. A device is online while it has at
 * least one connection; it goes offline when the last one closes, whether by DISCONNECT,
 * keep-alive timeout or a broken socket. Changes are written in batches (one transaction for
 * whatever gathered) and published on the bus once written. `last_seen_at` follows activity
 * but is written at most once per `lastSeenWriteIntervalMs` per device, never per message.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Client } from 'aedes';
import type { Bus, BusEvents } from '../bus/bus.js';
import type { Logger } from '../log.js';
import type { PresenceChange, PresenceRepository } from './presence.repository.js';

/** What presence is built from. */
export interface PresenceDependencies {
  repository: PresenceRepository;
  bus: Bus;
  log: Logger;
  lastSeenWriteIntervalMs?: number;
  now?: () => number;
}

interface DevicePresence {
  tenantId: string;
  connections: Set<Client>;
  savedSeenAt: number;
}

/** How often, at most, activity moves a device's stored last_seen_at. */
export const DEFAULT_LAST_SEEN_WRITE_INTERVAL_MS = 60_000;

/** Creates the presence tracker. */
export function createPresence({ repository, bus, log, lastSeenWriteIntervalMs = DEFAULT_LAST_SEEN_WRITE_INTERVAL_MS, now = Date.now }: PresenceDependencies) {
  const devices = new Map<string, DevicePresence>();
  const pending = new Map<string, PresenceChange>();
  let events: BusEvents['presence'][] = [];
  let running: Promise<void> | null = null;

  function queue(change: PresenceChange, event?: BusEvents['presence']): void {
    const earlier = pending.get(change.deviceId);
    pending.set(change.deviceId, {
      deviceId: change.deviceId,
      online: change.online ?? earlier?.online,
      seenAt: Math.max(change.seenAt, earlier?.seenAt ?? 0),
    });
    if (event) events.push(event);
    run();
  }

  /** Writes whatever has gathered, then publishes the changes it carried, until nothing is left. */
  async function drain(): Promise<void> {
    await nextTurn();
    while (pending.size > 0) {
      const changes = [...pending.values()];
      const written = events;
      pending.clear();
      events = [];
      try {
        await repository.save(changes);
      } catch (error) {
        // Presence mirrors the connections; the next change or reconnect writes it again.
        log.error({ err: error, devices: changes.length }, 'saving presence failed');
      }
      for (const event of written) bus.publish('presence', event);
    }
  }

  function run(): void {
    if (running) return;
    running = drain().finally(() => {
      running = null;
      if (pending.size > 0) run();
    });
  }

  function goOfflineIfIdle(deviceId: string, entry: DevicePresence): void {
    if (entry.connections.size > 0 || devices.get(deviceId) !== entry) return;
    devices.delete(deviceId);
    const at = now();
    queue({ deviceId, online: false, seenAt: at }, { tenantId: entry.tenantId, deviceId, online: false, at });
  }

  return {
    /** Marks every device offline: at start-up no device can be connected to this broker yet. */
    async start(): Promise<void> {
      const count = await repository.markAllOffline();
      if (count > 0) log.info({ devices: count }, 'devices left online by the previous run marked offline');
    },

    /** A connection of the device was registered. */
    connected(device: { id: string; tenantId: string }, client: Client): void {
      const entry = devices.get(device.id);
      if (entry) {
        entry.connections.add(client);
        return;
      }
      const at = now();
      devices.set(device.id, { tenantId: device.tenantId, connections: new Set([client]), savedSeenAt: at });
      queue({ deviceId: device.id, online: true, seenAt: at }, { tenantId: device.tenantId, deviceId: device.id, online: true, at });
    },

    /**
     * A connection of the device closed. Offline is decided a turn later: on a takeover
     * ([MQTT-3.1.4-2]) the old connection closes just before the new one registers.
     */
    disconnected(deviceId: string, client: Client): void {
      const entry = devices.get(deviceId);
      if (!entry || !entry.connections.delete(client) || entry.connections.size > 0) return;
      setImmediate(() => goOfflineIfIdle(deviceId, entry));
    },

    /** The device did something (a packet arrived); moves last_seen_at when it is due. */
    touch(deviceId: string): void {
      const entry = devices.get(deviceId);
      const at = now();
      if (!entry || at - entry.savedSeenAt < lastSeenWriteIntervalMs) return;
      entry.savedSeenAt = at;
      queue({ deviceId, seenAt: at });
    },

    /** The device's open connections. */
    connectionsOf(deviceId: string): readonly Client[] {
      return [...(devices.get(deviceId)?.connections ?? [])];
    },

    /** Connected devices. */
    onlineCount: () => devices.size,

    /** Writes every pending change (offline decisions included) and resolves. */
    async flush(): Promise<void> {
      await nextTurn();
      while (running || pending.size > 0) {
        run();
        await running;
      }
    },
  };
}

/** The presence tracker. */
export type Presence = ReturnType<typeof createPresence>;
