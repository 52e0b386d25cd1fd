/**
 * Runs the benchmarks, prints a table with the machine, and appends it to BENCHMARKS.md.
 *
 *   npm run bench                 # everything
 *   npm run bench -- store        # only the telemetry store (bench/telemetry-store.ts)
 *   npm run bench -- mqtt         # only the end-to-end MQTT benchmarks (bench/mqtt.ts), fleet included
 *   npm run bench -- fleet        # only the MQTT fleet, (h)
 *   npm run bench -- cli          # only the CLI's start time, (i) (needs npm run build)
 *   npm run bench -- agent        # only the agent at rest (bench/agent-idle.ts; needs npm run build)
 *   npm run bench -- --quick      # shorter runs and a small fleet, nothing written (for a quick look)
 *   npm run bench -- mqtt --cpu-prof=DIR   # and a CPU profile of the MQTT server process in DIR
 *   npm run bench -- fleet --fleet-devices=N --fleet-loaders=N   # fleet size (10,000) and load processes (1)
 */
import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import { measureAgentIdle } from './agent-idle.js';
import { loadavg } from 'node:os';
import { measureCliStart } from './cli-start.js';
import { createKyselyBatchWriter } from './kysely-batch-writer.js';
import { describeMachine } from './machine.js';
import { runFleetBenchmark, runMqttBenchmarks } from './mqtt.js';
import { grouped, type Timing } from './stats.js';
import { fleetLatest, ingestEndToEnd, openBenchStore, seedDevices, storageCeiling, weeklyAggregate } from './telemetry-store.js';

const COMMAND = 'npm run bench';
const isQuick = process.argv.includes('--quick');
const durationMs = isQuick ? 2000 : 8000;
const sections = process.argv.slice(2).filter((argument) => !argument.startsWith('--'));
const option = (name: string) => process.argv.find((argument) => argument.startsWith(`--${name}=`))?.slice(name.length + 3);
const cpuProfileDir = option('cpu-prof');
const fleetDevices = Number(option('fleet-devices') ?? (isQuick ? 1000 : 10_000));
const fleetLoaders = Number(option('fleet-loaders') ?? 1);
// 'mqtt' includes the fleet; 'fleet' is the fleet alone.
const runs = (section: 'store' | 'mqtt' | 'fleet' | 'cli' | 'agent') => sections.length === 0 || sections.includes(section) || (section === 'fleet' && sections.includes('mqtt'));

interface Row {
  measure: string;
  result: string;
  target: string;
}

async function measureMqtt(): Promise<Row[]> {
  return runMqttBenchmarks({
    durationMs,
    windows: [1, 50],
    idleTarget: isQuick ? 2000 : 10_000,
    idleBudgetMs: isQuick ? 10_000 : 30_000,
    ...(cpuProfileDir ? { cpuProfileDir } : {}),
  });
}

async function measureFleet(): Promise<Row[]> {
  return runFleetBenchmark({
    devices: fleetDevices,
    loaders: fleetLoaders,
    warmupMs: isQuick ? 2000 : 10_000,
    windowMs: isQuick ? 5000 : 60_000,
    ...(cpuProfileDir ? { cpuProfileDir } : {}),
  });
}

async function measure(): Promise<Row[]> {
  const rows: Row[] = [];
  const ceilingPoints = isQuick ? 500_000 : 2_000_000;
  for (const batchPoints of [1000, 5000]) {
    const bench = await openBenchStore();
    const rate = storageCeiling(bench.sqlite, ceilingPoints, batchPoints);
    rows.push({ measure: `(a) ceiling: better-sqlite3 insert, ${grouped(batchPoints)} rows a transaction`, result: `${grouped(rate)} points/s`, target: '' });
    await bench.close();
  }
  for (const [window, writerName] of [[1, 'prepared'], [20, 'prepared'], [50, 'prepared'], [20, 'kysely']] as const) {
    const bench = await openBenchStore();
    const devices = seedDevices(bench.sqlite, bench.tenantId, 10);
    const writer = writerName === 'kysely' ? createKyselyBatchWriter(bench.store.db) : undefined;
    const run = await ingestEndToEnd(bench.store, devices, window, durationMs, {}, writer);
    const how = writerName === 'kysely' ? ', batch written through Kysely (comparison only)' : '';
    rows.push({
      measure: `(b) ingest.submit, 10 producers × ${window} in flight, 10 values a message${how}`,
      result: `${grouped(run.messagesPerSecond)} msg/s, **${grouped(run.pointsPerSecond)} points/s** (${grouped(run.pointsPerCpuSecond)} per CPU-second), p50 ${run.p50Ms.toFixed(1)} ms, p99 ${run.p99Ms.toFixed(1)} ms, ${grouped(run.pointsPerBatch)} points a transaction`,
      target: writerName === 'prepared' && window > 1 ? '≥ 300,000 points/s' : '',
    });
    await bench.close();
  }
  {
    const bench = await openBenchStore();
    const timing = await weeklyAggregate(bench.store, bench.sqlite, bench.tenantId);
    rows.push({ measure: '(c) 7-day hourly avg of one key at 1 Hz (604,800 points), median', result: timed(timing), target: '< 100 ms' });
    await bench.close();
  }
  {
    const bench = await openBenchStore();
    const timing = await fleetLatest(bench.store, bench.sqlite, bench.tenantId);
    rows.push({ measure: '(d) latest values of 10,000 devices × 3 keys (one page), median', result: timed(timing), target: '< 50 ms' });
    await bench.close();
  }
  return rows;
}

function timed(timing: Timing): string {
  return `**${timing.wallMs.toFixed(1)} ms** (${timing.cpuMs.toFixed(1)} ms CPU)`;
}

function table(rows: Row[]): string {
  const lines = ['| measure | result | target |', '|---|---|---|'];
  for (const row of rows) lines.push(`| ${row.measure} | ${row.result} | ${row.target} |`);
  return lines.join('\n');
}

const bench = await openBenchStore();
const sqliteVersion = String(bench.sqlite.prepare('select sqlite_version()').pluck().get());
await bench.close();
const machine = describeMachine(sqliteVersion);
// Other work on the machine skews every figure; the load average says how much there was.
const loadBefore = loadavg()[0]?.toFixed(1);
const tables: string[] = [];
// A subheading only when both tables are in one report.
const sectionCount = [runs('store'), runs('mqtt') || runs('fleet'), runs('cli'), runs('agent')].filter(Boolean).length;
const heading = (title: string) => (sectionCount > 1 ? `#### ${title}\n\n` : '');
if (runs('store')) tables.push(`${heading('Telemetry store')}${table(await measure())}`);
if (runs('mqtt')) tables.push(`${heading('MQTT end to end')}${table([...(await measureMqtt()), ...(await measureFleet())])}`);
else if (runs('fleet')) tables.push(`${heading('MQTT fleet')}${table(await measureFleet())}`);
if (runs('cli')) tables.push(`${heading('CLI start')}${table(measureCliStart(isQuick ? 5 : 20))}`);
if (runs('agent')) tables.push(`${heading('Agent at rest')}${table(await measureAgentIdle(isQuick ? { settleMs: 5000, sampleMs: 10_000 } : {}))}`);
const titles: Record<string, string> = { store: 'Telemetry store', mqtt: 'MQTT end to end', fleet: 'MQTT fleet', cli: 'CLI start', agent: 'Agent at rest' };
const when = new Date().toISOString().slice(0, 16).replace('T', ' ');
const arguments_ = process.argv.slice(2).join(' ');
const report = [
  `### ${(sections.length === 0 ? ['store', 'mqtt', 'cli', 'agent'] : sections).map((section) => titles[section] ?? section).join(', ')}, ${when} UTC`,
  '',
  `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memory}; Node ${machine.node}; SQLite ${machine.sqlite}; load average ${loadBefore} before, ${loadavg()[0]?.toFixed(1)} after.`,
  `Command: \`${COMMAND}${arguments_ ? ` -- ${arguments_}` : ''}\``,
  '',
  tables.join('\n\n'),
  '',
].join('\n');
process.stdout.write(`${report}\n`);
if (!isQuick) {
  if (!existsSync('BENCHMARKS.md')) writeFileSync('BENCHMARKS.md', '# Benchmarks\n\n## Results\n\n');
  appendFileSync('BENCHMARKS.md', `${report}\n`);
}
