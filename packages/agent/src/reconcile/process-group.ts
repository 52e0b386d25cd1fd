/**
 * Child processes in their own process group: spawned without a shell, stopped as a group so
 * whatever they started goes with them (SIGTERM, then SIGKILL after a grace period).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { errorMessage } from '../errors.js';

/** A started process and a promise of its end. */
export interface GroupProcess {
  child: ChildProcess;
  pid: number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  hasExited(): boolean;
}

export interface SpawnRequest {
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
}

/** Spawns the process as the leader of a new group; resolves once it runs, or with why it could not start. */
export function spawnGroup(request: SpawnRequest): Promise<{ process: GroupProcess } | { error: string }> {
  return new Promise((resolve) => {
    let child: ChildProcess;
    try {
      // detached: the child calls setsid(), so its pid is its process group id.
      child = spawn(request.command, request.args, { cwd: request.cwd, env: request.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
      resolve({ error: errorMessage(error) });
      return;
    }
    let hasExited = false;
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit) => {
      child.once('exit', (code, signal) => {
        hasExited = true;
        resolveExit({ code, signal });
      });
    });
    child.once('error', (error) => resolve({ error: describeSpawnError(request.command, error) }));
    child.once('spawn', () => {
      resolve({ process: { child, pid: child.pid as number, exited, hasExited: () => hasExited } });
    });
  });
}

function describeSpawnError(command: string, error: Error & { code?: string }): string {
  if (error.code === 'ENOENT') return `command not found: ${command} (spawn ENOENT)`;
  if (error.code === 'EACCES') return `command not executable: ${command} (spawn EACCES)`;
  return `cannot start ${command}: ${error.message}`;
}

/** True while any process of the group exists. */
export function isGroupAlive(groupId: number): boolean {
  try {
    process.kill(-groupId, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Sends a signal to every process of the group; a group that is gone already is no error. */
export function signalGroup(groupId: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-groupId, signal);
  } catch {
    // ESRCH: nobody left to signal.
  }
}

/** Stops the whole group: SIGTERM, then SIGKILL to whatever is left after graceMs. */
export async function stopGroup(target: GroupProcess, graceMs: number): Promise<void> {
  const deadline = Date.now() + graceMs;
  signalGroup(target.pid, 'SIGTERM');
  await Promise.race([target.exited, sleep(graceMs)]);
  // The leader may be gone while processes it started still run; give them the rest of the grace.
  while (isGroupAlive(target.pid) && Date.now() < deadline) await sleep(50);
  if (isGroupAlive(target.pid)) signalGroup(target.pid, 'SIGKILL');
  await target.exited;
}
