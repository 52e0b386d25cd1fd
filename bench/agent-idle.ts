/**
 * The agent at rest: a real server and the agent as it ships (the one-file bundle run by plain
 * node, default settings but a free local API port), left to settle, then its RSS and CPU
 * sampled from /proc for a minute. Targets: RSS < 60 MB, CPU < 1 %.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adminOf, createServerProcess, freePort } from '../packages/agent/test/server-process.js';

export interface IdleRow {
  measure: string;
  result: string;
  target: string;
}

const bundle = new URL('../packages/agent/dist/flotilla-agent.mjs', import.meta.url).pathname;
const CLOCK_TICKS = 100; // USER_HZ on Linux

function cpuTicks(pid: number): number {
  // Fields after the command name in parentheses: utime and stime are the 12th and 13th.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

function rssBytes(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1] ?? 0) * 1024;
}

export async function measureAgentIdle({ settleMs = 15_000, sampleMs = 60_000 } = {}): Promise<IdleRow[]> {
  if (!existsSync(bundle)) execFileSync(process.execPath, [new URL('../packages/agent/scripts/bundle.mjs', import.meta.url).pathname], { stdio: 'inherit' });
  const server = await createServerProcess();
  const stateDir = mkdtempSync(join(tmpdir(), 'flotilla-bench-agent-'));
  try {
    const admin = await adminOf(server);
    const agent = spawn(process.execPath, [bundle, '--server', server.url, '--mqtt-url', `mqtt://127.0.0.1:${server.mqttPort}`, '--state-dir', stateDir, '--enroll-token', await admin.enrollmentToken(), '--local-api-port', String(await freePort()), '--log-level', 'warn'], { stdio: 'ignore' });
    const pid = agent.pid as number;
    // The floor in the same run: a Node process that only keeps a timer.
    const bare = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    await new Promise((resolve) => setTimeout(resolve, settleMs));
    const ticksBefore = cpuTicks(pid);
    const startedAt = Date.now();
    const samples: number[] = [];
    const bareSamples: number[] = [];
    while (Date.now() - startedAt < sampleMs) {
      samples.push(rssBytes(pid));
      bareSamples.push(rssBytes(bare.pid as number));
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    const cpuPercent = ((cpuTicks(pid) - ticksBefore) / CLOCK_TICKS / ((Date.now() - startedAt) / 1000)) * 100;
    for (const child of [agent, bare]) child.kill('SIGTERM');
    await Promise.all([agent, bare].map((child) => new Promise((resolve) => child.once('exit', resolve))));
    const maxRss = Math.max(...samples) / 1024 / 1024;
    const meanRss = samples.reduce((sum, value) => sum + value, 0) / samples.length / 1024 / 1024;
    const bareRss = Math.max(...bareSamples) / 1024 / 1024;
    return [
      { measure: `agent idle RSS (one-file bundle on node, metrics every 30 s, MQTT connected), over ${Math.round(sampleMs / 1000)} s`, result: `**${maxRss.toFixed(1)} MB** max, ${meanRss.toFixed(1)} MB mean (\`node -e "setInterval(…)"\` in the same run: ${bareRss.toFixed(1)} MB)`, target: '< 60 MB' },
      { measure: `agent idle CPU, over ${Math.round(sampleMs / 1000)} s`, result: `**${cpuPercent.toFixed(2)} %** of one core`, target: '< 1 %' },
    ];
  } finally {
    await server.destroy();
    rmSync(stateDir, { recursive: true, force: true });
  }
}
