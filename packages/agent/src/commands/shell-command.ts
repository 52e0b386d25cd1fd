/**
 * The `shell` command: `/bin/sh -c <command>` in its own process group, killed with the group
 * when its timeout passes or the command is aborted. Answers the exit code and the output of
 * each stream, cut so the result stays under MAX_COMMAND_RESULT_BYTES.
 */
import { spawn } from 'node:child_process';
import { MAX_COMMAND_RESULT_BYTES } from '@flotilla/protocol';
import { signalGroup } from '../reconcile/process-group.js';
import { CommandFailure } from './command-result.js';

/** Bytes kept of each stream; what comes after is dropped and `truncated` says so. */
export const SHELL_STREAM_LIMIT_BYTES = 64 * 1024;

/** What the shell command answers. */
export interface ShellOutput {
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  truncated: boolean;
  timedOut: boolean;
}

/** Collects a stream up to a byte limit. */
class BoundedBuffer {
  readonly #chunks: Buffer[] = [];
  #bytes = 0;
  isTruncated = false;

  add(chunk: Buffer): void {
    const room = SHELL_STREAM_LIMIT_BYTES - this.#bytes;
    if (chunk.length > room) this.isTruncated = true;
    if (room <= 0) return;
    const kept = chunk.subarray(0, room);
    this.#chunks.push(kept);
    this.#bytes += kept.length;
  }

  text(): string {
    return Buffer.concat(this.#chunks).toString('utf8');
  }
}

/** Runs the command; resolves with its output when it exits 0, throws CommandFailure (with the output) otherwise. */
export function runShell(command: string, timeoutSeconds: number, signal: AbortSignal): Promise<ShellOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', command], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const stdout = new BoundedBuffer();
    const stderr = new BoundedBuffer();
    child.stdout.on('data', (chunk: Buffer) => stdout.add(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.add(chunk));
    let timedOut = false;
    const kill = () => child.pid !== undefined && signalGroup(child.pid, 'SIGKILL');
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, timeoutSeconds * 1000);
    signal.addEventListener('abort', kill, { once: true });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new CommandFailure(`cannot run /bin/sh: ${error.message}`));
    });
    // 'close' waits for both pipes, so the output is complete.
    child.once('close', (exitCode, exitSignal) => {
      clearTimeout(timer);
      signal.removeEventListener('abort', kill);
      const output = fitted({ exitCode, signal: exitSignal, stdout: stdout.text(), stderr: stderr.text(), truncated: stdout.isTruncated || stderr.isTruncated, timedOut });
      if (timedOut) reject(new CommandFailure(`timed out after ${timeoutSeconds} s; the shell and its children were killed`, output));
      else if (exitCode !== 0) reject(new CommandFailure(exitSignal ? `the shell was killed by ${exitSignal}` : `exited with code ${exitCode}`, output));
      else resolve(output);
    });
  });
}

/** Escaping in JSON can grow output up to sixfold; halve the longer stream until the result fits. */
function fitted(output: ShellOutput): ShellOutput {
  const budget = MAX_COMMAND_RESULT_BYTES - 1024;
  let current = output;
  while (Buffer.byteLength(JSON.stringify(current)) > budget) {
    const key = current.stdout.length >= current.stderr.length ? 'stdout' : 'stderr';
    current = { ...current, [key]: current[key].slice(0, Math.floor(current[key].length / 2)), truncated: true };
  }
  return current;
}
