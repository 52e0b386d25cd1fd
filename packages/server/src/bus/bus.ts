/**
 * The event bus between parts: ingest publishes telemetry, the broker publishes presence, and
 * the live stream, rules and webhooks subscribe. In one process it is an in-memory emitter; with
 * several instances an adapter over Redis carries the same typed events.
 */
import { EventEmitter } from 'node:events';
import type { CommandStatus, EventLevel, EventSource, TelemetryPoint } from '@flotilla/protocol';

/** Every event on the bus, by name. All carry the tenant, so subscribers can filter by it. */
export interface BusEvents {
  /** Points stored (committed) for a device. */
  telemetry: { tenantId: string; deviceId: string; points: TelemetryPoint[] };
  /** A device came online or went offline. */
  presence: { tenantId: string; deviceId: string; online: boolean; at: number };
  /** Something happened on a device that its owner should see (rejected payload, lifecycle, log). */
  deviceEvent: {
    tenantId: string;
    deviceId: string;
    kind: string;
    at: number;
    data: Record<string, unknown>;
    /** Left out by the server's own notices: the events feature derives them (warn for refusals). */
    level?: EventLevel;
    message?: string;
    /** `device` once a device's own event is stored; anything else is the server's and gets stored by the events feature. */
    source?: EventSource;
  };
  /**
   * The registry changed a device: `tenantId` is where it is now. Caches of labels refresh on
   * it; the broker disconnects a device that was deleted, moved or given a new secret.
   */
  deviceChanged: { tenantId: string; deviceId: string; change: DeviceChange; at: number };
  /**
   * A command changed status (`queued` when created). Delivery listens for `queued` (the
   * instance holding the device's MQTT connection publishes it; HTTP long polls answer) and for
   * `cancelled` with `wasSent` (the instance holding the connection tells the device to stop).
   */
  command: { tenantId: string; deviceId: string; commandId: string; name: string; status: CommandStatus; at: number; error: string | null; wasSent: boolean };
}

/** What happened to a device in the registry. */
export type DeviceChange = 'created' | 'updated' | 'moved' | 'credentials' | 'deleted';

/** A typed publish/subscribe bus. */
export interface Bus {
  publish<Name extends keyof BusEvents>(name: Name, event: BusEvents[Name]): void;
  /** Subscribes; returns the function that unsubscribes. */
  subscribe<Name extends keyof BusEvents>(name: Name, listener: (event: BusEvents[Name]) => void): () => void;
  close(): Promise<void>;
}

/**
 * The in-process bus of the single-machine default. A subscriber that throws is reported to
 * `onListenerError` and never fails the publisher (ingest must not fail because a viewer did).
 */
export function createMemoryBus(onListenerError: (error: unknown, name: string) => void = () => undefined): Bus {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  return {
    publish(name, event) {
      emitter.emit(name, event);
    },
    subscribe(name, listener) {
      const wrapped = (event: BusEvents[typeof name]) => {
        try {
          listener(event);
        } catch (error) {
          onListenerError(error, name);
        }
      };
      emitter.on(name, wrapped);
      return () => emitter.off(name, wrapped);
    },
    async close() {
      emitter.removeAllListeners();
    },
  };
}
