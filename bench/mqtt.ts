/**
 * End-to-end MQTT benchmarks, side by side in one run:
 *   (e) firehose into Flotilla: 10 device connections publish QoS 1 telemetry (10 values a
 *       message) as fast as PUBACKs allow; a PUBACK means the points are committed to SQLite;
 *   (f) the same load into the machine's Mosquitto (127.0.0.1:1883) with one idle subscriber:
 *       the transport ceiling, and the ratio Flotilla / Mosquitto;
 *   (g) idle authenticated device connections: server RSS per connection, connects a second;
 *   (h) a fleet held: 10,000 devices, one connection each, one QoS 1 message of 3 values a
 *       second each, spread over the second; PUBACK latency, server RSS and CPU.
 * Three processes: this one coordinates, bench/mqtt-server.ts is the server, bench/mqtt-load.ts
 * the load (several of them for (h) if asked), so that each one's CPU time and memory can be
 * read apart. (h) has a server of its own, so that its peak RSS is its own.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { connectAsync } from 'mqtt';
import { LATE_MS, type FirehoseClient, type FleetDevice, type FleetRunReply, type LoadReply, type LoadRequest } from './mqtt-load.js';
import type { ServerReply, ServerRequest } from './mqtt-server.js';
import { grouped, quantile } from './stats.js';

const CONNECTIONS = 10;
const VALUES_PER_MESSAGE = 10;
const MOSQUITTO_URL = 'mqtt://127.0.0.1:1883';
/** (h): temperature, humidity, battery. */
const POINTS_PER_FLEET_MESSAGE = 3;

/** One line of the results table. */
export interface MqttRow {
  measure: string;
  result: string;
  target: string;
}

/** What to run; `cpuProfileDir` profiles the server process (node --cpu-prof) into it. */
export interface MqttOptions {
  durationMs: number;
  windows: number[];
  idleTarget: number;
  idleBudgetMs: number;
  cpuProfileDir?: string;
}

/** What (h) runs: `devices` publishing for `warmupMs` + `windowMs`, driven by `loaders` load processes. */
export interface FleetOptions {
  devices: number;
  loaders: number;
  warmupMs: number;
  windowMs: number;
  cpuProfileDir?: string;
}

interface Child<Request, Reply> {
  process: ChildProcess;
  /** The first message the child sent. */
  ready: Reply;
  ask(request: Request, timeoutMs: number): Promise<Reply>;
}

const children = new Set<ChildProcess>();
// Whatever happens to this process, its children go with it.
process.on('exit', () => children.forEach((child) => child.kill('SIGKILL')));

/** Forks a bench process and waits for its 'ready'; requests are answered one at a time, in order. */
// The young generation `npm start` gives the server (package.json): it halves the time the
// fleet's main thread spends collecting garbage (BENCHMARKS.md).
const SERVER_NODE_FLAGS = ['--max-semi-space-size=32'];

async function start<Request, Reply>(module: string, execArgv: string[]): Promise<Child<Request, Reply>> {
  const child = fork(fileURLToPath(new URL(module, import.meta.url)), [], { execArgv: [...process.execArgv, ...execArgv], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  const reply = async (timeoutMs: number): Promise<Reply> => {
    const timeout = AbortSignal.timeout(timeoutMs);
    const [message] = (await once(child, 'message', { signal: timeout })) as [Reply];
    return message;
  };
  const ready = await reply(60_000);
  return {
    process: child,
    ready,
    ask(request, timeoutMs) {
      const answer = reply(timeoutMs);
      child.send(request as object);
      return answer;
    },
  };
}

/** CPU milliseconds a process has used (user + system), from /proc; null if unreadable. */
function cpuMsOf(pid: number | null): number | null {
  if (pid === null) return null;
  try {
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // USER_HZ is 100 on Linux
  } catch {
    return null;
  }
}

/** A kB field of /proc/{pid}/status (VmRSS, VmHWM: the peak RSS); null if unreadable. */
function statusKbOf(pid: number, field: 'VmRSS' | 'VmHWM'): number | null {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8')
      .split('\n')
      .find((entry) => entry.startsWith(`${field}:`));
    return line ? Number(line.split(/\s+/)[1]) : null;
  } catch {
    return null;
  }
}

function mosquittoPid(): number | null {
  try {
    return Number(readFileSync('/run/mosquitto/mosquitto.pid', 'utf8').trim()) || null;
  } catch {
    return null;
  }
}

interface Firehose {
  messagesPerSecond: number;
  pointsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  brokerCpuPercent: number | null;
  loadCpuPercent: number;
  errors: string[];
  acked: number;
}

async function firehose(load: Child<LoadRequest, LoadReply>, url: string, clients: FirehoseClient[], window: number, durationMs: number, brokerPid: number | null): Promise<Firehose> {
  const cpuBefore = cpuMsOf(brokerPid);
  const reply = await load.ask({ type: 'firehose', url, clients, window, durationMs, valuesPerMessage: VALUES_PER_MESSAGE }, durationMs + 60_000);
  const cpuAfter = cpuMsOf(brokerPid);
  if (reply.type !== 'firehose') throw new Error(`unexpected reply ${reply.type}`);
  const wallMs = reply.seconds * 1000;
  return {
    messagesPerSecond: reply.messages / reply.seconds,
    pointsPerSecond: (reply.messages * VALUES_PER_MESSAGE) / reply.seconds,
    p50Ms: reply.p50Ms,
    p99Ms: reply.p99Ms,
    brokerCpuPercent: cpuBefore !== null && cpuAfter !== null ? ((cpuAfter - cpuBefore) / wallMs) * 100 : null,
    loadCpuPercent: (reply.cpuMs / wallMs) * 100,
    errors: reply.errors,
    acked: reply.messages,
  };
}

function describe(run: Firehose, extra = ''): string {
  // Per CPU-second of the broker process: what the broker would do with a core of its own, a
  // figure less skewed than the wall-clock one when other work shares the machine.
  const cpu =
    run.brokerCpuPercent === null
      ? ''
      : `broker CPU ${run.brokerCpuPercent.toFixed(0)} %: ${grouped(run.messagesPerSecond / (run.brokerCpuPercent / 100))} msg per broker CPU-second, `;
  const errors = run.errors.length > 0 ? `; errors: ${run.errors.join('; ')}` : '';
  return (
    `${grouped(run.messagesPerSecond)} msg/s, **${grouped(run.pointsPerSecond)} points/s**, p50 ${run.p50Ms.toFixed(1)} ms, p99 ${run.p99Ms.toFixed(1)} ms ` +
    `(${cpu}load generator CPU ${run.loadCpuPercent.toFixed(0)} %)${extra}${errors}`
  );
}

/** Runs (e), (f) and (g); returns the table rows. */
export async function runMqttBenchmarks(options: MqttOptions): Promise<MqttRow[]> {
  const rows: MqttRow[] = [];
  const profile = options.cpuProfileDir ? ['--cpu-prof', '--cpu-prof-dir', options.cpuProfileDir] : [];
  const server = await start<ServerRequest, ServerReply>('./mqtt-server.ts', ['--expose-gc', ...SERVER_NODE_FLAGS, ...profile]);
  const load = await start<LoadRequest, LoadReply>('./mqtt-load.ts', []);
  try {
    if (server.ready.type !== 'ready') throw new Error('the server did not start');
    const { mqttPort, pid: serverPid } = server.ready;
    const flotillaUrl = `mqtt://127.0.0.1:${mqttPort}`;
    const prefix = `flotilla-bench/${process.pid}-${Date.now().toString(36)}`;
    // Mosquitto's ceiling needs a subscriber, or it would only be measuring how fast it drops.
    const subscriber = await connectAsync(MOSQUITTO_URL, { reconnectPeriod: 0, connectTimeout: 3000, protocolVersion: 4 }).catch(() => null);
    await subscriber?.subscribeAsync(`${prefix}/#`, { qos: 0 });
    for (const window of options.windows) {
      const made = await server.ask({ type: 'devices', count: CONNECTIONS }, 30_000);
      if (made.type !== 'devices') throw new Error('no devices');
      const clients = made.devices.map((device) => ({ clientId: device.id, username: device.id, password: device.secret, topic: `flotilla/v1/d/${device.id}/telemetry` }));
      const before = await server.ask({ type: 'points' }, 30_000);
      const flotilla = await firehose(load, flotillaUrl, clients, window, options.durationMs, serverPid);
      const after = await server.ask({ type: 'points' }, 30_000);
      const stored = after.type === 'points' && before.type === 'points' ? after.count - before.count : Number.NaN;
      const check = stored === flotilla.acked * VALUES_PER_MESSAGE ? `; stored ${grouped(stored)} points = acknowledged` : `; **stored ${grouped(stored)} points, acknowledged ${grouped(flotilla.acked * VALUES_PER_MESSAGE)}**`;
      rows.push({ measure: `(e) Flotilla, ${CONNECTIONS} connections × ${window} in flight, QoS 1, 10 values a message`, result: describe(flotilla, check), target: window > 1 ? '≥ 30,000 msg/s, ≥ 300,000 points/s' : '' });
      if (!subscriber) {
        rows.push({ measure: `(f) Mosquitto, ${window} in flight`, result: `not measured: nothing answers on ${MOSQUITTO_URL}`, target: '' });
        continue;
      }
      const mosquittoClients = clients.map((client, index) => ({ clientId: `${prefix.replace('/', '-')}-${window}-${index}`, topic: `${prefix}/d/${index}/telemetry` }));
      const mosquitto = await firehose(load, MOSQUITTO_URL, mosquittoClients, window, options.durationMs, mosquittoPid());
      rows.push({ measure: `(f) Mosquitto ${MOSQUITTO_URL}, same load, one idle subscriber`, result: describe(mosquitto), target: '' });
      rows.push({ measure: `(e)/(f) Flotilla / Mosquitto, ${window} in flight`, result: `**${(flotilla.messagesPerSecond / mosquitto.messagesPerSecond).toFixed(2)}**`, target: window > 1 ? '≥ 0.5' : '' });
    }
    await subscriber?.endAsync(true);
    rows.push(...(await idleConnections(server, load, options)));
  } finally {
    await load.ask({ type: 'close' }, 30_000).catch(() => undefined);
    load.process.disconnect();
    server.process.send({ type: 'stop' } satisfies ServerRequest);
    await Promise.race([once(server.process, 'exit'), new Promise((resolve) => setTimeout(resolve, 10_000))]);
  }
  return rows;
}

/** (g) Idle connections: server RSS before and after, and how fast they were accepted. */
async function idleConnections(server: Child<ServerRequest, ServerReply>, load: Child<LoadRequest, LoadReply>, options: MqttOptions): Promise<MqttRow[]> {
  if (server.ready.type !== 'ready') return [];
  const made = await server.ask({ type: 'devices', count: options.idleTarget }, 120_000);
  if (made.type !== 'devices') throw new Error('no devices');
  const before = await server.ask({ type: 'memory' }, 30_000);
  const cpuBefore = cpuMsOf(server.ready.pid);
  const reply = await load.ask({ type: 'idle', port: server.ready.mqttPort, devices: made.devices, budgetMs: options.idleBudgetMs, parallel: 100 }, options.idleBudgetMs + 60_000);
  const cpuMs = (cpuMsOf(server.ready.pid) ?? Number.NaN) - (cpuBefore ?? Number.NaN);
  if (reply.type !== 'idle' || before.type !== 'memory') throw new Error('unexpected reply');
  // Presence is written after a connect; let the server settle before reading its memory.
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const after = await server.ask({ type: 'memory' }, 30_000);
  if (after.type !== 'memory') throw new Error('unexpected reply');
  const perConnection = (after.rssKb - before.rssKb) / Math.max(1, reply.opened);
  const heapPerConnection = (after.heapUsedKb - before.heapUsedKb) / Math.max(1, reply.opened);
  const errors = reply.errors.length > 0 ? `; errors: ${reply.errors.join('; ')}` : '';
  return [
    {
      measure: `(g) idle device connections opened (of ${grouped(options.idleTarget)}, ${options.idleBudgetMs / 1000} s allowed), server RSS`,
      result: `${grouped(reply.opened)} opened, ${grouped(reply.refused)} refused; RSS ${grouped(before.rssKb / 1024)} → ${grouped(after.rssKb / 1024)} MB: **${perConnection.toFixed(1)} KB a connection** (JS heap ${heapPerConnection.toFixed(1)} KB)${errors}`,
      target: '≤ 30 KB',
    },
    { measure: '(g) device connects a second, authentication included, 100 at a time', result: `**${grouped(reply.opened / reply.seconds)}/s** (${grouped(reply.opened / (cpuMs / 1000))} per server CPU-second)`, target: '≥ 1,000/s' },
  ];
}

/** Epoch milliseconds, on the clock the load processes schedule by. */
const now = () => performance.timeOrigin + performance.now();
const sleepUntil = (at: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, at - now())));
const megabytes = (kb: number | null) => (kb === null ? 'unreadable' : `${grouped(kb / 1024)} MB`);

/** (h) The fleet: connect every device, then one message a second each; returns the table rows. */
export async function runFleetBenchmark(options: FleetOptions): Promise<MqttRow[]> {
  const profile = options.cpuProfileDir ? ['--cpu-prof', '--cpu-prof-dir', options.cpuProfileDir] : [];
  const server = await start<ServerRequest, ServerReply>('./mqtt-server.ts', [...SERVER_NODE_FLAGS, ...profile]);
  const loaders = await Promise.all(Array.from({ length: options.loaders }, () => start<LoadRequest, LoadReply>('./mqtt-load.ts', [])));
  try {
    if (server.ready.type !== 'ready') throw new Error('the server did not start');
    const { mqttPort, pid: serverPid } = server.ready;
    const made = await server.ask({ type: 'devices', count: options.devices }, 300_000);
    if (made.type !== 'devices') throw new Error('no devices');
    // Device i publishes at i/N of each second: the fleet's messages spread evenly over the second.
    const fleet: FleetDevice[] = made.devices.map((device, index) => ({ ...device, offsetMs: (index * 1000) / options.devices }));
    const shares = loaders.map((_, loader) => fleet.filter((_, index) => index % loaders.length === loader));
    const rssBeforeKb = statusKbOf(serverPid, 'VmRSS');

    // Connecting, 100 at a time in all, as (g) does.
    const connectStarted = performance.now();
    const connectCpuBefore = cpuMsOf(serverPid);
    const connected = await Promise.all(
      loaders.map((loader, index) => loader.ask({ type: 'fleetConnect', port: mqttPort, devices: shares[index]!, parallel: Math.ceil(100 / loaders.length) }, 600_000)),
    );
    const connectSeconds = (performance.now() - connectStarted) / 1000;
    const connectCpuMs = (cpuMsOf(serverPid) ?? Number.NaN) - (connectCpuBefore ?? Number.NaN);
    let opened = 0;
    let refused = 0;
    const connectErrors: string[] = [];
    for (const reply of connected) {
      if (reply.type !== 'fleetConnected') throw new Error(`unexpected reply ${reply.type}`);
      opened += reply.opened;
      refused += reply.refused;
      connectErrors.push(...reply.errors);
    }
    // Presence is written after a connect; let the server settle before the clock starts.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const rssConnectedKb = statusKbOf(serverPid, 'VmRSS');
    const pointsBefore = await server.ask({ type: 'points' }, 60_000);
    const ingestBefore = await server.ask({ type: 'ingest' }, 60_000);

    // The run: every load process schedules against the same start time.
    const startAt = now() + 1000;
    const windowFrom = startAt + options.warmupMs;
    const windowTo = windowFrom + options.windowMs;
    const drainMs = 15_000;
    const runs = Promise.all(loaders.map((loader) => loader.ask({ type: 'fleetRun', startAt, warmupMs: options.warmupMs, windowMs: options.windowMs, drainMs }, options.warmupMs + options.windowMs + drainMs + 60_000)));
    await sleepUntil(windowFrom);
    const serverCpuBefore = cpuMsOf(serverPid);
    const loadCpuBefore = loaders.map((loader) => cpuMsOf(loader.process.pid ?? null));
    await sleepUntil(windowTo);
    const serverCpuMs = (cpuMsOf(serverPid) ?? Number.NaN) - (serverCpuBefore ?? Number.NaN);
    const loadCpuMs = loaders.reduce((sum, loader, index) => sum + (cpuMsOf(loader.process.pid ?? null) ?? Number.NaN) - (loadCpuBefore[index] ?? Number.NaN), 0);
    const rssAfterKb = statusKbOf(serverPid, 'VmRSS');
    const replies = await runs;
    const pointsAfter = await server.ask({ type: 'points' }, 60_000);
    const ingestAfter = await server.ask({ type: 'ingest' }, 60_000);
    const peakKb = statusKbOf(serverPid, 'VmHWM');

    const results = replies.map((reply) => {
      if (reply.type !== 'fleetRun') throw new Error(`unexpected reply ${reply.type}`);
      return reply;
    });
    const sum = (field: 'sent' | 'acked' | 'windowSent' | 'windowLate' | 'unacked') => results.reduce((total, reply) => total + reply[field], 0);
    const latencies = new Float64Array(results.flatMap((reply: FleetRunReply) => reply.latenciesMs)).sort();
    // Due → PUBACK: what a device would see if the generator's lag were the server's.
    const fromDue = new Float64Array(results.flatMap((reply) => reply.latenciesMs.map((latency, index) => latency + reply.lagsMs[index]!))).sort();
    const lags = new Float64Array(results.flatMap((reply) => reply.lagsMs)).sort();
    const windowSeconds = options.windowMs / 1000;
    const messagesPerSecond = latencies.length / windowSeconds;
    const stored = pointsAfter.type === 'points' && pointsBefore.type === 'points' ? pointsAfter.count - pointsBefore.count : Number.NaN;
    const ackedPoints = sum('acked') * POINTS_PER_FLEET_MESSAGE;
    const check = stored === ackedPoints ? `stored ${grouped(stored)} points = acknowledged` : `**stored ${grouped(stored)} points, acknowledged ${grouped(ackedPoints)}**`;
    // How many messages share a transaction: at a steady trickle each commit carries few.
    const transactions = ingestAfter.type === 'ingest' && ingestBefore.type === 'ingest' ? ingestAfter.batches - ingestBefore.batches : Number.NaN;
    const perTransaction = ingestAfter.type === 'ingest' && ingestBefore.type === 'ingest' ? (ingestAfter.messages - ingestBefore.messages) / transactions : Number.NaN;
    const errors = [...new Set([...connectErrors, ...results.flatMap((reply) => reply.errors)])].slice(0, 5);
    const errorText = errors.length > 0 ? `; errors: ${errors.join('; ')}` : '';
    const ms = (value: number) => `${value.toFixed(1)} ms`;
    const share = (value: number) => `${((value / options.windowMs) * 100).toFixed(0)} %`;
    const devices = grouped(options.devices);
    const window = `${windowSeconds} s after a ${options.warmupMs / 1000} s warm-up`;
    const loadersText = `${options.loaders} load process${options.loaders === 1 ? '' : 'es'}`;
    return [
      {
        measure: `(h) fleet: devices connected (of ${devices}, 100 at a time)`,
        result: `**${grouped(opened)}** connected, ${grouped(refused)} refused, in ${connectSeconds.toFixed(1)} s (${grouped(opened / connectSeconds)}/s, ${grouped(opened / (connectCpuMs / 1000))} per server CPU-second)`,
        target: `${devices}`,
      },
      {
        measure: `(h) fleet: ${devices} devices × 1 QoS 1 msg/s × 3 values, spread over the second; acknowledged over ${window}`,
        result:
          `${grouped(messagesPerSecond)} msg/s, **${grouped(messagesPerSecond * POINTS_PER_FLEET_MESSAGE)} points/s** of ${grouped(sum('windowSent') / windowSeconds)} msg/s sent; ` +
          `server CPU ${share(serverCpuMs)}, load generator CPU ${share(loadCpuMs)} (${loadersText}); ` +
          `${grouped(transactions / ((options.warmupMs + options.windowMs) / 1000))} transactions a second, ${perTransaction.toFixed(1)} messages a transaction; ${check}${sum('unacked') > 0 ? `; **${grouped(sum('unacked'))} never acknowledged**` : ''}${errorText}`,
        target: `${grouped(options.devices)} msg/s, ${grouped(options.devices * POINTS_PER_FLEET_MESSAGE)} points/s`,
      },
      {
        measure: '(h) fleet: publish → PUBACK',
        result:
          `p50 ${ms(quantile(latencies, 0.5))}, **p99 ${ms(quantile(latencies, 0.99))}**, max ${ms(latencies.at(-1) ?? Number.NaN)}; ` +
          `from when each was due: p99 ${ms(quantile(fromDue, 0.99))}; missed schedule (sent > ${LATE_MS} ms late): ${grouped(sum('windowLate'))} of ${grouped(sum('windowSent'))}, generator lag p99 ${ms(quantile(lags, 0.99))}, max ${ms(lags.at(-1) ?? Number.NaN)}`,
        target: 'p99 < 100 ms',
      },
      {
        measure: '(h) fleet: server RSS',
        result: `before connecting ${megabytes(rssBeforeKb)}, connected ${megabytes(rssConnectedKb)}, **after the window ${megabytes(rssAfterKb)}, peak (VmHWM) ${megabytes(peakKb)}**`,
        target: '< 1 GB',
      },
    ];
  } finally {
    await Promise.all(loaders.map((loader) => loader.ask({ type: 'close' }, 30_000).catch(() => undefined)));
    loaders.forEach((loader) => loader.process.disconnect());
    server.process.send({ type: 'stop' } satisfies ServerRequest);
    await Promise.race([once(server.process, 'exit'), new Promise((resolve) => setTimeout(resolve, 10_000))]);
  }
}
