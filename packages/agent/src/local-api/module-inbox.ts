/**
 * Commands addressed to sensor modules wait here until the module polls for them. A command
 * named `module.<name>.<command>` goes to module `<name>`, which sees it as `<command>`.
 */
import type { CommandMessage } from '@flotilla/protocol';

/** The prefix that routes a command to a module. */
export const MODULE_COMMAND_PREFIX = 'module.';
/** Module names: what may follow `module.` and what `?module=` accepts. */
export const MODULE_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,31}$/;

/** A command as a module sees it: its own name without the routing prefix. */
export interface ModuleCommand extends CommandMessage {
  module: string;
}

/** The module and command name a routed command is for, or null for a command of the agent. */
export function moduleOfCommand(name: string): { module: string; command: string } | null {
  if (!name.startsWith(MODULE_COMMAND_PREFIX)) return null;
  const rest = name.slice(MODULE_COMMAND_PREFIX.length);
  const dot = rest.indexOf('.');
  if (dot <= 0 || dot === rest.length - 1) return null;
  const module = rest.slice(0, dot);
  return MODULE_NAME_PATTERN.test(module) ? { module, command: rest.slice(dot + 1) } : null;
}

export interface ModuleInbox {
  /** Files a command for its module; false when it is not a module command. */
  deliver(command: CommandMessage): boolean;
  /** Takes the module's waiting commands, waiting up to `waitMs` for one when there is none. */
  take(module: string, waitMs: number, signal?: AbortSignal): Promise<ModuleCommand[]>;
  /** The module a taken command belongs to, until its result is posted. */
  ownerOf(commandId: string): string | undefined;
  /** Forgets a command once its final result is in. */
  finish(commandId: string): void;
}

export function createModuleInbox(): ModuleInbox {
  const waiting = new Map<string, ModuleCommand[]>();
  const taken = new Map<string, string>();
  const waiters = new Map<string, Set<() => void>>();

  function wake(module: string): void {
    for (const waiter of waiters.get(module) ?? []) waiter();
  }

  function takeNow(module: string): ModuleCommand[] {
    const commands = waiting.get(module) ?? [];
    waiting.delete(module);
    for (const command of commands) taken.set(command.id, module);
    return commands;
  }

  return {
    deliver(command) {
      const route = moduleOfCommand(command.name);
      if (!route) return false;
      const queue = waiting.get(route.module) ?? [];
      // The server may deliver a command again after a reconnect; keep one copy.
      if (!queue.some((queued) => queued.id === command.id) && !taken.has(command.id)) {
        queue.push({ ...command, name: route.command, module: route.module });
      }
      waiting.set(route.module, queue);
      wake(route.module);
      return true;
    },

    async take(module, waitMs, signal) {
      const ready = takeNow(module);
      if (ready.length > 0 || waitMs <= 0) return ready;
      await new Promise<void>((resolve) => {
        const set = waiters.get(module) ?? new Set();
        waiters.set(module, set);
        const done = () => {
          clearTimeout(timer);
          set.delete(done);
          signal?.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, waitMs);
        set.add(done);
        signal?.addEventListener('abort', done);
      });
      return takeNow(module);
    },

    ownerOf(commandId) {
      return taken.get(commandId);
    },

    finish(commandId) {
      taken.delete(commandId);
    },
  };
}
