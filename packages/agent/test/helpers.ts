/** Shared pieces of the agent's tests: temp directories, a quiet logger, waiting for conditions, app specs that run node. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AppliedState, AppSpec, DesiredStateMessage, JsonObject } from '@flotilla/protocol';
import { pino } from 'pino';
import { createReconciler, type AppStatus, type Reconciler, type ReconcilerOptions } from '../src/reconcile/reconciler.js';

export const quietLog = pino({ level: 'silent' });

/** A fresh directory under the system's temp dir; removed by the returned cleanup. */
export async function tempDir(prefix = 'flotilla-agent-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export async function removeDir(path: string): Promise<void> {
  await rm(path, { recursive: true, force: true });
}

/** Retries the check until it stops throwing; fails with its last error after timeoutMs. */
export async function eventually<T>(check: () => T | Promise<T>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(25);
    }
  }
}

/** True while a process with this pid exists. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** An app that runs node with this script. */
export function nodeApp(script: string, extra: Partial<AppSpec> = {}): AppSpec {
  return { command: process.execPath, args: ['-e', script], ...extra };
}

/** A node app that prints a line and then runs until stopped. */
export function longRunningApp(extra: Partial<AppSpec> = {}): AppSpec {
  return nodeApp('console.log("hello " + (process.env.GREETING ?? "")); setInterval(() => {}, 1000);', extra);
}

/** Restarts fast enough for tests; crash loops after 4 quick exits. */
export const fastSupervision = {
  backoffInitialMs: 20,
  backoffMaxMs: 200,
  stableRunMs: 10_000,
  crashLoopExits: 4,
  crashLoopWindowMs: 60_000,
  crashLoopRetryMs: 60_000,
  stopGraceMs: 3_000,
};

export interface TestReconciler {
  reconciler: Reconciler;
  reports: Array<{ applied: AppliedState; apps: Record<string, AppStatus> }>;
  apply(version: number, state: JsonObject): Promise<AppliedState>;
  app(name: string): AppStatus;
}

/** A reconciler on stateDir that records its reports. */
export function testReconciler(stateDir: string, options: Partial<ReconcilerOptions> = {}): TestReconciler {
  const reports: TestReconciler['reports'] = [];
  const reconciler = createReconciler({ stateDir, log: quietLog, supervision: fastSupervision, onReport: (report) => reports.push(report), ...options });
  return {
    reconciler,
    reports,
    apply: (version, state) => reconciler.apply({ version, state } satisfies DesiredStateMessage),
    app(name) {
      const status = reconciler.status().apps[name];
      if (!status) throw new Error(`no status for app ${name}`);
      return status;
    },
  };
}
