/**
 * The device client: one device's connection to Flotilla over MQTT, HTTP, or both in `auto`
 * (MQTT first; HTTP while MQTT cannot connect, MQTT retried in the background and taken back as
 * soon as it works). Sends resolve on the server's acknowledgement; desired state reaches
 * listeners once per newer version, and commands once each, in order, whichever transport
 * brought them.
 *
 *   const device = await connectDevice({ serverUrl, deviceId, secret });
 *   device.onCommand(async (command) => device.sendCommandResult(command.id, { status: 'succeeded' }));
 *   await device.publishTelemetry({ temp: 21.5 }); // resolved: stored
 */
import type { CommandMessage, CommandResult, DesiredStateMessage, JsonObject } from '@flotilla/protocol';
import { resolveOptions, type ConnectDeviceOptions, type ResolvedOptions } from './client-options.js';
import { createEmitter } from './emitter.js';
import { ClientClosedError, NotConnectedError, ServerUnreachableError, type CredentialsRefusedError } from './errors.js';
import { createHttpTransport } from './http-transport.js';
import { createMqttTransport } from './mqtt-transport.js';
import { prepareCommandResult, prepareEvent, prepareStatePatch, prepareTelemetry, type DeviceEvent, type TelemetryPayload } from './payloads.js';
import { createRecentIds } from './recent-ids.js';
import type { Subscription, Transport, TransportKind } from './transport.js';

/** Events of a device client. */
export type DeviceClientEvents = {
  /** A transport connected and is now the one in use. */
  connected: [info: { transport: TransportKind }];
  /** The transport in use lost its connection; `reason` says why. */
  disconnected: [info: { transport: TransportKind; reason: string }];
  /** The transport in use changed (auto: MQTT ↔ HTTP). */
  transport: [transport: TransportKind];
  /** A failure: CredentialsRefusedError ends the client; others (a failed poll, a malformed message) it survives. */
  error: [error: Error];
};

/** Handles one command; answer it with sendCommandResult. */
export type CommandListener = (command: CommandMessage) => void;
/** Receives each newer desired state. */
export type DesiredStateListener = (message: DesiredStateMessage) => void;

/** A connected device. */
export interface DeviceClient {
  readonly deviceId: string;
  /** The transport in use, or null before the first connection and after close. */
  readonly transport: TransportKind | null;
  readonly isConnected: boolean;
  /** Sends readings; resolves once the server has stored them. Entries without `ts` get the current time. */
  publishTelemetry(payload: TelemetryPayload): Promise<void>;
  /** Sends a JSON merge patch of the reported state; resolves once stored. */
  reportState(patch: JsonObject): Promise<void>;
  /** Sends an event (MQTT only: the server has no HTTP route for events). */
  publishEvent(event: DeviceEvent): Promise<void>;
  /** Listens for the desired state; the latest one known is given at once. Returns the function that stops. */
  onDesiredState(listener: DesiredStateListener): () => void;
  /** Listens for commands, each once and in order. Returns the function that stops. */
  onCommand(listener: CommandListener): () => void;
  /** Answers a command (`acknowledged`, then `succeeded` or `failed`); resolves once stored. */
  sendCommandResult(commandId: string, result: CommandResult): Promise<void>;
  on<Name extends keyof DeviceClientEvents>(name: Name, listener: (...args: DeviceClientEvents[Name]) => void): () => void;
  off<Name extends keyof DeviceClientEvents>(name: Name, listener: (...args: DeviceClientEvents[Name]) => void): void;
  /** Disconnects cleanly; sends in flight get a moment for their acknowledgement. */
  close(): Promise<void>;
}

/** The last will: the server publishes it on the events topic when the connection dies without a DISCONNECT. */
const LAST_WILL = JSON.stringify({ kind: 'connection.lost', level: 'warn', message: 'the device went away without closing its connection' });

/** Creates a client that starts connecting at once and keeps trying; see connectDevice to wait for the connection. */
export function createDeviceClient(rawOptions: ConnectDeviceOptions): DeviceClient {
  const options = resolveOptions(rawOptions);
  const events = createEmitter<DeviceClientEvents>();
  const commandListeners = createEmitter<{ command: [CommandMessage] }>((error) => events.emit('error', asError(error)));
  const stateListeners = createEmitter<{ state: [DesiredStateMessage] }>((error) => events.emit('error', asError(error)));
  const seenCommands = createRecentIds();
  const subscriptions = new Set<Subscription>();
  let latestState: DesiredStateMessage | null = null;
  let active: Transport | null = null;
  let mqtt: Transport | null = null;
  let http: Transport | null = null;
  let fallbackTimer: ReturnType<typeof setTimeout> | null = null;
  let closedBy: Error | null = null;

  function wire(transport: Transport): Transport {
    transport.events.on('connected', () => onTransportConnected(transport));
    transport.events.on('disconnected', (reason) => onTransportDisconnected(transport, reason));
    transport.events.on('refused', (error) => void stop(error));
    transport.events.on('error', (error) => events.emit('error', error));
    transport.events.on('desiredState', (message) => {
      if (latestState && message.version <= latestState.version) return;
      latestState = message;
      stateListeners.emit('state', message);
    });
    transport.events.on('command', (command) => {
      if (seenCommands.add(command.id)) commandListeners.emit('command', command);
    });
    for (const subscription of subscriptions) transport.subscribe(subscription);
    transport.start();
    return transport;
  }

  function use(transport: Transport): void {
    if (active === transport) return;
    active = transport;
    events.emit('transport', transport.kind);
  }

  function onTransportConnected(transport: Transport): void {
    if (transport.kind === 'mqtt' && options.transport === 'auto') {
      clearFallbackTimer();
      // MQTT works again: HTTP's polls stop, MQTT carries everything.
      if (http) void http.close();
      http = null;
    }
    use(transport);
    events.emit('connected', { transport: transport.kind });
  }

  function onTransportDisconnected(transport: Transport, reason: string): void {
    if (active === transport) events.emit('disconnected', { transport: transport.kind, reason });
    if (transport.kind === 'mqtt' && options.transport === 'auto') scheduleFallback();
  }

  /** In auto, HTTP takes over when MQTT has not (re)connected within mqttConnectTimeoutMs. */
  function scheduleFallback(): void {
    if (fallbackTimer || http || closedBy) return;
    fallbackTimer = setTimeout(() => {
      fallbackTimer = null;
      if (closedBy || mqtt?.isConnected || http) return;
      http = wire(createHttpTransport(options));
      use(http);
    }, options.mqttConnectTimeoutMs);
  }

  function clearFallbackTimer(): void {
    if (fallbackTimer) clearTimeout(fallbackTimer);
    fallbackTimer = null;
  }

  async function stop(reason: Error): Promise<void> {
    if (closedBy) return;
    closedBy = reason;
    clearFallbackTimer();
    const wasConnected = active?.isConnected ? active.kind : null;
    active = null;
    await Promise.all([mqtt?.close(), http?.close()]);
    if (reason instanceof ClientClosedError) return;
    if (wasConnected) events.emit('disconnected', { transport: wasConnected, reason: reason.message });
    events.emit('error', reason);
  }

  /** The transport to send on, or the reason nothing can be sent. */
  function sender(): Transport {
    if (closedBy) throw closedBy instanceof ClientClosedError ? new ClientClosedError() : closedBy;
    if (!active) throw new NotConnectedError();
    return active;
  }

  async function send(prepare: () => string, deliver: (transport: Transport, body: string) => Promise<void>): Promise<void> {
    const body = prepare();
    await deliver(sender(), body);
  }

  function want(subscription: Subscription): void {
    if (subscriptions.has(subscription)) return;
    subscriptions.add(subscription);
    mqtt?.subscribe(subscription);
    http?.subscribe(subscription);
  }

  if (options.transport !== 'http') {
    mqtt = wire(createMqttTransport({ ...options, mqttUrl: options.mqttUrl, will: options.lastWill ? LAST_WILL : null }));
    if (options.transport === 'auto') scheduleFallback();
    else use(mqtt);
  } else {
    http = wire(createHttpTransport(options));
    use(http);
  }

  return {
    deviceId: options.deviceId,
    get transport() {
      return closedBy ? null : (active?.kind ?? null);
    },
    get isConnected() {
      return !closedBy && (active?.isConnected ?? false);
    },
    publishTelemetry: (payload) => send(() => prepareTelemetry(payload), (transport, body) => transport.publishTelemetry(body)),
    reportState: (patch) => send(() => prepareStatePatch(patch), (transport, body) => transport.reportState(body)),
    publishEvent: (event) => send(() => prepareEvent(event), (transport, body) => transport.publishEvent(body)),
    sendCommandResult: (commandId, result) => send(() => prepareCommandResult(commandId, result), (transport, body) => transport.sendCommandResult(commandId, body)),
    onDesiredState(listener) {
      const stopListening = stateListeners.on('state', listener);
      want('desiredState');
      if (latestState) {
        const current = latestState;
        queueMicrotask(() => listener(current));
      }
      return stopListening;
    },
    onCommand(listener) {
      const stopListening = commandListeners.on('command', listener);
      want('commands');
      return stopListening;
    },
    on: (name, listener) => events.on(name, listener),
    off: (name, listener) => events.off(name, listener),
    close: () => stop(new ClientClosedError()),
  };
}

/**
 * Connects a device and resolves once a transport is connected. Rejects with
 * CredentialsRefusedError when the server refuses the device, InvalidOptionsError for bad
 * options, or ServerUnreachableError when nothing connected within connectTimeoutMs.
 */
export async function connectDevice(options: ConnectDeviceOptions): Promise<DeviceClient> {
  const resolved: ResolvedOptions = resolveOptions(options);
  const client = createDeviceClient(options);
  if (client.isConnected) return client;
  let lastReason = 'no answer';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => finish(new ServerUnreachableError(`device ${resolved.deviceId} could not connect to ${resolved.serverUrl} within ${resolved.connectTimeoutMs} ms (${lastReason})`)), resolved.connectTimeoutMs);
    const stops = [
      client.on('connected', () => finish(null)),
      client.on('error', (error) => {
        lastReason = error.message;
        if ((error as CredentialsRefusedError).code === 'CREDENTIALS_REFUSED') finish(error);
      }),
    ];
    function finish(error: Error | null): void {
      clearTimeout(timer);
      for (const stopListening of stops) stopListening();
      if (!error) return resolve();
      void client.close().finally(() => reject(error));
    }
  });
  return client;
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
