/** The command executor: every well-known command against a real reconciler, local policy, bad params, timeouts, custom handlers. */
import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { MAX_COMMAND_RESULT_BYTES, type CommandMessage } from '@flotilla/protocol';
import { CommandFailure, createCommandExecutor, type CommandExecutor, type CommandExecutorOptions } from '../src/commands/executor.js';
import { eventually, isAlive, longRunningApp, nodeApp, quietLog, removeDir, tempDir, testReconciler, type TestReconciler } from './helpers.js';

let sequence = 0;
function command(name: string, params: Record<string, unknown> = {}, timeoutMs = 30_000): CommandMessage {
  sequence += 1;
  return { id: `cmd_${sequence}`, name, params, createdAt: Date.now(), expiresAt: null, timeoutMs };
}

describe('command executor', () => {
  let stateDir: string;
  let subject: TestReconciler;
  let restarts: number;
  let executor: CommandExecutor;

  const executorWith = (policy: Partial<CommandExecutorOptions['policy']> = {}) =>
    createCommandExecutor({
      policy: { allowShell: false, allowReboot: false, ...policy },
      reconciler: subject.reconciler,
      agentLogs: (lines) => ['agent line 1', 'agent line 2', 'agent line 3'].slice(-lines),
      restartAgent: () => void (restarts += 1),
      log: quietLog,
    });

  beforeEach(async () => {
    stateDir = await tempDir();
    subject = testReconciler(stateDir);
    restarts = 0;
    executor = executorWith();
  });
  afterEach(async () => {
    await subject.reconciler.stop();
    await removeDir(stateDir);
  });

  test('ping answers the device time and uptime', async () => {
    const before = Date.now();
    const result = await executor.execute(command('ping'));
    assert.equal(result.status, 'succeeded');
    const output = result.output as { time: number; uptimeSeconds: number; agentUptimeSeconds: number };
    assert.ok(output.time >= before);
    assert.ok(output.uptimeSeconds > 0);
    assert.ok(output.agentUptimeSeconds >= 0);
  });

  test('bad params fail with the path of each error', async () => {
    const unknownParam = await executor.execute(command('ping', { extra: 1 }));
    assert.equal(unknownParam.status, 'failed');
    assert.match(unknownParam.error ?? '', /bad params for ping: params\/extra/);
    const badDelay = await executor.execute(command('reboot', { delaySeconds: -1 }));
    assert.match(badDelay.error ?? '', /params\/delaySeconds/);
    const twoErrors = await executor.execute(command('collect-logs', { lines: 0, app: 5 }));
    assert.match(twoErrors.error ?? '', /params\/lines.*; .*params\/app|params\/app.*; .*params\/lines/);
    const missing = await executor.execute(command('restart-app'));
    assert.match(missing.error ?? '', /params\/app/);
  });

  test('reboot is refused unless the local policy allows it', async () => {
    const result = await executor.execute(command('reboot'));
    assert.deepEqual(result, { status: 'failed', error: "reboot is not allowed by this device's local policy (allowReboot is false)" });
  });

  test('reboot, where allowed, answers first and then runs the configured command', async () => {
    const marker = join(stateDir, 'rebooted');
    executor = executorWith({ allowReboot: true, rebootCommand: [process.execPath, '-e', `require("node:fs").writeFileSync(${JSON.stringify(marker)}, "yes")`] });
    const result = await executor.execute(command('reboot', { delaySeconds: 0 }));
    assert.equal(result.status, 'succeeded');
    assert.equal((result.output as { rebootInSeconds: number }).rebootInSeconds, 0);
    await eventually(async () => assert.equal(await readFile(marker, 'utf8'), 'yes'));
  });

  test('restart-agent answers, then asks the agent to restart', async () => {
    const result = await executor.execute(command('restart-agent'));
    assert.equal(result.status, 'succeeded');
    assert.equal(restarts, 0, 'the answer comes before the restart');
    await eventually(() => assert.equal(restarts, 1));
  });

  test("collect-logs answers the agent's log tail, or an app's", async () => {
    const agent = await executor.execute(command('collect-logs', { lines: 2 }));
    assert.deepEqual(agent, { status: 'succeeded', output: { source: 'agent', lines: ['agent line 2', 'agent line 3'], truncated: false } });
    await subject.apply(1, { apps: { talker: nodeApp('console.log("one"); console.log("two"); setInterval(() => {}, 1000);') } });
    await eventually(async () => {
      const app = await executor.execute(command('collect-logs', { app: 'talker' }));
      assert.equal(app.status, 'succeeded');
      assert.deepEqual((app.output as { lines: string[] }).lines.filter((line) => !line.startsWith('[flotilla]')), ['one', 'two']);
    });
    const unknown = await executor.execute(command('collect-logs', { app: 'nobody' }));
    assert.deepEqual(unknown, { status: 'failed', error: 'no app named nobody is declared' });
  });

  test('refresh-state re-applies the last desired state, and fails before there is one', async () => {
    const none = await executor.execute(command('refresh-state'));
    assert.deepEqual(none, { status: 'failed', error: 'no desired state has been received yet' });
    const path = join(stateDir, '..', `${stateDir.split('/').pop()}-refresh.txt`);
    await subject.apply(7, { files: { [path]: { content: 'x' } } });
    const refreshed = await executor.execute(command('refresh-state'));
    assert.equal(refreshed.status, 'succeeded');
    assert.equal((refreshed.output as { version: number }).version, 7);
    await subject.apply(8, { apps: { ghost: { command: 'flotilla-no-such-program' } } });
    const failing = await executor.execute(command('refresh-state'));
    assert.equal(failing.status, 'failed');
    assert.match(failing.error ?? '', /command not found/);
    assert.equal((failing.output as { version: number }).version, 8);
    await assert.rejects(stat(path), { code: 'ENOENT' });
  });

  test('restart-app restarts the app; an unknown app fails', async () => {
    await subject.apply(1, { apps: { web: longRunningApp() } });
    const firstPid = await eventually(() => {
      const pid = subject.app('web').pid;
      assert.ok(pid);
      return pid;
    });
    const result = await executor.execute(command('restart-app', { app: 'web' }));
    assert.equal(result.status, 'succeeded');
    const status = (result.output as { status: { state: string; pid: number } }).status;
    assert.equal(status.state, 'running');
    assert.notEqual(status.pid, firstPid);
    assert.equal(isAlive(firstPid), false);
    const unknown = await executor.execute(command('restart-app', { app: 'nobody' }));
    assert.deepEqual(unknown, { status: 'failed', error: 'no app named nobody is declared' });
  });

  test('shell is refused unless the local policy allows it', async () => {
    const result = await executor.execute(command('shell', { command: 'echo hi' }));
    assert.deepEqual(result, { status: 'failed', error: "shell is not allowed by this device's local policy (allowShell is false)" });
  });

  test('shell, where allowed, answers exit code, stdout and stderr; a non-zero exit fails with the output', async () => {
    executor = executorWith({ allowShell: true });
    const ok = await executor.execute(command('shell', { command: 'echo out; echo err >&2' }));
    assert.deepEqual(ok, { status: 'succeeded', output: { exitCode: 0, signal: null, stdout: 'out\n', stderr: 'err\n', truncated: false, timedOut: false } });
    const failing = await executor.execute(command('shell', { command: 'echo partial; exit 3' }));
    assert.equal(failing.status, 'failed');
    assert.equal(failing.error, 'exited with code 3');
    assert.equal((failing.output as { stdout: string; exitCode: number }).stdout, 'partial\n');
    assert.equal((failing.output as { exitCode: number }).exitCode, 3);
  });

  test('shell is killed with its children when its timeout passes', async () => {
    executor = executorWith({ allowShell: true });
    const pidFile = join(stateDir, 'child.pid');
    const result = await executor.execute(command('shell', { command: `sleep 1000 & echo $! > ${pidFile}; echo started; wait`, timeoutSeconds: 1 }));
    assert.equal(result.status, 'failed');
    assert.match(result.error ?? '', /timed out after 1 s/);
    assert.equal((result.output as { timedOut: boolean; stdout: string }).timedOut, true);
    assert.equal((result.output as { stdout: string }).stdout, 'started\n');
    const childPid = Number((await readFile(pidFile, 'utf8')).trim());
    await eventually(() => assert.equal(isAlive(childPid), false));
  });

  test('shell output is bounded so the result fits', async () => {
    executor = executorWith({ allowShell: true });
    const result = await executor.execute(command('shell', { command: 'head -c 1000000 /dev/zero | tr "\\0" "\\1"' }));
    assert.equal(result.status, 'succeeded');
    const output = result.output as { stdout: string; truncated: boolean };
    assert.equal(output.truncated, true);
    assert.ok(output.stdout.length > 0);
    assert.ok(Buffer.byteLength(JSON.stringify(result)) <= MAX_COMMAND_RESULT_BYTES);
  });

  test('custom handlers run with their params; their failures and thrown errors become failed results', async () => {
    executor.register('led/blink', async (params) => ({ blinked: params.times }));
    executor.register('camera.snap', async () => {
      throw new Error('no camera attached');
    });
    executor.register('sensor:calibrate', async () => {
      throw new CommandFailure('calibration drifted', { offset: 3 });
    });
    assert.deepEqual(await executor.execute(command('led/blink', { times: 3 })), { status: 'succeeded', output: { blinked: 3 } });
    assert.deepEqual(await executor.execute(command('camera.snap')), { status: 'failed', error: 'no camera attached' });
    assert.deepEqual(await executor.execute(command('sensor:calibrate')), { status: 'failed', error: 'calibration drifted', output: { offset: 3 } });
    assert.deepEqual(await executor.execute(command('no-such-thing')), { status: 'failed', error: 'unknown command: no-such-thing' });
  });

  test('a handler that outlives the timeout fails and sees its signal aborted', async () => {
    let sawAbort = false;
    executor.register('slow', (_params, { signal }) => new Promise((resolve) => signal.addEventListener('abort', () => resolve((sawAbort = true)))));
    const result = await executor.execute(command('slow', {}, 200));
    assert.deepEqual(result, { status: 'failed', error: 'timed out after 200 ms' });
    await eventually(() => assert.equal(sawAbort, true));
  });

  test('an output too large to report fails with its size', async () => {
    executor.register('huge', async () => 'x'.repeat(MAX_COMMAND_RESULT_BYTES));
    const result = await executor.execute(command('huge'));
    assert.equal(result.status, 'failed');
    assert.match(result.error ?? '', /the output is \d+ bytes of JSON; a result may have at most 262144/);
  });

  test('register refuses bad and taken names', () => {
    assert.throws(() => executor.register('Bad Name', async () => null), { code: 'COMMAND_NAME_INVALID' });
    assert.throws(() => executor.register('ping', async () => null), { code: 'COMMAND_NAME_TAKEN' });
    executor.register('mine', async () => null);
    assert.throws(() => executor.register('mine', async () => null), { code: 'COMMAND_NAME_TAKEN' });
  });

  test('a malformed message still gets an answer', async () => {
    const result = await executor.execute({ id: 'x', name: 'ping', params: null, createdAt: 0, expiresAt: null, timeoutMs: -1 } as never);
    assert.equal(result.status, 'succeeded');
  });
});
