/**
 * The reconciler: applies desired state messages (the `apps` and `files` sections; any other
 * section passes through untouched for other parts of the agent), reports what it applied per
 * part, and keeps the last message under the state directory so apps start again right after an
 * agent restart. Applies run one at a time, in the order they arrive.
 */
import { join } from 'node:path';
import { DesiredStateMessageSchema, type AppliedState, type DesiredStateMessage, type PartStatus } from '@flotilla/protocol';
import { Value } from '@sinclair/typebox/value';
import type { Logger } from 'pino';
import { agentError, errorMessage } from '../errors.js';
import { DEFAULT_SUPERVISION, type AppStatus, type SupervisionOptions } from './app-supervisor.js';
import { createAppsReconciler } from './apps-reconciler.js';
import { canonicalJson, readApps, readFiles, schemaProblems } from './desired-sections.js';
import { createFilesReconciler } from './files-reconciler.js';
import { createReconcileStore } from './reconcile-store.js';

export type { AppStatus } from './app-supervisor.js';

export interface ReconcilerOptions {
  /** Apps get `<stateDir>/apps/<name>/` as default cwd; the last message and the file manifest live in `<stateDir>/reconcile/`. */
  stateDir: string;
  log: Logger;
  /** Called whenever the applied state or an app's status changes (crash, restart, crash loop); the agent sends it as reported state `{ applied, apps }`. */
  onReport(report: { applied: AppliedState; apps: Record<string, AppStatus> }): void;
  /** Directories no declared file may be written in, besides the state directory, which is always denied. */
  deniedFileDirectories?: string[];
  /** Restart backoff, crash-loop detection and stop grace; DEFAULT_SUPERVISION otherwise. */
  supervision?: Partial<SupervisionOptions>;
  /** Lines of output kept in memory per app (1,000 by default). */
  appLogLines?: number;
  /** When set, app output is also written to `<stateDir>/logs/apps/<name>.log`, rotated at this many bytes. */
  appLogFileMaxBytes?: number;
}

export interface Reconciler {
  /** Applies a desired state message (idempotent: the same version/content again changes nothing); resolves with the applied report. Never throws for a bad spec: the part is `failed` with its reason. */
  apply(message: DesiredStateMessage): Promise<AppliedState>;
  /** Re-applies the last message (refresh-state); throws NO_DESIRED_STATE before the first. */
  reapply(): Promise<AppliedState>;
  /** Stops and starts one app, forgetting its backoff; throws APP_NOT_FOUND, APP_DISABLED or APP_START_FAILED. */
  restartApp(name: string): Promise<void>;
  /** The last lines of an app's output; throws APP_NOT_FOUND. */
  appLogs(name: string, lines: number): string[];
  status(): { applied: AppliedState | null; apps: Record<string, AppStatus> };
  /** Stops every app (SIGTERM, then SIGKILL after a grace period). */
  stop(): Promise<void>;
}

/** Longest `error` of an applied report, as the protocol allows. */
const MAX_APPLIED_ERROR_CHARS = 4096;

/** Creates the reconciler and, when a message was kept from a previous run, applies it at once. */
export function createReconciler(options: ReconcilerOptions): Reconciler {
  const log = options.log.child({ feature: 'reconcile' });
  const store = createReconcileStore(options.stateDir, log);
  let isApplying = false;
  let isReportPending = false;
  const apps = createAppsReconciler({
    stateDir: options.stateDir,
    supervision: { ...DEFAULT_SUPERVISION, ...options.supervision },
    logLines: options.appLogLines ?? 1000,
    logFileMaxBytes: options.appLogFileMaxBytes,
    log,
    onChange: () => scheduleReport(),
  });
  const files = createFilesReconciler({ store, deniedDirectories: [options.stateDir, ...(options.deniedFileDirectories ?? [])], log });

  let lastMessage: DesiredStateMessage | null = null;
  let keptJson: string | undefined;
  /** The applied report without the app parts, which change as apps run. */
  let base: { version: number; at: number; fileParts: Record<string, PartStatus>; error?: string } | null = null;
  let queue: Promise<unknown> = Promise.resolve();

  function applied(): AppliedState | null {
    if (!base) return null;
    if (base.error) return { version: base.version, status: 'failed', at: base.at, parts: {}, error: base.error };
    const parts = { ...apps.parts(), ...base.fileParts };
    const failed = Object.entries(parts).filter(([, part]) => part.status === 'failed');
    const state: AppliedState = { version: base.version, status: failed.length > 0 ? 'failed' : 'applied', at: base.at, parts };
    if (failed.length > 0) state.error = `${failed.length} of ${Object.keys(parts).length} parts failed: ${failed.map(([, part]) => part.error).join('; ')}`.slice(0, MAX_APPLIED_ERROR_CHARS);
    return state;
  }

  function report(): void {
    const current = applied();
    if (current) options.onReport({ applied: current, apps: apps.statuses() });
  }

  /** App changes come in bursts (starting, running); one report per turn of the event loop. */
  function scheduleReport(): void {
    if (isApplying || isReportPending) return;
    isReportPending = true;
    setImmediate(() => {
      isReportPending = false;
      if (!isApplying) report();
    });
  }

  async function applyNow(message: DesiredStateMessage): Promise<AppliedState> {
    const problem = schemaProblems(DesiredStateMessageSchema, message, 'message');
    const before = canonicalJson(withoutTime(applied()));
    // `at` moves only when the report changes, so applying the same message again changes nothing.
    const previousAt = base?.at ?? Date.now();
    isApplying = true;
    try {
      if (problem) {
        base = { version: Number.isInteger(message?.version) ? message.version : 0, at: previousAt, fileParts: {}, error: problem };
      } else {
        log.info({ version: message.version }, 'applying desired state');
        // Files first: an app may read a file declared beside it as soon as it starts.
        const fileParts = await files.apply(readFiles(message.state));
        await apps.apply(readApps(message.state));
        base = { version: message.version, at: previousAt, fileParts };
        lastMessage = message;
        await keep(message);
      }
    } finally {
      isApplying = false;
    }
    const after = applied() as AppliedState;
    if (canonicalJson(withoutTime(after)) !== before) {
      if (base) base.at = Date.now();
      report();
    }
    return applied() as AppliedState;
  }

  async function keep(message: DesiredStateMessage): Promise<void> {
    const json = canonicalJson(message);
    if (json === keptJson) return;
    try {
      await store.saveDesired(message);
      keptJson = json;
    } catch (error) {
      log.warn({ error: errorMessage(error) }, 'cannot keep the desired state; apps will wait for the server after a restart');
    }
  }

  function serialized<T>(work: () => Promise<T>): Promise<T> {
    const run = queue.then(work, work);
    queue = run.catch(() => undefined);
    return run;
  }

  const reconciler: Reconciler = {
    apply: (message) => serialized(() => applyNow(message)),
    reapply: () =>
      serialized(() => {
        if (!lastMessage) throw agentError('NO_DESIRED_STATE', 'no desired state has been received yet');
        return applyNow(lastMessage);
      }),
    restartApp: (name) => serialized(async () => void (await apps.restart(name))),
    appLogs: (name, lines) => apps.logs(name, lines),
    status: () => ({ applied: applied(), apps: apps.statuses() }),
    stop: async () => {
      await queue;
      await apps.stopAll();
    },
  };

  restoreKeptState(reconciler);
  return reconciler;

  function restoreKeptState(target: Reconciler): void {
    const kept = store.loadDesired();
    if (!kept) return;
    keptJson = canonicalJson(kept);
    log.info({ version: kept.version }, 'restoring the last applied desired state');
    target.apply(kept).catch((error: unknown) => log.error({ error: errorMessage(error) }, 'restoring desired state failed'));
  }
}

function withoutTime(state: AppliedState | null): unknown {
  if (!state) return null;
  const { at: _at, ...rest } = state;
  return rest;
}
