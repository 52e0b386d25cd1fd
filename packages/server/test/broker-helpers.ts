/**
 * Fixtures of the broker and live tests: a real server (HTTP and the MQTT TCP listener on free
 * ports) around a store of the dialect, with the bus's events recorded, devices made straight
 * in the store, and MQTT.js clients.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect as connectTcp, createServer, type AddressInfo, type Socket } from 'node:net';
import type { Role, Session } from '@flotilla/protocol';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import { buildApp } from '../src/app.js';
import { createMemoryBus, type Bus, type BusEvents } from '../src/bus/bus.js';
import type { Config } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { openStore, type DialectName, type Store } from '../src/store/database.js';
import { createTestDatabase, testConfig, type TestApp, type TestDatabase } from './helpers.js';
import { createDevice, createTenant, signInWithRole, type TestDevice } from './telemetry-helpers.js';

/** A port nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Every event published on the bus, by name, in order. */
export type RecordedEvents = { [Name in keyof BusEvents]: BusEvents[Name][] };

/** A running server with its store and bus. */
export interface BrokerFixture {
  app: FastifyInstance;
  store: Store;
  bus: Bus;
  events: RecordedEvents;
  config: Readonly<Config>;
  tenantId: string;
  httpUrl: string;
  mqttUrl: string;
  mqttPort: number;
  /** A device of the fixture's tenant (or another), with a secret. */
  device(labels?: Record<string, string>, tenantId?: string): Promise<TestDevice>;
  /** A signed-in user of the tenant (a viewer unless told). */
  signIn(tenantId?: string, role?: Role): Promise<Session>;
  /** Closes the app (broker, live sockets, store); the database stays until drop(). */
  stop(): Promise<void>;
  /** Stops the app and starts a new one on the same database and MQTT port (a server restart). */
  restart(): Promise<BrokerFixture>;
  drop(): Promise<void>;
  close(): Promise<void>;
}

/** Starts a server on a fresh database of the dialect. */
export async function startBrokerFixture(
  dialect: DialectName,
  overrides: Partial<Record<keyof Config, string>> = {},
  previous?: { database: TestDatabase; tenantId: string; mqttPort: number },
): Promise<BrokerFixture> {
  const database = previous?.database ?? (await createTestDatabase(dialect));
  const mqttPort = previous?.mqttPort ?? (await freePort());
  const config = testConfig(database, { mqttHost: '127.0.0.1', mqttPort: String(mqttPort), ...overrides });
  const log = createLogger(config);
  const store = await openStore(config, log);
  await store.migrate();
  const tenantId = previous?.tenantId ?? (await createTenant(store.db, 'Acme'));
  const bus = createMemoryBus();
  const events: RecordedEvents = { telemetry: [], presence: [], deviceEvent: [], deviceChanged: [], command: [] };
  for (const name of Object.keys(events) as (keyof BusEvents)[]) bus.subscribe(name, (event) => (events[name] as unknown[]).push(event));
  const app = await buildApp({ config, log, store, bus });
  await app.listen({ host: '127.0.0.1', port: 0 });
  await app.broker.listen('127.0.0.1', mqttPort);
  const httpUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  let isStopped = false;
  const fixture: BrokerFixture = {
    app,
    store,
    bus,
    events,
    config,
    tenantId,
    httpUrl,
    mqttUrl: `mqtt://127.0.0.1:${mqttPort}`,
    mqttPort,
    device: (labels = {}, tenant = tenantId) => createDevice(store.db, tenant, labels),
    signIn: (tenant = tenantId, role: Role = 'viewer') => signInWithRole({ store, request: (options: InjectOptions) => app.inject(options) } as unknown as TestApp, tenant, role),
    async stop() {
      if (isStopped) return;
      isStopped = true;
      await app.close();
    },
    async restart() {
      await fixture.stop();
      return startBrokerFixture(dialect, overrides, { database, tenantId, mqttPort });
    },
    drop: () => database.drop(),
    async close() {
      await fixture.stop();
      await database.drop();
    },
  };
  return fixture;
}

/** Connects a device with MQTT.js (MQTT 3.1.1 unless told), without reconnecting. */
export function connectDevice(url: string, device: Pick<TestDevice, 'id' | 'secret'>, options: IClientOptions = {}): Promise<MqttClient> {
  return connectAsync(url, { username: device.id, password: device.secret, reconnectPeriod: 0, connectTimeout: 5000, protocolVersion: 4, ...options });
}

/** Waits until the check passes (or fails after the timeout with the last error). */
export async function eventually(check: () => void | Promise<void>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

/** Runs a command to its end; resolves with its exit code and output. */
export async function run(command: string, args: string[], timeoutMs = 10_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/** A CONNECT packet of MQTT 3.1.1 written by hand, for what MQTT clients refuse to send. */
export function connectPacket(options: { clientId: string; username?: string; password?: string; keepaliveSeconds?: number; isClean?: boolean }): Buffer {
  const text = (value: string) => {
    const bytes = Buffer.from(value);
    return Buffer.concat([Buffer.from([bytes.length >> 8, bytes.length & 0xff]), bytes]);
  };
  const flags = (options.username !== undefined ? 0x80 : 0) | (options.password !== undefined ? 0x40 : 0) | (options.isClean === false ? 0 : 0x02);
  const keepalive = options.keepaliveSeconds ?? 60;
  const body = Buffer.concat([
    text('MQTT'),
    Buffer.from([4, flags, keepalive >> 8, keepalive & 0xff]),
    text(options.clientId),
    ...(options.username !== undefined ? [text(options.username)] : []),
    ...(options.password !== undefined ? [text(options.password)] : []),
  ]);
  if (body.length > 127) throw new Error('connectPacket writes one-byte lengths only');
  return Buffer.concat([Buffer.from([0x10, body.length]), body]);
}

/** Opens a TCP connection, sends a CONNECT, and resolves with the socket and the CONNACK return code. */
export async function rawConnect(port: number, packet: Buffer): Promise<{ socket: Socket; returnCode: number }> {
  const socket = connectTcp(port, '127.0.0.1');
  await once(socket, 'connect');
  socket.write(packet);
  const [connack] = (await once(socket, 'data')) as [Buffer];
  assert.equal(connack[0], 0x20, 'a CONNACK arrives');
  return { socket, returnCode: connack[3] as number };
}

/** Resolves when the MQTT client's connection closes. */
export function closeOf(client: MqttClient): Promise<void> {
  return new Promise((resolve) => client.once('close', () => resolve()));
}
