/** Runs the real `flotilla` executable from source, as a user would, and collects what it printed. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';

const bin = fileURLToPath(new URL('../src/bin.ts', import.meta.url));
const root = fileURLToPath(new URL('../../..', import.meta.url));

/** What a run printed and how it ended. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The test's own environment without FLOTILLA_* settings, so that the machine's cannot leak in. */
function baseEnvironment(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('FLOTILLA_') && name !== 'XDG_CONFIG_HOME'));
}

/**
 * Runs `flotilla <args>` with stdin not a terminal. Asynchronous on purpose: the server under
 * test runs in this process and must keep answering while the CLI waits for it.
 */
export function runCli(args: readonly string[], env: Record<string, string> = {}): Promise<CliResult> {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', bin, ...args], {
    cwd: root,
    env: { ...baseEnvironment(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Spawns `flotilla <args>` and leaves it running (for `flotilla server`). */
export function spawnCli(args: readonly string[], env: Record<string, string> = {}) {
  return spawn(process.execPath, ['--conditions=source', '--import', 'tsx', bin, ...args], {
    cwd: root,
    env: { ...baseEnvironment(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Asserts a run failed with exactly one line on stderr, ending in `(code)` when a code is given. */
export function assertFailure(result: CliResult, exitCode: number, pattern: RegExp): void {
  assert.equal(result.code, exitCode, `exit status; stderr: ${result.stderr}`);
  const lines = result.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got:\n${result.stderr}`);
  assert.match(lines[0] ?? '', /^flotilla: /);
  assert.match(lines[0] ?? '', pattern);
  assert.equal(result.stdout, '', 'nothing on stdout');
}

/** Asserts a run succeeded, printing the run's stderr when it did not. */
export function assertSuccess(result: CliResult): void {
  assert.equal(result.code, 0, `exit status; stderr: ${result.stderr}`);
}
