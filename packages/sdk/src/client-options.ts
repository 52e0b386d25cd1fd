/** The options of connectDevice, checked once and completed with defaults. */
import { DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
import { InvalidOptionsError } from './errors.js';
import { normalizeServerUrl, type FetchFunction } from './http-request.js';

/** Which transport to use: MQTT, HTTP, or MQTT with HTTP while MQTT cannot connect. */
export type TransportChoice = 'mqtt' | 'http' | 'auto';

/** How to connect a device. */
export interface ConnectDeviceOptions {
  /** The server's base URL, `http://flotilla.local:8080`. */
  serverUrl: string;
  deviceId: string;
  secret: string;
  /** `auto` (default) tries MQTT first and uses HTTP while MQTT cannot connect. */
  transport?: TransportChoice;
  /**
   * The broker: `mqtt://host:1883`, `mqtts://…`, or `ws://host:8080/mqtt`. Default: where the
   * server says it is (`GET /api/v1/device/connection`, asked when the client starts): in Node
   * its TCP listener on the server's host, in a browser (or without a TCP listener) MQTT over
   * WebSocket on the HTTP port.
   */
  mqttUrl?: string;
  /** MQTT client id; the device id by default (the server scopes it to the device). */
  clientId?: string;
  /**
   * MQTT clean session (default true): the server redelivers every pending command from its
   * store on each subscription, so a kept broker session would only add duplicates.
   */
  cleanSession?: boolean;
  keepaliveSeconds?: number;
  /** How long one MQTT connection attempt may take; in `auto`, how long before HTTP is used. */
  mqttConnectTimeoutMs?: number;
  /** How long an MQTT publish may wait for its PUBACK. */
  ackTimeoutMs?: number;
  /** How long one HTTP request may take. */
  requestTimeoutMs?: number;
  /** Over HTTP: how often the desired state is fetched. */
  statePollIntervalMs?: number;
  /** Over HTTP: how long one command poll waits for a command (1-30 s). */
  commandWaitSeconds?: number;
  /** Delay between reconnection attempts: exponential from min to max, with jitter. */
  reconnect?: Partial<BackoffOptions>;
  /** Leave a last will on the events topic, published by the server if the connection dies (default true). */
  lastWill?: boolean;
  /** connectDevice: how long to wait for the first connection before giving up. */
  connectTimeoutMs?: number;
  /** How HTTP requests are made; the global `fetch` by default (see `@flotilla/sdk/node-http`). */
  fetch?: FetchFunction;
}

/** The options with every default filled in. */
export interface ResolvedOptions {
  serverUrl: string;
  deviceId: string;
  secret: string;
  transport: TransportChoice;
  /** null: ask the server where its broker is. */
  mqttUrl: string | null;
  clientId: string;
  cleanSession: boolean;
  keepaliveSeconds: number;
  mqttConnectTimeoutMs: number;
  ackTimeoutMs: number;
  requestTimeoutMs: number;
  statePollIntervalMs: number;
  commandWaitSeconds: number;
  backoff: BackoffOptions;
  lastWill: boolean;
  connectTimeoutMs: number;
  fetch?: FetchFunction;
}

const TRANSPORTS: readonly TransportChoice[] = ['mqtt', 'http', 'auto'];
const MQTT_PROTOCOLS = ['mqtt:', 'mqtts:', 'ws:', 'wss:', 'tcp:', 'ssl:', 'tls:'];

/** Checks the options; throws InvalidOptionsError naming the first wrong one. */
export function resolveOptions(options: ConnectDeviceOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) throw new InvalidOptionsError('connectDevice needs { serverUrl, deviceId, secret }');
  let serverUrl: string;
  try {
    serverUrl = normalizeServerUrl(options.serverUrl);
  } catch (error) {
    throw new InvalidOptionsError(`serverUrl ${JSON.stringify(options.serverUrl)} is not valid: ${(error as Error).message}`);
  }
  const deviceId = text(options.deviceId, 'deviceId');
  const secret = text(options.secret, 'secret');
  const transport = options.transport ?? 'auto';
  if (!TRANSPORTS.includes(transport)) throw new InvalidOptionsError(`transport ${JSON.stringify(transport)} must be one of ${TRANSPORTS.join(', ')}`);
  const reconnect = { ...DEFAULT_BACKOFF, ...options.reconnect };
  const backoff = { minDelayMs: duration(reconnect.minDelayMs, 'reconnect.minDelayMs'), maxDelayMs: duration(reconnect.maxDelayMs, 'reconnect.maxDelayMs') };
  if (backoff.maxDelayMs < backoff.minDelayMs) throw new InvalidOptionsError('reconnect.maxDelayMs must not be less than reconnect.minDelayMs');
  const commandWaitSeconds = options.commandWaitSeconds ?? 25;
  if (!Number.isInteger(commandWaitSeconds) || commandWaitSeconds < 0 || commandWaitSeconds > 30) throw new InvalidOptionsError('commandWaitSeconds must be a whole number from 0 to 30');
  return Object.freeze({
    serverUrl,
    deviceId,
    secret,
    transport,
    mqttUrl: options.mqttUrl === undefined ? null : mqttUrl(options.mqttUrl),
    clientId: options.clientId === undefined ? deviceId : text(options.clientId, 'clientId'),
    cleanSession: options.cleanSession ?? true,
    keepaliveSeconds: duration(options.keepaliveSeconds ?? 30, 'keepaliveSeconds'),
    mqttConnectTimeoutMs: duration(options.mqttConnectTimeoutMs ?? 10_000, 'mqttConnectTimeoutMs'),
    ackTimeoutMs: duration(options.ackTimeoutMs ?? 30_000, 'ackTimeoutMs'),
    requestTimeoutMs: duration(options.requestTimeoutMs ?? 30_000, 'requestTimeoutMs'),
    statePollIntervalMs: duration(options.statePollIntervalMs ?? 30_000, 'statePollIntervalMs'),
    commandWaitSeconds,
    backoff,
    lastWill: options.lastWill ?? true,
    connectTimeoutMs: duration(options.connectTimeoutMs ?? 30_000, 'connectTimeoutMs'),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
}

/** The guess for a server that cannot say where its broker is: in a browser WebSocket on the HTTP port, in Node TCP port 1883 (8883 for https). */
export function defaultMqttUrl(serverUrl: string): string {
  const url = new URL(serverUrl);
  const isSecure = url.protocol === 'https:';
  const isBrowser = typeof (globalThis as { document?: unknown }).document !== 'undefined';
  if (isBrowser) return `${isSecure ? 'wss' : 'ws'}://${url.host}${url.pathname.replace(/\/+$/, '')}/mqtt`;
  return `${isSecure ? 'mqtts' : 'mqtt'}://${url.hostname.includes(':') ? `[${url.hostname}]` : url.hostname}:${isSecure ? 8883 : 1883}`;
}

function mqttUrl(raw: unknown): string {
  const value = text(raw, 'mqttUrl');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidOptionsError(`mqttUrl ${JSON.stringify(value)} is not a URL (mqtt://host:1883 or ws://host:8080/mqtt)`);
  }
  if (!MQTT_PROTOCOLS.includes(url.protocol)) throw new InvalidOptionsError(`mqttUrl must start with mqtt://, mqtts://, ws:// or wss://, not ${url.protocol}//`);
  return value;
}

function text(value: unknown, name: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw new InvalidOptionsError(`${name} must be a non-empty string`);
  return value;
}

function duration(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw new InvalidOptionsError(`${name} must be a positive number`);
  return value;
}
