/**
 * The command executor: runs one command message to its end and answers a CommandResult. A
 * well-known command runs its own handler after its params are checked against the protocol's
 * schema; any other name runs a handler a plugin registered; an unknown name fails. The command's
 * timeoutMs aborts the handler's signal. It never throws: every failure becomes a result.
 */
import { COMMAND_NAME_PATTERN, WELL_KNOWN_COMMANDS, wellKnownCommand, type CommandMessage, type CommandResult, type WellKnownCommandName } from '@flotilla/protocol';
import { Value } from '@sinclair/typebox/value';
import type { Logger } from 'pino';
import { agentError } from '../errors.js';
import type { Reconciler } from '../reconcile/reconciler.js';
import { schemaProblems } from '../reconcile/desired-sections.js';
import { boundedResult, failed, failedFrom } from './command-result.js';
import { createWellKnownHandlers } from './well-known-handlers.js';

export { CommandFailure } from './command-result.js';

/** A plugin's handler of a custom command; throw to fail (CommandFailure to fail with output). */
export type CommandHandler = (params: Record<string, unknown>, context: { signal: AbortSignal; log: Logger }) => Promise<unknown>;

export interface CommandExecutorOptions {
  /** The device's local policy: what the server may not ask of this device. */
  policy: { allowShell: boolean; allowReboot: boolean; rebootCommand?: string[] };
  reconciler: Reconciler;
  /** The tail of the agent's own log (the agent keeps a ring buffer). */
  agentLogs(lines: number): string[];
  /** Called after restart-agent has answered: the agent flushes its results and exits with a code its supervisor restarts on. */
  restartAgent(): void;
  log: Logger;
}

export interface CommandExecutor {
  /** Registers a plugin's handler for a custom command name; throws COMMAND_NAME_INVALID or COMMAND_NAME_TAKEN. */
  register(name: string, handler: CommandHandler): void;
  /** Runs one command to its end within timeoutMs; never throws: failures become { status: 'failed', error }. */
  execute(command: CommandMessage): Promise<CommandResult>;
}

const commandNamePattern = new RegExp(COMMAND_NAME_PATTERN);

/** Creates the executor with the well-known commands' handlers. */
export function createCommandExecutor(options: CommandExecutorOptions): CommandExecutor {
  const log = options.log.child({ feature: 'commands' });
  const wellKnown = createWellKnownHandlers({ ...options, log });
  const custom = new Map<string, CommandHandler>();

  /** Step: the handler and checked params, or the failed result that ends the command. */
  function prepare(command: CommandMessage): { handler: CommandHandler; params: Record<string, unknown>; afterResult?: () => void } | CommandResult {
    const params = typeof command.params === 'object' && command.params !== null && !Array.isArray(command.params) ? command.params : {};
    const known = wellKnownCommand(command.name);
    if (!known) {
      const handler = custom.get(command.name);
      if (!handler) return failed(`unknown command: ${command.name}`);
      return { handler, params: structuredClone(params) };
    }
    const checked = Value.Default(known.params, structuredClone(params)) as Record<string, unknown>;
    const problems = schemaProblems(known.params, checked, 'params');
    if (problems) return failed(`bad params for ${command.name}: ${problems}`);
    return { ...wellKnown[known.name as WellKnownCommandName], params: checked };
  }

  /** Step: run the handler, racing it against the command's timeout. */
  async function run(command: CommandMessage, handler: CommandHandler, params: Record<string, unknown>): Promise<CommandResult> {
    const controller = new AbortController();
    const timeoutMs = Number.isInteger(command.timeoutMs) && command.timeoutMs > 0 ? command.timeoutMs : (wellKnownCommand(command.name)?.timeoutMs ?? 300_000);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<CommandResult>((resolve) => {
      timer = setTimeout(() => {
        controller.abort(agentError('COMMAND_TIMED_OUT', `timed out after ${timeoutMs} ms`));
        resolve(failed(`timed out after ${timeoutMs} ms`));
      }, timeoutMs);
    });
    const commandLog = log.child({ commandId: command.id, command: command.name });
    const handled = (async (): Promise<CommandResult> => {
      const output = await handler(params, { signal: controller.signal, log: commandLog });
      return output === undefined ? { status: 'succeeded' } : { status: 'succeeded', output };
    })().catch(failedFrom);
    try {
      return await Promise.race([handled, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    register(name, handler) {
      if (!commandNamePattern.test(name)) throw agentError('COMMAND_NAME_INVALID', `cannot register ${JSON.stringify(name)}: a command name must match ${COMMAND_NAME_PATTERN}`);
      if (Object.hasOwn(WELL_KNOWN_COMMANDS, name) || custom.has(name)) throw agentError('COMMAND_NAME_TAKEN', `a handler for ${name} is registered already`);
      custom.set(name, handler);
    },

    async execute(command) {
      try {
        const prepared = prepare(command);
        if ('status' in prepared) {
          log.warn({ commandId: command.id, command: command.name, error: prepared.error }, 'command refused');
          return prepared;
        }
        log.info({ commandId: command.id, command: command.name }, 'running command');
        const result = boundedResult(await run(command, prepared.handler, prepared.params));
        log.info({ commandId: command.id, command: command.name, status: result.status, error: result.error }, 'command ended');
        if (result.status === 'succeeded') prepared.afterResult?.();
        return result;
      } catch (error) {
        // Nothing above should throw; if it does, the command still gets an answer.
        log.error({ commandId: command?.id, error: failedFrom(error).error }, 'command executor failed');
        return failedFrom(error);
      }
    },
  };
}
