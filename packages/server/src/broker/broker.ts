/**
 * The embedded MQTT broker (Aedes), with Flotilla's policy in its hooks: devices connect with
 * their id and secret (connect.ts), touch only their own topics (acl.ts), and their messages
 * are consumed by the server (publish.ts) rather than routed: the broker delivers to devices
 * only what the server publishes to them. Plain TCP (listen) and MQTT over WebSocket (handle,
 * from the HTTP server's upgrade) feed the same broker.
 *
 *   const broker = createBroker({ … });
 *   await broker.start();
 *   await broker.listen('0.0.0.0', 1883);
 *   await broker.stop(); // disconnects every client, then presence is written
 */
import type { EventEmitter } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { Aedes, type Client, type PublishPacket } from 'aedes';
import type { Registry } from 'prom-client';
import type { Bus } from '../bus/bus.js';
import type { Logger } from '../log.js';
import type { AuthenticatedDevice, DeviceAuthenticator } from '../telemetry/device-auth.js';
import { isDeliveryAllowed, isServerTopic, isSubscriptionAllowed, topicMatches } from './acl.js';
import { createBrokerMetrics } from './broker-metrics.js';
import { createConnectSteps, type ConnectAttempt } from './connect.js';
import { createPacketSizeGuard } from './packet-size-guard.js';
import type { Presence } from './presence.js';
import { createPublishSteps, type PublishDependencies } from './publish.js';
import { createRateLimiter } from './rate-limiter.js';

/** What the broker is built from. */
export interface BrokerDependencies extends Omit<PublishDependencies, 'metrics'> {
  connectRatePerSecond: number;
  authenticateDevice: DeviceAuthenticator;
  presence: Presence;
  bus: Bus;
  registry: Registry;
}

interface Session {
  device: AuthenticatedDevice;
  /** Settles when the previous publish has been answered: acknowledgements keep arrival order. */
  tail: Promise<void>;
  /** The topic filters the connection holds (granted subscriptions). */
  filters: Set<string>;
}

/** Told when a device's connection has subscribed, with the filters granted. */
export type SubscribeListener = (device: AuthenticatedDevice, filters: readonly string[]) => void;

// Device messages are consumed in authorizePublish; this topic, which no subscription can match
// (devices subscribe under their own prefix only, and wildcards never match `$` topics,
// [MQTT-4.7.2-1]), keeps Aedes from routing, queueing or retaining them.
const CONSUMED_TOPIC = '$flotilla/consumed';
// Room for the topic and headers around the largest payload accepted.
const PACKET_OVERHEAD_BYTES = 64 * 1024;

/** Creates the broker. */
export function createBroker(dependencies: BrokerDependencies) {
  const { presence, bus, log } = dependencies;
  const sessions = new WeakMap<Client, Session>();
  const emptyClientIds = new WeakSet<Client>();
  let tcpServer: Server | null = null;
  let tcpListener: { port: number; tls: boolean } | null = null;
  let isStopping = false;
  const aedes = new Aedes({ connectTimeout: 10_000, maxClientsIdLength: 256 });
  const metrics = createBrokerMetrics(dependencies.registry, () => aedes.connectedClients ?? 0);
  const publishSteps = createPublishSteps({ ...dependencies, metrics });
  const runConnectSteps = createConnectSteps({
    limiter: createRateLimiter(dependencies.connectRatePerSecond),
    isStopping: () => isStopping,
    authenticateDevice: dependencies.authenticateDevice,
    connectionsOf: presence.connectionsOf,
  });
  const maxPacketBytes = dependencies.maxPayloadBytes + PACKET_OVERHEAD_BYTES;

  aedes.preConnect = (client, packet, callback) => {
    if ((packet.protocolVersion ?? 4) > 4) metrics.connect('unsupported_protocol');
    if (!packet.clientId) emptyClientIds.add(client);
    // Client ids live in the device's own namespace, so one device can never take over another's
    // session ([MQTT-3.1.4-2]); the name is verified by authenticate before anything registers.
    else if (packet.username) packet.clientId = `${packet.username}/${packet.clientId}`;
    callback(null, true);
  };

  aedes.authenticate = (client, username, password, callback) => {
    const attempt: ConnectAttempt = { client, username, password, isClientIdEmpty: emptyClientIds.has(client), device: null };
    runConnectSteps(attempt).then(
      (refusal) => {
        if (refusal) {
          metrics.connect(refusal.outcome);
          log.debug({ username, returnCode: refusal.returnCode, reason: refusal.reason }, 'mqtt connection refused');
          return callback(Object.assign(new Error(refusal.reason), { returnCode: refusal.returnCode }), false);
        }
        if (!attempt.device) return callback(Object.assign(new Error('not authenticated'), { returnCode: 5 as const }), false);
        sessions.set(client, { device: attempt.device, tail: Promise.resolve(), filters: new Set() });
        metrics.connect('accepted');
        callback(null, true);
      },
      (error: unknown) => {
        log.error({ err: error, username }, 'mqtt authentication failed');
        callback(Object.assign(new Error('server error'), { returnCode: 3 as const }), false);
      },
    );
  };

  aedes.authorizePublish = (client, packet, callback) => {
    const { topic, payload } = packet;
    packet.topic = CONSUMED_TOPIC;
    packet.retain = false;
    const session = client ? sessions.get(client) : undefined;
    if (!session) return callback(null);
    presence.touch(session.device.id);
    const outcome = publishSteps.run({ device: session.device, topic, payload: toBuffer(payload), qos: packet.qos });
    session.tail = session.tail
      .then(() => outcome)
      .then((error) => callback(error))
      .catch((error: unknown) => log.error({ err: error }, 'mqtt publish callback failed'));
  };

  aedes.authorizeSubscribe = (client, subscription, callback) => {
    const session = sessions.get(client);
    if (session && isSubscriptionAllowed(session.device.id, subscription.topic)) return callback(null, subscription);
    metrics.subscriptionRefused();
    if (session) {
      const { id: deviceId, tenantId } = session.device;
      bus.publish('deviceEvent', { tenantId, deviceId, kind: 'mqtt.subscribe_denied', at: Date.now(), data: { topic: subscription.topic } });
    }
    // A null subscription gets return code 0x80 (failure) in the SUBACK ([MQTT-3.8.4-5]).
    callback(null, null);
  };

  aedes.authorizeForward = (client, packet) => {
    const session = sessions.get(client);
    return session && isDeliveryAllowed(session.device.id, packet.topic) ? packet : null;
  };

  wireEvents(aedes, sessions, dependencies, metrics);

  const subscribeListeners = new Set<SubscribeListener>();
  // Emitted once the subscriptions are in place, so a message published now reaches them.
  aedes.on('subscribe', (subscriptions, client) => {
    const session = client ? sessions.get(client) : undefined;
    if (!session) return;
    // A refused filter is reported with the SUBACK failure code 0x80 as its QoS ([MQTT-3.9.3]).
    const granted = subscriptions.filter((subscription) => (subscription.qos as number) !== 0x80).map((subscription) => subscription.topic);
    for (const filter of granted) session.filters.add(filter);
    for (const listener of subscribeListeners) listener(session.device, granted);
  });
  aedes.on('unsubscribe', (filters, client) => {
    const session = client ? sessions.get(client) : undefined;
    for (const filter of filters) session?.filters.delete(filter);
  });

  // A device deleted, moved to another tenant or given a new secret must connect again.
  const stopWatchingDevices = bus.subscribe('deviceChanged', (event) => {
    if (event.change === 'deleted' || event.change === 'moved' || event.change === 'credentials') disconnectDevice(event.deviceId);
  });

  /** Closes every connection of a device. */
  function disconnectDevice(deviceId: string): void {
    for (const client of presence.connectionsOf(deviceId)) {
      metrics.disconnect('kicked');
      log.info({ deviceId }, 'mqtt connection closed: the device changed in the registry');
      client.close();
    }
  }

  /** Hands a connection (TCP socket or WebSocket stream) to the broker. */
  function handle(stream: Duplex, request?: IncomingMessage): void {
    if (isStopping) {
      stream.destroy();
      return;
    }
    aedes.handle(stream, request);
    const guard = createPacketSizeGuard(maxPacketBytes);
    // With Aedes reading through 'readable', a 'data' listener sees each chunk it reads without
    // changing the flow; an oversized packet closes the connection before it is buffered.
    stream.on('data', (chunk: Buffer) => {
      if (guard(chunk)) return;
      metrics.disconnect('oversize');
      log.warn({ limit: maxPacketBytes }, 'mqtt packet over the size limit; connection closed');
      stream.destroy();
    });
  }

  return {
    handle,
    /** The largest packet a connection may send; WebSocket frames share the limit. */
    maxPacketBytes,
    /** Starts Aedes and prepares presence (devices left online by a previous run go offline). */
    async start(): Promise<void> {
      await aedes.listen();
      await presence.start();
    },

    /** Starts the TCP listener (MQTT over TLS when given a certificate); resolves with the port. */
    async listen(host: string, port: number, tls?: { cert: Buffer; key: Buffer }): Promise<number> {
      const accept = (socket: Socket) => {
        socket.setNoDelay(true);
        handle(socket);
      };
      const server = tls ? createTlsServer(tls, accept) : createServer(accept);
      server.on('tlsClientError', (error: Error) => log.debug({ err: error }, 'mqtt tls handshake failed'));
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      server.on('error', (error) => log.error({ err: error }, 'mqtt listener failed'));
      tcpServer = server;
      tcpListener = { port: (server.address() as AddressInfo).port, tls: Boolean(tls) };
      return tcpListener.port;
    },

    /** The TCP listener as devices should reach it (the port it really got); null before listen or without one. */
    tcpListener(): { port: number; tls: boolean } | null {
      return tcpListener;
    },

    /** Publishes a server → device message (a command, the desired state). */
    publish(topic: string, payload: Buffer | string, options: { qos?: 0 | 1; retain?: boolean } = {}): Promise<void> {
      if (!isServerTopic(topic)) return Promise.reject(new Error(`not a server → device topic: ${topic}`));
      const packet = { cmd: 'publish', topic, payload, qos: options.qos ?? 1, retain: options.retain ?? false, dup: false } as PublishPacket;
      return new Promise((resolve, reject) => aedes.publish(packet, (error) => (error ? reject(error) : resolve())));
    },

    /** Lets another feature consume a device → server topic kind. */
    setHandler: publishSteps.setHandler,

    /** True when a connection of the device to this broker holds a subscription matching the topic. */
    isSubscribed(deviceId: string, topic: string): boolean {
      return presence.connectionsOf(deviceId).some((client) => [...(sessions.get(client)?.filters ?? [])].some((filter) => topicMatches(filter, topic)));
    },

    /** Calls the listener whenever a device subscribes; returns the function that stops it. */
    onSubscribe(listener: SubscribeListener): () => void {
      subscribeListeners.add(listener);
      return () => subscribeListeners.delete(listener);
    },

    /** Closes every connection of a device (deleted, moved, or its secret changed). */
    disconnectDevice,

    /** Stops accepting, disconnects every client, and writes their presence. */
    async stop(): Promise<void> {
      isStopping = true;
      stopWatchingDevices();
      const server = tcpServer;
      const closed = server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      await closed;
      await presence.flush();
    },
  };
}

/** The broker. */
export type Broker = ReturnType<typeof createBroker>;

function toBuffer(payload: Buffer | string): Buffer {
  return typeof payload === 'string' ? Buffer.from(payload) : payload;
}

/** Presence, activity and failures: Aedes events logged and counted, never thrown. */
function wireEvents(aedes: Aedes, sessions: WeakMap<Client, Session>, { presence, log }: BrokerDependencies, metrics: ReturnType<typeof createBrokerMetrics>): void {
  const deviceOf = (client: Client | null) => (client ? sessions.get(client)?.device : undefined);
  aedes.on('client', (client) => {
    const device = deviceOf(client);
    if (device) presence.connected(device, client);
  });
  aedes.on('clientDisconnect', (client) => {
    const device = deviceOf(client);
    if (device) presence.disconnected(device.id, client);
  });
  aedes.on('ping', (_packet, client) => {
    const device = deviceOf(client);
    if (device) presence.touch(device.id);
  });
  aedes.on('keepaliveTimeout', (client) => {
    metrics.disconnect('keepalive');
    log.info({ deviceId: deviceOf(client)?.id }, 'mqtt keep-alive timed out');
  });
  aedes.on('clientError', (client, error) => log.debug({ err: error, deviceId: deviceOf(client)?.id }, 'mqtt client error'));
  aedes.on('connectionError', (_client, error) => log.debug({ err: error }, 'mqtt connection error'));
  // Persistence failures surface as 'error'; unheard, an EventEmitter would throw them.
  (aedes as EventEmitter).on('error', (error: Error) => log.error({ err: error }, 'mqtt broker error'));
}
