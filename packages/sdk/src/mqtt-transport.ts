/**
 * The MQTT transport (MQTT.js, MQTT 3.1.1): one connection with username = device id and
 * password = secret, QoS 1 publishes that resolve on PUBACK (the server sends it only once the
 * message is stored), subscriptions to the retained desired state and the command topic, a
 * last will on the events topic, and reconnection with exponential backoff and jitter until
 * closed or until the credentials are refused (CONNACK 4).
 */
import { CommandMessageSchema, DesiredStateMessageSchema, parseDeviceTopic, topics, type CommandMessage, type DesiredStateMessage } from '@flotilla/protocol';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import { backoffDelay, type BackoffOptions } from './backoff.js';
import { askBrokerUrl } from './broker-address.js';
import type { FetchFunction } from './http-request.js';
import { createEmitter } from './emitter.js';
import { AckTimeoutError, ClientClosedError, CredentialsRefusedError, NotConnectedError, UnexpectedResponseError } from './errors.js';
import { networkReason } from './http-request.js';
import { firstError } from './schema-check.js';
import type { Subscription, Transport, TransportEvents } from './transport.js';

/** How the MQTT transport connects. */
export interface MqttTransportOptions {
  /** null: ask the server (serverUrl) where its broker is; asked again only while the answer could not be had. */
  mqttUrl: string | null;
  serverUrl: string;
  /** How the broker's address is asked for; the global fetch by default. */
  fetch?: FetchFunction;
  requestTimeoutMs: number;
  deviceId: string;
  secret: string;
  clientId: string;
  /** Clean session: the server redelivers pending commands from its store on every subscription. */
  cleanSession: boolean;
  keepaliveSeconds: number;
  connectTimeoutMs: number;
  ackTimeoutMs: number;
  backoff: BackoffOptions;
  /** The last will's payload on the events topic; null for none. */
  will: string | null;
}

// CONNACK return codes of MQTT 3.1.1 (section 3.2.2.3). Bad credentials stay bad whatever the
// retry. Flotilla answers "not authorised" to a device that already has as many connections as
// it may hold; those time out by keep-alive, so that one is retried like a lost connection.
const CONNACK_BAD_CREDENTIALS = 4;
const CONNACK_NOT_AUTHORIZED = 5;
const CLOSE_GRACE_MS = 2000;

/** Creates the transport; start() connects. */
export function createMqttTransport(options: MqttTransportOptions): Transport {
  const events = createEmitter<TransportEvents>();
  const wanted = new Set<Subscription>();
  let client: MqttClient | null = null;
  let isConnected = false;
  let isClosed = false;
  let isOpening = false;
  let attempt = 0;
  let reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  let lastError = 'no connection yet';

  const topicOf: Record<Subscription, string> = {
    commands: topics.commands(options.deviceId),
    desiredState: topics.stateDesired(options.deviceId),
  };

  function clientOptions(): IClientOptions {
    return {
      clientId: options.clientId,
      username: options.deviceId,
      password: options.secret,
      protocolVersion: 4,
      clean: options.cleanSession,
      keepalive: options.keepaliveSeconds,
      connectTimeout: options.connectTimeoutMs,
      // Reconnection is ours (backoff with jitter, and none after refused credentials).
      reconnectPeriod: 0,
      // Subscriptions are made again by onConnect, where a refusal can be seen.
      resubscribe: false,
      queueQoSZero: false,
      // mqtt-packet otherwise keeps a ready Buffer for each of the 65,536 packet ids: 6 MB of
      // heap that a device sending a few messages a second never gains from (BENCHMARKS.md).
      writeCache: false,
      ...(options.will ? { will: { topic: topics.events(options.deviceId), payload: options.will, qos: 1 as const, retain: false } } : {}),
    };
  }

  function onConnect(): void {
    attempt = 0;
    isConnected = true;
    for (const subscription of wanted) subscribeNow(subscription);
    events.emit('connected');
  }

  function onError(error: Error & { code?: unknown }): void {
    if (error.code === CONNACK_BAD_CREDENTIALS) {
      const why = 'bad user name or password: the device was deleted, moved or given a new secret';
      refuse(new CredentialsRefusedError(`the MQTT broker refused device ${options.deviceId} (CONNACK ${error.code}, ${why})`, 'mqtt'));
      return;
    }
    lastError =
      error.code === CONNACK_NOT_AUTHORIZED
        ? `the MQTT broker refused device ${options.deviceId} for now (CONNACK 5: it has too many connections open); retrying`
        : error.message || String(error);
    if (error.code === CONNACK_NOT_AUTHORIZED) events.emit('error', new Error(lastError));
  }

  function onClose(): void {
    const wasConnected = isConnected;
    isConnected = false;
    if (wasConnected) events.emit('disconnected', lastError === 'no connection yet' ? 'connection closed' : lastError);
    if (isClosed) return;
    scheduleReconnect();
  }

  function scheduleReconnect(): void {
    if (reconnectTimer || isClosed) return;
    const delay = backoffDelay(attempt++, options.backoff);
    reconnectTimer = setTimeout(() => {
      reconnectTimer = null;
      if (isClosed) return;
      if (!client) void open();
      else if (!client.connected) client.reconnect();
    }, delay);
  }

  /** Finds the broker (the given URL, or the one the server names) and connects to it. */
  async function open(): Promise<void> {
    isOpening = true;
    let url: string;
    try {
      url = options.mqttUrl ?? (await askBrokerUrl(options.serverUrl, { deviceId: options.deviceId, secret: options.secret }, options.requestTimeoutMs, options.fetch));
    } catch (error) {
      isOpening = false;
      if (error instanceof CredentialsRefusedError) return refuse(error);
      // The server could not say where its broker is: try again as after a lost connection.
      lastError = `cannot learn the broker's address from ${options.serverUrl}: ${error instanceof Error ? error.message : networkReason(error)}`;
      scheduleReconnect();
      return;
    }
    isOpening = false;
    if (isClosed) return;
    client = connect(url, clientOptions());
    client.on('connect', onConnect);
    client.on('error', onError);
    client.on('close', onClose);
    client.on('message', onMessage);
  }

  function refuse(error: CredentialsRefusedError): void {
    if (isClosed) return;
    void close();
    events.emit('refused', error);
  }

  function onMessage(topic: string, payload: Buffer): void {
    if (payload.length === 0) return; // a cleared retained message (the device was deleted)
    const parsed = parseDeviceTopic(topic);
    if (!parsed || parsed.deviceId !== options.deviceId) return;
    let value: unknown;
    try {
      value = JSON.parse(payload.toString());
    } catch {
      events.emit('error', new UnexpectedResponseError(`the server sent a message on ${topic} that is not JSON`, 0));
      return;
    }
    if (parsed.kind === 'stateDesired') {
      const mismatch = firstError(DesiredStateMessageSchema, value);
      if (mismatch) events.emit('error', new UnexpectedResponseError(`desired state message ${mismatch}`, 0));
      else events.emit('desiredState', value as DesiredStateMessage);
    } else if (parsed.kind === 'command') {
      const mismatch = firstError(CommandMessageSchema, value);
      if (mismatch) events.emit('error', new UnexpectedResponseError(`command message ${mismatch}`, 0));
      else events.emit('command', value as CommandMessage);
    }
  }

  function subscribeNow(subscription: Subscription): void {
    if (!client || !isConnected) return;
    client.subscribe(topicOf[subscription], { qos: 1 }, (error, granted) => {
      if (error) return events.emit('error', error);
      if (granted?.some((grant) => grant.qos === 0x80)) events.emit('error', new UnexpectedResponseError(`the server refused the subscription to ${topicOf[subscription]}`, 0));
    });
  }

  /** Publishes QoS 1; resolves on PUBACK, rejects when not connected, on timeout, or on close. */
  function publish(topic: string, body: string): Promise<void> {
    if (isClosed) return Promise.reject(new ClientClosedError());
    if (!client || !isConnected) return Promise.reject(new NotConnectedError(`not connected to the MQTT broker (${lastError}); send again once connected`));
    const current = client;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new AckTimeoutError(`no acknowledgement of ${topic} within ${options.ackTimeoutMs} ms; it may be stored, sending it again is safe`)), options.ackTimeoutMs);
      current.publish(topic, body, { qos: 1 }, (error) => {
        clearTimeout(timer);
        if (!error) return resolve();
        reject(isClosed ? new ClientClosedError() : new NotConnectedError(`the message on ${topic} was not acknowledged: ${error.message}`));
      });
    });
  }

  async function close(): Promise<void> {
    if (isClosed) return;
    isClosed = true;
    if (reconnectTimer) clearTimeout(reconnectTimer);
    const current = client;
    if (!current) return;
    // A clean DISCONNECT: the broker discards the will ([MQTT-3.1.2-10]). Messages in flight get
    // a moment for their PUBACK; a dead connection is not waited for.
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => current.end(true, {}, () => resolve()), CLOSE_GRACE_MS);
      current.end(false, {}, () => {
        clearTimeout(force);
        resolve();
      });
    });
  }

  return {
    kind: 'mqtt',
    events,
    get isConnected() {
      return isConnected;
    },
    start() {
      if (client || isClosed || isOpening) return;
      void open();
    },
    subscribe(subscription) {
      if (wanted.has(subscription)) return;
      wanted.add(subscription);
      subscribeNow(subscription);
    },
    publishTelemetry: (body) => publish(topics.telemetry(options.deviceId), body),
    reportState: (body) => publish(topics.stateReported(options.deviceId), body),
    sendCommandResult: (commandId, body) => publish(topics.commandResult(options.deviceId, commandId), body),
    publishEvent: (body) => publish(topics.events(options.deviceId), body),
    close,
  };
}
