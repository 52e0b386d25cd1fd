/**
 * Supervises one app: starts its process, restarts it by its restart policy with exponential
 * backoff, notices a crash loop and then retries slowly, and stops it with its whole process
 * group. Every state change goes to onChange so the agent can report it.
 */
import { mkdir, stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import type { AppSpec } from '@flotilla/protocol';
import type { Logger } from 'pino';
import type { AppLog } from './app-logs.js';
import { spawnGroup, signalGroup, stopGroup, type GroupProcess } from './process-group.js';

/** What the agent reports per app. */
export interface AppStatus {
  state: 'starting' | 'running' | 'stopped' | 'backoff' | 'crash-loop' | 'failed';
  pid?: number;
  /** Restarts after an exit (the agent's own, by restart policy), since the app was declared. */
  restarts: number;
  lastExitCode?: number;
  lastExitSignal?: string;
  /** Epoch milliseconds of the last state change. */
  since: number;
  error?: string;
}

/** How apps are restarted; the defaults suit devices, tests pass shorter ones. */
export interface SupervisionOptions {
  /** First delay before a restart; doubles at every quick exit up to backoffMaxMs. */
  backoffInitialMs: number;
  backoffMaxMs: number;
  /** A run at least this long resets the backoff and ends a crash loop. */
  stableRunMs: number;
  /** This many exits within crashLoopWindowMs make a crash loop. */
  crashLoopExits: number;
  crashLoopWindowMs: number;
  /** Delay between restarts while in a crash loop. */
  crashLoopRetryMs: number;
  /** Time between SIGTERM and SIGKILL when stopping. */
  stopGraceMs: number;
}

export const DEFAULT_SUPERVISION: Readonly<SupervisionOptions> = Object.freeze({
  backoffInitialMs: 1_000,
  backoffMaxMs: 60_000,
  stableRunMs: 30_000,
  crashLoopExits: 5,
  crashLoopWindowMs: 120_000,
  crashLoopRetryMs: 300_000,
  stopGraceMs: 10_000,
});

/** The environment every app starts from; its spec's env is merged over it. */
const BASE_ENV_KEYS = ['PATH', 'HOME', 'USER', 'LOGNAME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR'];
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface AppSupervisorOptions {
  name: string;
  spec: AppSpec;
  /** The app's own directory (`<stateDir>/apps/<name>`): the default working directory. */
  appDir: string;
  appLog: AppLog;
  supervision: SupervisionOptions;
  log: Logger;
  onChange(): void;
}

interface Run {
  process: GroupProcess;
  startedAt: number;
  isStopping: boolean;
}

/** One declared app and its process. */
export class AppSupervisor {
  readonly name: string;
  readonly spec: AppSpec;
  #status: AppStatus = { state: 'stopped', restarts: 0, since: Date.now() };
  #run: Run | undefined;
  #restartTimer: NodeJS.Timeout | undefined;
  #backoffMs: number;
  #recentExits: number[] = [];
  #isCrashLooping = false;
  /** Grows at every stop, so a start still under way when stop() is called knows it is unwanted. */
  #generation = 0;
  readonly #options: AppSupervisorOptions;

  constructor(options: AppSupervisorOptions) {
    this.#options = options;
    this.name = options.name;
    this.spec = options.spec;
    this.#backoffMs = options.supervision.backoffInitialMs;
  }

  status(): AppStatus {
    return { ...this.#status };
  }

  get isEnabled(): boolean {
    return this.spec.enabled !== false;
  }

  /** Starts the process; resolves with the reason when it cannot start. */
  async start(): Promise<{ error?: string }> {
    this.#clearRestartTimer();
    if (this.#run) return {};
    return this.#spawn();
  }

  /** Stops the process group and any pending restart. */
  async stop(): Promise<void> {
    this.#clearRestartTimer();
    this.#generation += 1;
    const run = this.#run;
    if (run) {
      run.isStopping = true;
      this.#options.appLog.note('stopping');
      await stopGroup(run.process, this.#options.supervision.stopGraceMs);
      this.#run = undefined;
    }
    this.#setState({ state: 'stopped', error: undefined, pid: undefined });
  }

  /** Stops and starts again, forgetting the backoff and any crash loop. */
  async restart(): Promise<{ error?: string }> {
    await this.stop();
    this.#backoffMs = this.#options.supervision.backoffInitialMs;
    this.#recentExits = [];
    this.#isCrashLooping = false;
    return this.start();
  }

  async #spawn(): Promise<{ error?: string }> {
    const { spec, appLog, log, supervision } = this.#options;
    const generation = this.#generation;
    this.#setState({ state: 'starting', error: undefined, pid: undefined });
    const cwd = await this.#workingDirectory();
    const started = 'error' in cwd ? cwd : await spawnGroup({ command: spec.command, args: spec.args ?? [], cwd: cwd.path, env: this.#environment() });
    if (generation !== this.#generation) {
      if ('process' in started) await stopGroup(started.process, supervision.stopGraceMs);
      return {};
    }
    if ('error' in started) {
      appLog.note(`cannot start: ${started.error}`);
      log.warn({ app: this.name, error: started.error }, 'app start failed');
      this.#setState({ state: 'failed', error: started.error });
      return { error: started.error };
    }
    const run: Run = { process: started.process, startedAt: Date.now(), isStopping: false };
    this.#run = run;
    appLog.follow(started.process.child.stdout!);
    appLog.follow(started.process.child.stderr!);
    appLog.note(`started pid ${run.process.pid}`);
    log.info({ app: this.name, pid: run.process.pid }, 'app started');
    void run.process.exited.then(({ code, signal }) => this.#onExit(run, code, signal));
    this.#setState({ state: 'running', pid: run.process.pid });
    return {};
  }

  async #workingDirectory(): Promise<{ path: string } | { error: string }> {
    const { spec, appDir } = this.#options;
    if (spec.cwd === undefined) {
      await mkdir(appDir, { recursive: true });
      return { path: appDir };
    }
    const path = isAbsolute(spec.cwd) ? spec.cwd : resolve(appDir, spec.cwd);
    const found = await stat(path).catch(() => undefined);
    if (!found?.isDirectory()) return { error: `working directory ${path} does not exist or is not a directory` };
    return { path };
  }

  #environment(): Record<string, string> {
    const base: Record<string, string> = { PATH: DEFAULT_PATH };
    for (const key of BASE_ENV_KEYS) {
      const value = process.env[key];
      if (value !== undefined) base[key] = value;
    }
    return { ...base, FLOTILLA_APP: this.name, ...this.spec.env };
  }

  #onExit(run: Run, code: number | null, signal: NodeJS.Signals | null): void {
    if (run.isStopping || this.#run !== run) return;
    this.#run = undefined;
    // Whatever the app started dies with it, so a restart never runs beside its leftovers.
    signalGroup(run.process.pid, 'SIGKILL');
    const { supervision, appLog, log } = this.#options;
    const now = Date.now();
    if (now - run.startedAt >= supervision.stableRunMs) {
      this.#backoffMs = supervision.backoffInitialMs;
      this.#isCrashLooping = false;
    }
    const isFailure = code !== 0;
    const exit = signal ? `was killed by ${signal}` : `exited with code ${code}`;
    appLog.note(exit);
    const exitFields = { pid: undefined, lastExitCode: code ?? undefined, lastExitSignal: signal ?? undefined };
    const policy = this.spec.restart ?? 'always';
    if (policy === 'never' || (policy === 'on-failure' && !isFailure)) {
      log.info({ app: this.name, code, signal }, 'app ended');
      this.#setState(isFailure ? { ...exitFields, state: 'failed', error: `${exit} (restart: ${policy})` } : { ...exitFields, state: 'stopped', error: undefined });
      return;
    }
    this.#recentExits = [...this.#recentExits.filter((at) => now - at < supervision.crashLoopWindowMs), now];
    if (this.#isCrashLooping || this.#recentExits.length >= supervision.crashLoopExits) {
      this.#isCrashLooping = true;
      const error = `crash loop: ${this.#recentExits.length} exits within ${supervision.crashLoopWindowMs / 1000} s, last ${exit}; retrying every ${supervision.crashLoopRetryMs / 1000} s`;
      log.warn({ app: this.name, code, signal }, 'app in crash loop');
      appLog.note(error);
      this.#setState({ ...exitFields, state: 'crash-loop', error });
      this.#scheduleRestart(supervision.crashLoopRetryMs);
      return;
    }
    const delayMs = this.#backoffMs;
    this.#backoffMs = Math.min(this.#backoffMs * 2, supervision.backoffMaxMs);
    log.info({ app: this.name, code, signal, delayMs }, 'app exited; restarting');
    appLog.note(`restarting in ${delayMs} ms`);
    this.#setState({ ...exitFields, state: 'backoff', error: undefined });
    this.#scheduleRestart(delayMs);
  }

  #scheduleRestart(delayMs: number): void {
    this.#clearRestartTimer();
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = undefined;
      this.#status.restarts += 1;
      void this.#spawn();
    }, delayMs);
  }

  #clearRestartTimer(): void {
    if (this.#restartTimer) clearTimeout(this.#restartTimer);
    this.#restartTimer = undefined;
  }

  #setState(change: Partial<AppStatus>): void {
    const next = { ...this.#status, ...change, since: Date.now() };
    for (const key of Object.keys(next) as Array<keyof AppStatus>) if (next[key] === undefined) delete next[key];
    this.#status = next;
    this.#options.onChange();
  }
}
