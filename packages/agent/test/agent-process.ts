/** The agent as its users run it: a child process from the sources, its log lines collected. */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { waitFor } from './server-process.js';

const bin = fileURLToPath(new URL('../src/bin.ts', import.meta.url));

export interface AgentProcess {
  child: ChildProcessWithoutNullStreams;
  /** Parsed JSON log lines so far. */
  logs: Array<Record<string, unknown>>;
  stderr(): string;
  /** Waits for a log line whose msg matches. */
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Resolves with the exit code once it exited. */
  exited: Promise<number | null>;
  stop(): Promise<number | null>;
}

/** How long a stopped agent may take to exit before it is killed. */
const STOP_GRACE_MS = 20_000;

export function startAgent(args: string[], env: Record<string, string> = {}): AgentProcess {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', bin, ...args], {
    env: { ...process.env, FLOTILLA_AGENT_LOG_LEVEL: 'debug', ...env },
  });
  const logs: Array<Record<string, unknown>> = [];
  let stderr = '';
  let pending = '';
  child.stdout.on('data', (chunk: Buffer) => {
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        logs.push({ msg: line });
      }
    }
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    logs,
    stderr: () => stderr,
    waitForLog: (pattern, timeoutMs = 30_000) => waitFor(`agent log ${pattern}`, () => logs.find((line) => pattern.test(String(line.msg ?? ''))), timeoutMs),
    exited,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      // As systemd does after TimeoutStopSec: a shutdown that stalls must not hold the suite.
      const stalled = setTimeout(() => {
        process.stderr.write(`agent ${child.pid} did not stop within ${STOP_GRACE_MS} ms of SIGTERM; killing it\n`);
        child.kill('SIGKILL');
      }, STOP_GRACE_MS);
      const code = await exited;
      clearTimeout(stalled);
      return code;
    },
  };
}
