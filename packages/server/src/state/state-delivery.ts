/**
 * Delivery of the desired state over MQTT: the effective document is published retained on
 * `…/state/desired` (QoS 1) whenever its version changes. Aedes keeps retained messages in
 * memory only, so a device that subscribes before anything was published for it since start
 * (after a restart) gets its state published then, unless nothing was ever declared for it.
 */
import { topics, type DesiredStateMessage } from '@flotilla/protocol';
import { topicMatches } from '../broker/acl.js';
import type { Broker } from '../broker/broker.js';
import type { Bus } from '../bus/bus.js';
import type { Logger } from '../log.js';
import type { StateDelivery } from './desired.js';

/** Creates the delivery; `messageFor` reads a device's current message from the store. */
export function createStateDelivery({ broker, bus, log, messageFor }: {
  broker: Pick<Broker, 'publish' | 'onSubscribe'>;
  bus: Bus;
  log: Logger;
  messageFor: (deviceId: string) => Promise<DesiredStateMessage>;
}): StateDelivery & { stop(): void } {
  const publishedSinceStart = new Set<string>();
  const queues = new Map<string, Promise<void>>();

  /** Runs publishes of one device in order, so the retained message is always the newest. */
  function enqueue(deviceId: string, task: () => Promise<void>): void {
    const next = (queues.get(deviceId) ?? Promise.resolve()).then(task).catch((error: unknown) => log.warn({ err: error, deviceId }, 'desired state not published'));
    queues.set(deviceId, next);
    void next.then(() => {
      if (queues.get(deviceId) === next) queues.delete(deviceId);
    });
  }

  /** Publishes the current message; on a subscription, version 0 (nothing ever declared) is not sent. */
  function refresh(deviceId: string, isSubscription = false): void {
    enqueue(deviceId, async () => {
      const message = await messageFor(deviceId);
      if (isSubscription && message.version === 0) return;
      await broker.publish(topics.stateDesired(deviceId), JSON.stringify(message), { qos: 1, retain: true });
      publishedSinceStart.add(deviceId);
    });
  }

  broker.onSubscribe((device, filters) => {
    if (publishedSinceStart.has(device.id)) return;
    if (filters.some((filter) => topicMatches(filter, topics.stateDesired(device.id)))) refresh(device.id, true);
  });

  // A deleted device's retained message goes too: an empty retained payload clears it [MQTT-3.3.1-10].
  const unsubscribe = bus.subscribe('deviceChanged', (event) => {
    if (event.change !== 'deleted') return;
    publishedSinceStart.delete(event.deviceId);
    enqueue(event.deviceId, () => broker.publish(topics.stateDesired(event.deviceId), '', { qos: 1, retain: true }));
  });

  return { refresh: (deviceId) => refresh(deviceId), stop: unsubscribe };
}
