/**
 * Handlers of the well-known commands (WELL_KNOWN_COMMANDS in packages/protocol). Their params
 * arrive checked against the command's schema, defaults filled in. Commands that a device's
 * local policy may forbid (reboot, shell) refuse with a reason naming the policy setting.
 */
import { spawn } from 'node:child_process';
import { uptime } from 'node:os';
import { MAX_COMMAND_RESULT_BYTES, type WellKnownCommandName } from '@flotilla/protocol';
import { agentError, errorMessage } from '../errors.js';
import { CommandFailure } from './command-result.js';
import type { CommandExecutorOptions, CommandHandler } from './executor.js';
import { runShell } from './shell-command.js';

/** The reboot command when the policy names none. */
export const DEFAULT_REBOOT_COMMAND = ['systemctl', 'reboot'];

/** The handlers of every well-known command; `afterResult` runs once the result has been handed back. */
export function createWellKnownHandlers(options: CommandExecutorOptions): Record<WellKnownCommandName, { handler: CommandHandler; afterResult?: () => void }> {
  const { policy, reconciler, log } = options;
  return {
    ping: {
      handler: async () => ({ time: Date.now(), uptimeSeconds: Math.round(uptime()), agentUptimeSeconds: Math.round(process.uptime()) }),
    },
    reboot: {
      handler: async (params) => {
        if (!policy.allowReboot) throw agentError('COMMAND_NOT_ALLOWED', "reboot is not allowed by this device's local policy (allowReboot is false)");
        const delaySeconds = params.delaySeconds as number;
        const command = policy.rebootCommand ?? DEFAULT_REBOOT_COMMAND;
        // Answer first, reboot later: the result must reach the server before the network goes.
        setTimeout(() => runReboot(command), delaySeconds * 1000);
        log.warn({ delaySeconds, command }, 'reboot scheduled');
        return { rebootInSeconds: delaySeconds, command };
      },
    },
    'restart-agent': {
      handler: async () => ({ restarting: true }),
      afterResult: () => setImmediate(() => options.restartAgent()),
    },
    'collect-logs': {
      handler: async (params) => {
        const lines = params.lines as number;
        const app = params.app as string | undefined;
        const tail = app === undefined ? options.agentLogs(lines) : reconciler.appLogs(app, lines);
        return fitLines({ source: app === undefined ? 'agent' : `apps/${app}`, lines: tail });
      },
    },
    'refresh-state': {
      handler: async () => {
        const applied = await reconciler.reapply();
        if (applied.status === 'failed') throw new CommandFailure(applied.error ?? 'the desired state did not apply', applied);
        return applied;
      },
    },
    'restart-app': {
      handler: async (params) => {
        const app = params.app as string;
        await reconciler.restartApp(app);
        return { app, status: reconciler.status().apps[app] };
      },
    },
    shell: {
      handler: async (params, context) => {
        if (!policy.allowShell) throw agentError('COMMAND_NOT_ALLOWED', "shell is not allowed by this device's local policy (allowShell is false)");
        return runShell(params.command as string, params.timeoutSeconds as number, context.signal);
      },
    },
  };

  function runReboot(command: string[]): void {
    const [program, ...args] = command as [string, ...string[]];
    try {
      const child = spawn(program, args, { stdio: 'ignore', detached: true });
      child.once('error', (error) => log.error({ command, error: error.message }, 'reboot command failed to start'));
      child.once('exit', (code) => code !== 0 && log.error({ command, code }, 'reboot command failed'));
      child.unref();
    } catch (error) {
      log.error({ command, error: errorMessage(error) }, 'reboot command failed to start');
    }
  }
}

/** Drops the oldest lines until the answer fits in a command result. */
function fitLines(answer: { source: string; lines: string[] }): { source: string; lines: string[]; truncated: boolean } {
  const budget = MAX_COMMAND_RESULT_BYTES - 1024;
  let lines = answer.lines;
  let bytes = Buffer.byteLength(JSON.stringify(lines));
  let dropped = 0;
  while (bytes > budget && dropped < lines.length) {
    bytes -= Buffer.byteLength(JSON.stringify(lines[dropped])) + 1;
    dropped += 1;
  }
  if (dropped > 0) lines = lines.slice(dropped);
  return { source: answer.source, lines, truncated: dropped > 0 };
}
