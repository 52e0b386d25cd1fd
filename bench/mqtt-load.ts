/**
 * The load generator of the MQTT benchmarks, a child process of bench/mqtt.ts so that its CPU
 * time is not counted as the server's (and so that the two can use both cores). Driven over the
 * IPC channel; each request is answered once, and the process exits when the parent goes away.
 *
 *   firehose: MQTT.js connections publishing QoS 1 telemetry, each keeping `window` messages
 *             unacknowledged, for `durationMs`; answers the acknowledged count and latencies.
 *   idle:     authenticated connections opened with hand-written CONNECT packets (an MQTT.js
 *             client object per idle device would make this process the limit), held until
 *             'close'.
 *   fleetConnect, fleetRun: a fleet of devices on raw sockets, packets made and parsed with
 *             mqtt-packet (the library MQTT.js and Aedes use; a whole MQTT.js client per device
 *             would cost more than the server's side of the connection). Each device publishes one
 *             QoS 1 message a second at its own offset within the second; several of these
 *             processes can share a fleet, each with its part of the devices.
 */
import { once } from 'node:events';
import { connect as connectTcp, type Socket } from 'node:net';
import { connectAsync, type MqttClient } from 'mqtt';
import { generate, parser as packetParser, type Packet } from 'mqtt-packet';
import { quantile } from './stats.js';

/** One firehose connection: who it is and where it publishes. */
export interface FirehoseClient {
  clientId: string;
  username?: string;
  password?: string;
  topic: string;
}

/** One device of a fleet: its credentials, and when in each second (0 ≤ offsetMs < 1000) it publishes. */
export interface FleetDevice {
  id: string;
  secret: string;
  offsetMs: number;
}

/**
 * Messages the parent sends. fleetRun: message k of a device is due at startAt + k s + its offset
 * (epoch milliseconds, `performance.timeOrigin + performance.now()` in every process) for
 * warmupMs + windowMs; the messages due in the last windowMs are the ones measured.
 */
export type LoadRequest =
  | { type: 'firehose'; url: string; clients: FirehoseClient[]; window: number; durationMs: number; valuesPerMessage: number }
  | { type: 'idle'; port: number; devices: { id: string; secret: string }[]; budgetMs: number; parallel: number }
  | { type: 'fleetConnect'; port: number; devices: FleetDevice[]; parallel: number }
  | { type: 'fleetRun'; startAt: number; warmupMs: number; windowMs: number; drainMs: number }
  | { type: 'close' };

/** What one load process measured of its part of the fleet. */
export interface FleetRunReply {
  type: 'fleetRun';
  /** Messages sent and acknowledged, warm-up included (for the count of stored points). */
  sent: number;
  acked: number;
  /** Messages due in the window, sent, and how many of them left more than LATE_MS after they were due. */
  windowSent: number;
  windowLate: number;
  /** Per message due in the window and acknowledged: publish → PUBACK, and due → publish (the generator's lag). */
  latenciesMs: number[];
  lagsMs: number[];
  /** Messages never acknowledged (still pending when the drain time ran out, or on a closed connection). */
  unacked: number;
  errors: string[];
}

/** Replies, one per request. */
export type LoadReply =
  | { type: 'firehose'; messages: number; seconds: number; p50Ms: number; p99Ms: number; cpuMs: number; errors: string[] }
  | { type: 'idle'; opened: number; refused: number; seconds: number; errors: string[] }
  | { type: 'fleetConnected'; opened: number; refused: number; seconds: number; errors: string[] }
  | FleetRunReply
  | { type: 'closed' };

/** A message sent this much after it was due has missed its schedule: the generator, not the server, made it late. */
export const LATE_MS = 100;

// Timestamps an hour in the past, one millisecond apart per message of a connection: each
// message is a new row (the store ignores a repeated device/key/time), never "in the future".
const firstTs = Date.now() - 3_600_000;

async function firehose(request: Extract<LoadRequest, { type: 'firehose' }>): Promise<LoadReply> {
  const errors: string[] = [];
  const clients: MqttClient[] = await Promise.all(
    request.clients.map((client) =>
      connectAsync(request.url, {
        clientId: client.clientId,
        username: client.username,
        password: client.password,
        protocolVersion: 4,
        reconnectPeriod: 0,
        connectTimeout: 10_000,
        keepalive: 60,
      }),
    ),
  );
  const keys = Array.from({ length: request.valuesPerMessage }, (_, index) => `metric_${index}`);
  const latencies: number[] = [];
  let messages = 0;
  let isRunning = true;
  const lane = async (client: MqttClient, topic: string, next: () => number) => {
    while (isRunning) {
      const sequence = next();
      const values: Record<string, number> = {};
      keys.forEach((key, index) => (values[key] = sequence * 0.25 + index));
      const payload = JSON.stringify({ ts: firstTs + sequence, values });
      const started = performance.now();
      try {
        await client.publishAsync(topic, payload, { qos: 1 });
      } catch (error) {
        errors.push((error as Error).message);
        return;
      }
      latencies.push(performance.now() - started);
      messages++;
    }
  };
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const lanes = clients.flatMap((client, index) => {
    let sequence = 0;
    const next = () => sequence++;
    return Array.from({ length: request.window }, () => lane(client, request.clients[index]!.topic, next));
  });
  await new Promise((resolve) => setTimeout(resolve, request.durationMs));
  isRunning = false;
  // The messages still in flight are waited for, but not forever: a broker that stopped
  // acknowledging must not hang the benchmark.
  const drained = await Promise.race([Promise.all(lanes).then(() => true), new Promise((resolve) => setTimeout(() => resolve(false), 15_000))]);
  if (!drained) errors.push('some messages were never acknowledged');
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  await Promise.all(clients.map((client) => client.endAsync(true).catch(() => undefined)));
  latencies.sort((a, b) => a - b);
  return {
    type: 'firehose',
    messages,
    seconds,
    p50Ms: quantile(latencies, 0.5),
    p99Ms: quantile(latencies, 0.99),
    cpuMs: (cpu.user + cpu.system) / 1000,
    errors: [...new Set(errors)].slice(0, 5),
  };
}

/** A CONNECT packet of MQTT 3.1.1 (section 3.1), clean session, a long keep-alive. */
function connectPacket(clientId: string, username: string, password: string): Buffer {
  const text = (value: string) => {
    const bytes = Buffer.from(value);
    return Buffer.concat([Buffer.from([bytes.length >> 8, bytes.length & 0xff]), bytes]);
  };
  // Ten minutes of keep-alive: longer than the measurement, so no PINGREQ is needed.
  const body = Buffer.concat([text('MQTT'), Buffer.from([4, 0xc2, 600 >> 8, 600 & 0xff]), text(clientId), text(username), text(password)]);
  const length: number[] = [];
  for (let rest = body.length; ; ) {
    const byte = rest % 128;
    rest = Math.floor(rest / 128);
    length.push(rest > 0 ? byte | 0x80 : byte);
    if (rest === 0) break;
  }
  return Buffer.concat([Buffer.from([0x10, ...length]), body]);
}

const idleSockets: Socket[] = [];

/** Opens one connection; resolves with the CONNACK return code (or throws). */
async function openIdle(port: number, device: { id: string; secret: string }): Promise<number> {
  const socket = connectTcp(port, '127.0.0.1');
  socket.on('error', () => undefined);
  const timer = setTimeout(() => socket.destroy(new Error('no CONNACK within 10 s')), 10_000);
  try {
    await once(socket, 'connect');
    socket.write(connectPacket(device.id, device.id, device.secret));
    const [connack] = (await once(socket, 'data')) as [Buffer];
    const code = connack[0] === 0x20 ? (connack[3] as number) : -1;
    if (code === 0) idleSockets.push(socket);
    else socket.destroy();
    return code;
  } catch (error) {
    socket.destroy();
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

async function idle(request: Extract<LoadRequest, { type: 'idle' }>): Promise<LoadReply> {
  const errors: string[] = [];
  const deadline = performance.now() + request.budgetMs;
  let next = 0;
  let refused = 0;
  const started = performance.now();
  // `parallel` connects in flight at a time, like a fleet coming back after an outage.
  const worker = async () => {
    while (next < request.devices.length && performance.now() < deadline) {
      const device = request.devices[next++]!;
      try {
        if ((await openIdle(request.port, device)) !== 0) refused++;
      } catch (error) {
        refused++;
        errors.push((error as Error).message);
      }
    }
  };
  await Promise.all(Array.from({ length: request.parallel }, worker));
  return { type: 'idle', opened: idleSockets.length, refused, seconds: (performance.now() - started) / 1000, errors: [...new Set(errors)].slice(0, 5) };
}

/** A message waiting for its PUBACK. */
interface Pending {
  sentAt: number;
  lagMs: number;
  isInWindow: boolean;
}

/** One fleet device's connection: a raw socket and an mqtt-packet parser. */
interface FleetConnection {
  device: FleetDevice;
  socket: Socket;
  topic: string;
  nextPacketId: number;
  pending: Map<number, Pending>;
  /** Set during fleetRun: what a PUBACK does. */
  onPuback: (connection: FleetConnection, packetId: number) => void;
  isClosed: boolean;
}

const fleet: FleetConnection[] = [];
const fleetErrors: string[] = [];
const now = () => performance.timeOrigin + performance.now();

/** Connects one fleet device; resolves with the CONNACK return code (or throws). */
async function openFleetConnection(port: number, device: FleetDevice): Promise<number> {
  const socket = connectTcp(port, '127.0.0.1');
  socket.setNoDelay(true);
  const parser = packetParser({ protocolVersion: 4 });
  const connection: FleetConnection = { device, socket, topic: `flotilla/v1/d/${device.id}/telemetry`, nextPacketId: 1, pending: new Map(), onPuback: () => undefined, isClosed: false };
  const connack = new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no CONNACK within 10 s')), 10_000);
    parser.on('packet', (packet: Packet) => {
      if (packet.cmd === 'puback') connection.onPuback(connection, packet.messageId as number);
      else if (packet.cmd === 'connack') {
        clearTimeout(timer);
        resolve(packet.returnCode ?? -1);
      }
    });
    parser.on('error', (error: Error) => socket.destroy(error));
    socket.on('close', () => {
      clearTimeout(timer);
      connection.isClosed = true;
      reject(new Error('connection closed before its CONNACK'));
    });
  });
  // Awaited below, once the socket is open; a socket that fails to open must not leave it unhandled.
  connack.catch(() => undefined);
  socket.on('data', (chunk: Buffer) => parser.parse(chunk));
  socket.on('error', (error) => fleetErrors.push(error.message));
  try {
    await once(socket, 'connect');
    // Keep-alive 0: no PINGREQ needed however long the run ([MQTT-3.1.2-10]).
    socket.write(generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, keepalive: 0, clientId: device.id, username: device.id, password: Buffer.from(device.secret) }));
    const code = await connack;
    if (code === 0) fleet.push(connection);
    else socket.destroy();
    return code;
  } catch (error) {
    socket.destroy();
    throw error;
  }
}

async function fleetConnect(request: Extract<LoadRequest, { type: 'fleetConnect' }>): Promise<LoadReply> {
  const errors: string[] = [];
  let next = 0;
  let refused = 0;
  const started = performance.now();
  // `parallel` connects in flight at a time, as (g) does.
  const worker = async () => {
    while (next < request.devices.length) {
      const device = request.devices[next++]!;
      try {
        if ((await openFleetConnection(request.port, device)) !== 0) refused++;
      } catch (error) {
        refused++;
        errors.push((error as Error).message);
      }
    }
  };
  await Promise.all(Array.from({ length: request.parallel }, worker));
  return { type: 'fleetConnected', opened: fleet.length, refused, seconds: (performance.now() - started) / 1000, errors: [...new Set(errors)].slice(0, 5) };
}

async function fleetRun(request: Extract<LoadRequest, { type: 'fleetRun' }>): Promise<LoadReply> {
  const connections = fleet.filter((connection) => !connection.isClosed).sort((a, b) => a.device.offsetMs - b.device.offsetMs);
  const count = connections.length;
  const seconds = Math.ceil((request.warmupMs + request.windowMs) / 1000);
  const total = count * seconds;
  const windowFrom = request.startAt + request.warmupMs;
  const latenciesMs: number[] = [];
  const lagsMs: number[] = [];
  let sent = 0;
  let acked = 0;
  let windowSent = 0;
  let windowLate = 0;
  let next = 0;
  let settle: () => void = () => undefined;
  const settled = new Promise<void>((resolve) => (settle = resolve));
  const isDone = () => next === total && acked === sent;

  const onPuback = (connection: FleetConnection, packetId: number) => {
    const pending = connection.pending.get(packetId);
    if (!pending) return;
    connection.pending.delete(packetId);
    acked++;
    if (pending.isInWindow) {
      latenciesMs.push(now() - pending.sentAt);
      lagsMs.push(pending.lagMs);
    }
    if (isDone()) settle();
  };
  for (const connection of connections) {
    connection.onPuback = onPuback;
    connection.socket.once('close', () => fleetErrors.push('connection closed by the server'));
  }

  // Message k: device k mod count, its (k div count)-th second.
  const dueAt = (k: number) => request.startAt + Math.floor(k / count) * 1000 + connections[k % count]!.device.offsetMs;
  const send = (k: number) => {
    const connection = connections[k % count]!;
    const due = dueAt(k);
    const isInWindow = due >= windowFrom;
    next++;
    if (connection.isClosed) return;
    const sentAt = now();
    const lagMs = sentAt - due;
    const packetId = connection.nextPacketId;
    connection.nextPacketId = packetId === 65_535 ? 1 : packetId + 1;
    // Three readings of a small sensor, the shape of ThingsBoard's sizing: ts is when it was due,
    // a second apart per device, so that every message is a new row.
    const reading = Math.floor(k / count);
    const payload = `{"ts":${Math.round(due)},"values":{"temperature":${(20 + (reading % 50) / 10).toFixed(1)},"humidity":${40 + (reading % 20)},"battery":${(3.7 - (reading % 7) / 100).toFixed(2)}}}`;
    connection.pending.set(packetId, { sentAt, lagMs, isInWindow });
    connection.socket.write(generate({ cmd: 'publish', topic: connection.topic, payload, qos: 1, messageId: packetId, retain: false, dup: false }));
    sent++;
    if (isInWindow) {
      windowSent++;
      if (lagMs > LATE_MS) windowLate++;
    }
  };
  // One timer for the whole fleet: each tick sends every message that is due, then sleeps until the next one.
  const tick = () => {
    const at = now();
    while (next < total && dueAt(next) <= at) send(next);
    if (next < total) setTimeout(tick, Math.max(0, dueAt(next) - now()));
    else if (isDone()) settle();
  };
  setTimeout(tick, Math.max(0, request.startAt - now()));
  // Until every message is sent and acknowledged, or the drain time after the last one runs out.
  const sendingEnds = request.startAt + seconds * 1000;
  await Promise.race([settled, new Promise((resolve) => setTimeout(resolve, sendingEnds - now() + request.drainMs))]);
  const unacked = connections.reduce((sum, connection) => sum + connection.pending.size, 0);
  if (unacked > 0) fleetErrors.push(`${unacked} messages not acknowledged ${request.drainMs / 1000} s after the last was sent`);
  return { type: 'fleetRun', sent, acked, windowSent, windowLate, latenciesMs, lagsMs, unacked, errors: [...new Set(fleetErrors)].slice(0, 5) };
}

process.on('message', (request: LoadRequest) => {
  const reply = (message: LoadReply) => process.send?.(message);
  if (request.type === 'firehose') void firehose(request).then(reply);
  else if (request.type === 'idle') void idle(request).then(reply);
  else if (request.type === 'fleetConnect') void fleetConnect(request).then(reply);
  else if (request.type === 'fleetRun') void fleetRun(request).then(reply);
  else {
    idleSockets.splice(0).forEach((socket) => socket.destroy());
    fleet.splice(0).forEach((connection) => connection.socket.destroy());
    reply({ type: 'closed' });
  }
});
process.on('disconnect', () => process.exit(0));
process.send?.({ type: 'ready' });
