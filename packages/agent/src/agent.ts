/**
 * The agent process: a list of named start steps, then the running parts (session, sender,
 * metrics, inventory, reconciler, command executor, local module API) until a signal, a
 * restart request or the server's refusal of the credentials ends it.
 */
import { join } from 'node:path';
import type { CommandMessage } from '@flotilla/protocol';
import type { Logger } from 'pino';
import { EXIT_OK, EXIT_RESTART } from './cli/exit-codes.js';
import { createCommandExecutor } from './commands/executor.js';
import type { AgentConfig } from './config/config.js';
import { ensureStateDir, readCredentials } from './credentials/credentials.js';
import { AgentError } from './errors.js';
import { startInventoryReporter } from './inventory/inventory-reporter.js';
import { startLocalApi, type LocalApi } from './local-api/local-api.js';
import { createModuleInbox } from './local-api/module-inbox.js';
import { createAgentLogger, createLogRing } from './log/logger.js';
import { startMetricsReporter } from './metrics/metrics-reporter.js';
import { openDurableQueue } from './queue/durable-queue.js';
import type { OutboxRecord } from './queue/outbox.js';
import { createReconciler } from './reconcile/reconciler.js';
import { discoverServerByMdns } from './session/discovery.js';
import { ensureCredentials } from './session/enrollment.js';
import { findServer } from './session/find-server.js';
import { createReportedState } from './session/reported-state.js';
import { startSender } from './session/sender.js';
import { openSession } from './session/session.js';
import { AGENT_VERSION } from './version.js';

/** Options for embedding and tests; the command line uses the defaults. */
export interface RunAgentOptions {
  /** Aborting stops the agent as SIGTERM does. */
  signal?: AbortSignal;
  /** Stop on SIGTERM and SIGINT (default true). */
  handleSignals?: boolean;
  log?: Logger;
}

/** Runs the agent until it is stopped; resolves with the exit status, throws AgentError when it cannot run. */
export async function runAgent(config: Readonly<AgentConfig>, options: RunAgentOptions = {}): Promise<number> {
  const ring = createLogRing();
  const log = options.log ?? createAgentLogger(config, ring);
  const stopping = new AbortController();
  options.signal?.addEventListener('abort', () => stopping.abort());
  const onSignal = (name: string) => {
    log.info({ signal: name }, 'stopping');
    stopping.abort();
  };
  if (options.handleSignals !== false) {
    process.once('SIGTERM', () => onSignal('SIGTERM'));
    process.once('SIGINT', () => onSignal('SIGINT'));
  }
  log.info({ version: AGENT_VERSION, stateDir: config.stateDir }, 'flotilla agent starting');

  // Step: the state directory holds credentials, the offline buffer and the apps.
  ensureStateDir(config.stateDir);
  // Step: which server.
  const stored = readCredentials(config.stateDir);
  const { serverUrl, mqttUrl } = await findServer(config, stored, discoverServerByMdns, log);
  // Step: credentials, enrolling once.
  const credentials = await ensureCredentials(config, serverUrl, log.child({ feature: 'enrollment' }), stopping.signal);
  if (stopping.signal.aborted) return EXIT_OK;
  // Step: the offline buffer, before anything is produced.
  const outbox = openDurableQueue<OutboxRecord>({ directory: join(config.stateDir, 'queue'), maxBytes: config.queueMaxBytes, log: log.child({ feature: 'queue' }) });
  // Step: the session.
  const session = openSession({ ...config, mqttUrl: config.mqttUrl ?? mqttUrl }, serverUrl, credentials, log.child({ feature: 'session' }));
  const reported = createReportedState((patch) => session.client.reportState(patch), () => session.client.isConnected, log.child({ feature: 'reported' }));
  const sender = startSender(outbox, session.channel, log.child({ feature: 'sender' }));
  session.onConnected(() => {
    reported.sendAll();
    sender.nudge();
  });

  // Step: desired state and commands.
  const reconciler = createReconciler({
    stateDir: config.stateDir,
    log,
    onReport: (report) => {
      reported.set('applied', report.applied as never);
      reported.set('apps', report.apps as never);
    },
  });
  let exitCode = EXIT_OK;
  const executor = createCommandExecutor({
    policy: { allowShell: config.allowShell, allowReboot: config.allowReboot, ...(config.rebootCommand ? { rebootCommand: config.rebootCommand } : {}) },
    reconciler,
    agentLogs: (lines) => ring.tail(lines),
    restartAgent: () => {
      exitCode = EXIT_RESTART;
      stopping.abort();
    },
    log,
  });
  const inbox = createModuleInbox();
  const enqueueResult = (commandId: string, result: OutboxRecord & { kind: 'result' }) => outbox.append(result);
  const runCommand = async (command: CommandMessage) => {
    if (inbox.deliver(command)) return; // A sensor module polls it over the local API.
    enqueueResult(command.id, { kind: 'result', commandId: command.id, result: { status: 'acknowledged' } });
    const result = await executor.execute(command);
    log.info({ commandId: command.id, command: command.name, status: result.status }, 'command finished');
    enqueueResult(command.id, { kind: 'result', commandId: command.id, result });
  };
  let applying = Promise.resolve();
  session.client.onDesiredState((message) => {
    // One apply at a time, in the order the versions arrived.
    applying = applying.then(async () => {
      const applied = await reconciler.apply(message);
      log.info({ version: applied.version, status: applied.status }, 'desired state applied');
    });
  });
  session.client.onCommand((command) => void runCommand(command));

  // Step: metrics and inventory.
  const metrics = startMetricsReporter({ intervalMs: config.metricsIntervalMs, outbox, log });
  const inventory = startInventoryReporter({ intervalMs: config.inventoryIntervalMs, reported, log, agentVersion: AGENT_VERSION });
  reported.set('agent', { version: AGENT_VERSION, startedAt: Date.now(), transport: config.transport });

  // Step: the local module API.
  let localApi: LocalApi | null = null;
  if (config.localApi) {
    localApi = await startLocalApi(config.localApiPort, {
      inbox,
      enqueueTelemetry: (entries) => {
        for (const entry of entries) outbox.append({ kind: 'telemetry', ts: entry.ts, values: entry.values });
      },
      enqueueCommandResult: (commandId, result) => enqueueResult(commandId, { kind: 'result', commandId, result }),
      health: () => ({ deviceId: credentials.deviceId, connected: session.client.isConnected, transport: session.client.transport, queue: outbox.stats(), version: AGENT_VERSION }),
      log: log.child({ feature: 'local-api' }),
    });
  }
  log.info({ deviceId: credentials.deviceId }, 'agent running');

  // Run until stopped or refused.
  const refusal = await Promise.race([session.ended, new Promise<null>((resolve) => stopping.signal.addEventListener('abort', () => resolve(null)))]);

  // Step: stop in reverse order; the buffer keeps whatever was not sent.
  metrics.stop();
  inventory.stop();
  await localApi?.close();
  await sender.stop();
  await reconciler.stop();
  await session.close();
  outbox.close();
  if (refusal) {
    log.error({ code: refusal.code }, refusal.message);
    throw refusal;
  }
  log.info({ exitCode }, exitCode === EXIT_RESTART ? 'restarting' : 'stopped');
  return exitCode;
}

export { AgentError };
