/**
 * Where the broker is when no mqttUrl was given: the server says so at
 * `GET /api/v1/device/connection` (its TCP listener's real port and TLS, or none, and the
 * WebSocket path); the broker is on the server's host. A server older than that route (404)
 * gets the old guess: port 1883 (8883 for https), or `/mqtt` in a browser.
 */
import { DeviceConnectionSchema, type DeviceConnection } from '@flotilla/protocol';
import { defaultMqttUrl } from './client-options.js';
import { UnexpectedResponseError, RequestFailedError } from './errors.js';
import { apiRequest, type DeviceCredentials, type FetchFunction } from './http-request.js';
import { firstError } from './schema-check.js';

/** The broker URL the server announces for this device; rejects with the SDK's errors (CredentialsRefusedError, ServerUnreachableError…). */
export async function askBrokerUrl(serverUrl: string, credentials: DeviceCredentials, timeoutMs: number, fetch?: FetchFunction): Promise<string> {
  let answer: unknown;
  try {
    answer = await apiRequest(serverUrl, { method: 'GET', path: '/device/connection', credentials, timeoutMs, ...(fetch ? { fetch } : {}) });
  } catch (error) {
    if (error instanceof RequestFailedError && error.status === 404) return defaultMqttUrl(serverUrl);
    throw error;
  }
  const mismatch = firstError(DeviceConnectionSchema, answer);
  if (mismatch) throw new UnexpectedResponseError(`${serverUrl} answered GET /device/connection with something that is not a connection (${mismatch})`, 200);
  return brokerUrlOf(serverUrl, answer as DeviceConnection);
}

/** The URL of the broker the connection describes: TCP on the server's host in Node when there is a listener, else WebSocket on the HTTP port. */
export function brokerUrlOf(serverUrl: string, connection: DeviceConnection, isBrowser = typeof (globalThis as { document?: unknown }).document !== 'undefined'): string {
  const url = new URL(serverUrl);
  const isSecure = url.protocol === 'https:';
  if (connection.mqtt && !isBrowser) {
    const host = url.hostname.includes(':') && !url.hostname.startsWith('[') ? `[${url.hostname}]` : url.hostname;
    return `${connection.mqtt.tls ? 'mqtts' : 'mqtt'}://${host}:${connection.mqtt.port}`;
  }
  return `${isSecure ? 'wss' : 'ws'}://${url.host}${url.pathname.replace(/\/+$/, '')}${connection.websocketPath}`;
}
