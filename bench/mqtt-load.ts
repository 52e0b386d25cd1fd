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
 */
import { once } from 'node:events';
import { connect as connectTcp, type Socket } from 'node:net';
import { connectAsync, type MqttClient } from 'mqtt';
import { quantile } from './stats.js';

/** One firehose connection: who it is and where it publishes. */
export interface FirehoseClient {
  clientId: string;
  username?: string;
  password?: string;
  topic: string;
}

/** Messages the parent sends. */
export type LoadRequest =
  | { type: 'firehose'; url: string; clients: FirehoseClient[]; window: number; durationMs: number; valuesPerMessage: number }
  | { type: 'idle'; port: number; devices: { id: string; secret: string }[]; budgetMs: number; parallel: number }
  | { type: 'close' };

/** Replies, one per request. */
export type LoadReply =
  | { type: 'firehose'; messages: number; seconds: number; p50Ms: number; p99Ms: number; cpuMs: number; errors: string[] }
  | { type: 'idle'; opened: number; refused: number; seconds: number; errors: string[] }
  | { type: 'closed' };

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

process.on('message', (request: LoadRequest) => {
  const reply = (message: LoadReply) => process.send?.(message);
  if (request.type === 'firehose') void firehose(request).then(reply);
  else if (request.type === 'idle') void idle(request).then(reply);
  else {
    idleSockets.splice(0).forEach((socket) => socket.destroy());
    reply({ type: 'closed' });
  }
});
process.on('disconnect', () => process.exit(0));
process.send?.({ type: 'ready' });
