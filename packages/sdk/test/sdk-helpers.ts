/**
 * Fixtures of the SDK's integration tests: a real server (SQLite in a temp dir, the embedded
 * broker on a free port) and an operator's REST calls against it, the way a fleet owner would
 * make them.
 */
import assert from 'node:assert/strict';
import type { Command, DeviceState, Session } from '@flotilla/protocol';
import { eventually, freePort, startBrokerFixture, type BrokerFixture } from '../../server/test/broker-helpers.js';

export { eventually, freePort };

/** A server with an operator signed in, and the REST calls the tests make. */
export interface SdkFixture {
  server: BrokerFixture;
  httpUrl: string;
  mqttUrl: string;
  operator: Session;
  /** A REST call as the operator; fails the test on an unexpected status. */
  api<T>(method: string, path: string, body?: unknown, expectedStatus?: number): Promise<T>;
  enrollmentToken(options?: { maxUses?: number | null; labels?: Record<string, string> }): Promise<string>;
  telemetry(deviceId: string, keys?: string[]): Promise<{ key: string; ts: number; value: unknown }[]>;
  deviceState(deviceId: string): Promise<DeviceState>;
  sendCommand(deviceId: string, name: string, params?: Record<string, unknown>): Promise<Command>;
  command(commandId: string): Promise<Command>;
  close(): Promise<void>;
}

/** Starts a server on SQLite with the overrides of its config. */
export async function startSdkFixture(overrides: Parameters<typeof startBrokerFixture>[1] = {}): Promise<SdkFixture> {
  const server = await startBrokerFixture('sqlite', { enrollRateLimitPerMinute: '10000', ...overrides });
  const operator = await server.signIn(server.tenantId, 'operator');
  async function api<T>(method: string, path: string, body?: unknown, expectedStatus?: number): Promise<T> {
    const response = await fetch(`${server.httpUrl}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${operator.accessToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (expectedStatus !== undefined) assert.equal(response.status, expectedStatus, `${method} ${path}: ${text}`);
    else assert.ok(response.ok, `${method} ${path} answered ${response.status}: ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }
  return {
    server,
    httpUrl: server.httpUrl,
    mqttUrl: server.mqttUrl,
    operator,
    api,
    async enrollmentToken(options = {}) {
      const created = await api<{ token: string }>('POST', '/enrollment-tokens', { maxUses: options.maxUses ?? null, labels: options.labels ?? {} }, 201);
      return created.token;
    },
    async telemetry(deviceId, keys) {
      const query = new URLSearchParams({ from: '2020-01-01T00:00:00Z', limit: '10000', ...(keys ? { keys: keys.join(',') } : {}) });
      const page = await api<{ items: { key: string; ts: number; value: unknown }[] }>('GET', `/devices/${deviceId}/telemetry?${query}`);
      return page.items;
    },
    deviceState: (deviceId) => api<DeviceState>('GET', `/devices/${deviceId}/state`),
    sendCommand: (deviceId, name, params = {}) => api<Command>('POST', `/devices/${deviceId}/commands`, { name, params }, 201),
    command: (commandId) => api<Command>('GET', `/commands/${commandId}`),
    close: () => server.close(),
  };
}
