/** Prometheus metrics of the embedded MQTT broker, registered on the app's registry. */
import { Counter, Gauge, type Registry } from 'prom-client';

/** How a connection attempt ended. */
export type ConnectOutcome =
  | 'accepted'
  | 'rate_limited'
  | 'identifier_rejected'
  | 'bad_credentials'
  | 'too_many_connections'
  | 'unsupported_protocol'
  | 'shutting_down';

/** Why a device's publish was not used (it is still acknowledged, see publish.ts). */
export type DropReason = 'acl' | 'too_large' | 'invalid_payload' | 'ingest_failed' | 'no_handler';

/** Counters of the broker; `connected` reads the live client count when scraped. */
export function createBrokerMetrics(registry: Registry, connected: () => number) {
  const registers = [registry];
  const connects = new Counter({
    name: 'flotilla_mqtt_connects_total',
    help: 'MQTT connection attempts by outcome (accepted, rate_limited, identifier_rejected, bad_credentials, too_many_connections, unsupported_protocol, shutting_down)',
    labelNames: ['outcome'] as const,
    registers,
  });
  const publishes = new Counter({ name: 'flotilla_mqtt_publishes_total', help: 'PUBLISH packets received from devices', registers });
  const dropped = new Counter({
    name: 'flotilla_mqtt_publishes_dropped_total',
    help: 'Device publishes acknowledged but not used, by reason (acl, too_large, invalid_payload, ingest_failed, no_handler)',
    labelNames: ['reason'] as const,
    registers,
  });
  const subscriptionsRefused = new Counter({ name: 'flotilla_mqtt_subscriptions_refused_total', help: 'Subscriptions refused by the ACL (SUBACK 0x80)', registers });
  const disconnects = new Counter({
    name: 'flotilla_mqtt_disconnects_total',
    help: 'Connections closed by the broker, by reason (keepalive, oversize, error, kicked)',
    labelNames: ['reason'] as const,
    registers,
  });
  new Gauge({
    name: 'flotilla_mqtt_connections',
    help: 'Authenticated MQTT connections (TCP and WebSocket)',
    registers,
    collect() {
      this.set(connected());
    },
  });
  return {
    connect: (outcome: ConnectOutcome) => connects.inc({ outcome }),
    publish: () => publishes.inc(),
    drop: (reason: DropReason) => dropped.inc({ reason }),
    subscriptionRefused: () => subscriptionsRefused.inc(),
    disconnect: (reason: 'keepalive' | 'oversize' | 'error' | 'kicked') => disconnects.inc({ reason }),
  };
}

/** What the broker reports to. */
export type BrokerMetrics = ReturnType<typeof createBrokerMetrics>;
