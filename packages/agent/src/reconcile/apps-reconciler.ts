/**
 * Brings the `apps` section about: starts declared apps, replaces an app whose spec changed
 * (stop old, start new), stops apps no longer declared or declared with `enabled: false`, and
 * leaves an app with an unchanged spec alone, so applying the same section twice restarts nothing.
 */
import { join } from 'node:path';
import type { AppSpec, PartStatus } from '@flotilla/protocol';
import type { Logger } from 'pino';
import { agentError } from '../errors.js';
import { AppLog } from './app-logs.js';
import { AppSupervisor, type AppStatus, type SupervisionOptions } from './app-supervisor.js';
import { canonicalJson, type Section } from './desired-sections.js';

export interface AppsReconcilerOptions {
  stateDir: string;
  supervision: SupervisionOptions;
  /** Lines kept in memory per app for collect-logs. */
  logLines: number;
  /** When set, app output is also appended to `<stateDir>/logs/apps/<name>.log`, rotated at this size. */
  logFileMaxBytes: number | undefined;
  log: Logger;
  onChange(): void;
}

interface ManagedApp {
  supervisor: AppSupervisor;
  specJson: string;
  /** True when the last start could not spawn the process: the next apply tries again. */
  hasStartFailed: boolean;
}

/** The declared apps and their supervisors. */
export function createAppsReconciler(options: AppsReconcilerOptions) {
  const { stateDir, log } = options;
  const apps = new Map<string, ManagedApp>();
  const logs = new Map<string, AppLog>();
  let invalid = new Map<string, string>();
  let sectionError: string | undefined;

  function logOf(name: string): AppLog {
    let appLog = logs.get(name);
    if (!appLog) {
      const file = options.logFileMaxBytes ? { path: join(stateDir, 'logs', 'apps', `${name}.log`), maxBytes: options.logFileMaxBytes } : undefined;
      appLog = new AppLog({ ringLines: options.logLines, ...(file ? { file } : {}) });
      logs.set(name, appLog);
    }
    return appLog;
  }

  async function startIfEnabled(app: ManagedApp): Promise<void> {
    if (!app.supervisor.isEnabled) return;
    const started = await app.supervisor.start();
    app.hasStartFailed = started.error !== undefined;
  }

  /** Step: start a new app, or replace one whose spec changed. */
  async function declare(name: string, spec: AppSpec): Promise<void> {
    const specJson = canonicalJson(spec);
    const current = apps.get(name);
    if (current && current.specJson === specJson) {
      if (current.hasStartFailed) await startIfEnabled(current);
      return;
    }
    if (current) {
      log.info({ app: name }, 'app spec changed; replacing');
      await current.supervisor.stop();
    }
    const supervisor = new AppSupervisor({ name, spec, appDir: join(stateDir, 'apps', name), appLog: logOf(name), supervision: options.supervision, log, onChange: options.onChange });
    const app: ManagedApp = { supervisor, specJson, hasStartFailed: false };
    apps.set(name, app);
    if (!supervisor.isEnabled) logOf(name).note('declared with enabled: false; stopped');
    await startIfEnabled(app);
  }

  /** Step: stop and forget an app that is no longer declared. */
  async function remove(name: string, app: ManagedApp): Promise<void> {
    log.info({ app: name }, 'app no longer declared; stopping');
    await app.supervisor.stop();
    apps.delete(name);
    logs.get(name)?.close();
    logs.delete(name);
  }

  return {
    /** Applies one `apps` section. */
    async apply(section: Section<AppSpec>): Promise<void> {
      sectionError = section.error;
      // A section that is not an object changes nothing: better keep apps running than stop them all.
      if (section.error) return;
      invalid = section.invalid;
      for (const [name, spec] of section.valid) await declare(name, spec);
      // An app whose new spec is invalid keeps running as it was; only its part reports the problem.
      for (const [name, app] of apps) if (!section.valid.has(name) && !invalid.has(name)) await remove(name, app);
    },

    /** The part status of every declared app. */
    parts(): Record<string, PartStatus> {
      if (sectionError) return { apps: { status: 'failed', error: sectionError } };
      const parts: Record<string, PartStatus> = {};
      for (const [name, app] of apps) parts[`apps/${name}`] = partOf(app.supervisor.status());
      for (const [name, reason] of invalid) parts[`apps/${name}`] = { status: 'failed', error: reason };
      return parts;
    },

    statuses(): Record<string, AppStatus> {
      return Object.fromEntries([...apps].map(([name, app]) => [name, app.supervisor.status()]));
    },

    async restart(name: string): Promise<AppStatus> {
      const app = apps.get(name);
      if (!app) throw agentError('APP_NOT_FOUND', `no app named ${name} is declared`);
      if (!app.supervisor.isEnabled) throw agentError('APP_DISABLED', `app ${name} is declared with enabled: false`);
      const restarted = await app.supervisor.restart();
      app.hasStartFailed = restarted.error !== undefined;
      if (restarted.error) throw agentError('APP_START_FAILED', `app ${name}: ${restarted.error}`);
      return app.supervisor.status();
    },

    logs(name: string, lines: number): string[] {
      const appLog = apps.has(name) ? logs.get(name) : undefined;
      if (!appLog) throw agentError('APP_NOT_FOUND', `no app named ${name} is declared`);
      return appLog.tail(lines);
    },

    async stopAll(): Promise<void> {
      await Promise.all([...apps.values()].map((app) => app.supervisor.stop()));
    },
  };
}

function partOf(status: AppStatus): PartStatus {
  if (status.state === 'failed' || status.state === 'crash-loop') return { status: 'failed', error: status.error ?? status.state };
  return { status: 'ok' };
}

export type AppsReconciler = ReturnType<typeof createAppsReconciler>;
