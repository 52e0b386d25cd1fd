/** The reconciler's apps: real processes started, supervised, replaced and stopped in temp state directories. */
import assert from 'node:assert/strict';
import { realpathSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { isGroupAlive } from '../src/reconcile/process-group.js';
import { eventually, isAlive, longRunningApp, nodeApp, removeDir, tempDir, testReconciler, type TestReconciler } from './helpers.js';

describe('reconciler: apps', () => {
  let stateDir: string;
  let subject: TestReconciler;

  beforeEach(async () => {
    stateDir = await tempDir();
    subject = testReconciler(stateDir);
  });
  afterEach(async () => {
    await subject.reconciler.stop();
    await removeDir(stateDir);
  });

  const runningPid = async (name: string): Promise<number> =>
    eventually(() => {
      const status = subject.app(name);
      assert.equal(status.state, 'running');
      assert.ok(status.pid);
      return status.pid;
    });

  test('an app starts in its own directory, its output is captured, and the applied report says ok', async () => {
    const applied = await subject.apply(1, { apps: { web: nodeApp('console.log(process.cwd()); console.error("to stderr"); setInterval(() => {}, 1000);') } });
    assert.equal(applied.status, 'applied');
    assert.equal(applied.version, 1);
    assert.deepEqual(applied.parts, { 'apps/web': { status: 'ok' } });
    const pid = await runningPid('web');
    assert.ok(isAlive(pid));
    const appDir = realpathSync(join(stateDir, 'apps', 'web'));
    await eventually(() => {
      const lines = subject.reconciler.appLogs('web', 50);
      assert.ok(lines.includes(appDir), lines.join('\n'));
      assert.ok(lines.includes('to stderr'), lines.join('\n'));
    });
    await eventually(() => assert.equal(subject.reports.at(-1)?.apps.web?.state, 'running'));
  });

  test('a killed app is restarted with a new pid and its exit is reported', async () => {
    await subject.apply(1, { apps: { worker: longRunningApp() } });
    const firstPid = await runningPid('worker');
    process.kill(firstPid, 'SIGKILL');
    const status = await eventually(() => {
      const current = subject.app('worker');
      assert.equal(current.state, 'running');
      assert.notEqual(current.pid, firstPid);
      return current;
    });
    assert.equal(status.restarts, 1);
    assert.equal(status.lastExitSignal, 'SIGKILL');
  });

  test('an app that keeps exiting is in a crash loop: its part fails with the reason and it is reported', async () => {
    await subject.apply(1, { apps: { broken: nodeApp('process.exit(3)') } });
    const status = await eventually(() => {
      const current = subject.app('broken');
      assert.equal(current.state, 'crash-loop');
      return current;
    });
    assert.equal(status.lastExitCode, 3);
    assert.match(status.error ?? '', /crash loop: 4 exits/);
    const applied = subject.reconciler.status().applied;
    assert.equal(applied?.status, 'failed');
    assert.equal(applied?.parts?.['apps/broken']?.status, 'failed');
    assert.match(applied?.parts?.['apps/broken']?.error ?? '', /crash loop/);
    await eventually(() => assert.equal(subject.reports.at(-1)?.apps.broken?.state, 'crash-loop'));
    assert.equal(subject.reports.at(-1)?.applied.status, 'failed');
  });

  test('a changed spec replaces the process: the old one ends, the new one sees the new env', async () => {
    await subject.apply(1, { apps: { web: longRunningApp({ env: { GREETING: 'first' } }) } });
    const firstPid = await runningPid('web');
    await subject.apply(2, { apps: { web: longRunningApp({ env: { GREETING: 'second' } }) } });
    const secondPid = await runningPid('web');
    assert.notEqual(secondPid, firstPid);
    await eventually(() => assert.equal(isAlive(firstPid), false));
    await eventually(() => assert.ok(subject.reconciler.appLogs('web', 50).includes('hello second')));
    assert.equal(subject.app('web').restarts, 0, 'a replacement is not a restart after a crash');
  });

  test('an app no longer declared is stopped with everything it started', async () => {
    await subject.apply(1, { apps: { tree: { command: '/bin/sh', args: ['-c', 'sleep 1000 & sleep 1000 & wait'] } } });
    const pid = await runningPid('tree');
    const applied = await subject.apply(2, { apps: {} });
    assert.deepEqual(applied.parts, {});
    assert.equal(isAlive(pid), false);
    assert.equal(isGroupAlive(pid), false, 'the children in its process group are gone too');
    assert.equal(subject.reconciler.status().apps.tree, undefined);
    assert.throws(() => subject.reconciler.appLogs('tree', 10), { code: 'APP_NOT_FOUND' });
  });

  test('enabled: false stops the app but keeps it declared', async () => {
    await subject.apply(1, { apps: { web: longRunningApp() } });
    const pid = await runningPid('web');
    const applied = await subject.apply(2, { apps: { web: longRunningApp({ enabled: false }) } });
    assert.equal(applied.parts?.['apps/web']?.status, 'ok');
    assert.equal(subject.app('web').state, 'stopped');
    assert.equal(isAlive(pid), false);
    await assert.rejects(subject.reconciler.restartApp('web'), { code: 'APP_DISABLED' });
  });

  test("restart policies: never and on-failure end where they should; always and on-failure restart after a failure", async () => {
    await subject.apply(1, {
      apps: {
        never: nodeApp('process.exit(1)', { restart: 'never' }),
        'clean-exit': nodeApp('process.exit(0)', { restart: 'on-failure' }),
        'failing-exit': nodeApp('process.exit(2)', { restart: 'on-failure' }),
        always: nodeApp('process.exit(0)', { restart: 'always' }),
      },
    });
    await eventually(() => {
      assert.equal(subject.app('never').state, 'failed');
      assert.equal(subject.app('clean-exit').state, 'stopped');
      assert.ok(subject.app('failing-exit').restarts >= 1);
      assert.ok(subject.app('always').restarts >= 1);
    });
    assert.equal(subject.app('never').restarts, 0);
    assert.equal(subject.app('never').lastExitCode, 1);
    assert.match(subject.app('never').error ?? '', /exited with code 1 \(restart: never\)/);
    assert.equal(subject.app('clean-exit').restarts, 0);
    assert.equal(subject.app('clean-exit').lastExitCode, 0);
  });

  test('logs are captured line by line and tailed', async () => {
    await subject.apply(1, { apps: { talker: nodeApp('for (let i = 1; i <= 5; i++) console.log("line " + i); setInterval(() => {}, 1000);') } });
    await eventually(() => assert.deepEqual(subject.reconciler.appLogs('talker', 2), ['line 4', 'line 5']));
    assert.deepEqual(
      subject.reconciler.appLogs('talker', 100).filter((line) => line.startsWith('line')),
      ['line 1', 'line 2', 'line 3', 'line 4', 'line 5'],
    );
    assert.throws(() => subject.reconciler.appLogs('nobody', 10), { code: 'APP_NOT_FOUND' });
  });

  test('a command that does not exist fails its part with the reason; other apps run', async () => {
    const applied = await subject.apply(1, { apps: { ghost: { command: 'flotilla-no-such-program' }, web: longRunningApp() } });
    assert.equal(applied.status, 'failed');
    assert.equal(applied.parts?.['apps/web']?.status, 'ok');
    assert.equal(applied.parts?.['apps/ghost']?.status, 'failed');
    assert.match(applied.parts?.['apps/ghost']?.error ?? '', /command not found: flotilla-no-such-program/);
    assert.match(applied.error ?? '', /1 of 2 parts failed/);
    assert.equal(subject.app('ghost').state, 'failed');
  });

  test('an app whose program was missing starts when the same message is applied again after it appears', async () => {
    const program = join(stateDir, 'bin', 'late-program');
    const message = { apps: { late: { command: program } } };
    const first = await subject.apply(1, message);
    assert.match(first.parts?.['apps/late']?.error ?? '', /command not found/);
    await mkdir(dirname(program), { recursive: true });
    await writeFile(program, '#!/bin/sh\nexec sleep 1000\n', { mode: 0o755 });
    const second = await subject.apply(1, message);
    assert.equal(second.status, 'applied');
    await runningPid('late');
  });

  test('a working directory that does not exist fails the part with the path', async () => {
    const applied = await subject.apply(1, { apps: { lost: longRunningApp({ cwd: '/flotilla/no/such/dir' }) } });
    assert.match(applied.parts?.['apps/lost']?.error ?? '', /working directory \/flotilla\/no\/such\/dir does not exist/);
  });

  test('restartApp gives the app a new process', async () => {
    await subject.apply(1, { apps: { web: longRunningApp() } });
    const firstPid = await runningPid('web');
    await subject.reconciler.restartApp('web');
    const secondPid = await runningPid('web');
    assert.notEqual(secondPid, firstPid);
    assert.equal(isAlive(firstPid), false);
    await assert.rejects(subject.reconciler.restartApp('nobody'), { code: 'APP_NOT_FOUND' });
  });

  test('applying the same message again restarts nothing and reports nothing new', async () => {
    const message = { apps: { web: longRunningApp() } };
    const first = await subject.apply(3, message);
    const pid = await runningPid('web');
    await eventually(() => assert.equal(subject.reports.at(-1)?.apps.web?.state, 'running'));
    const reportsBefore = subject.reports.length;
    const second = await subject.apply(3, structuredClone(message));
    assert.deepEqual(second, first);
    assert.equal(subject.app('web').pid, pid);
    assert.equal(subject.app('web').restarts, 0);
    assert.equal(subject.reports.length, reportsBefore);
  });

  test('the last message is kept: a new reconciler on the same state directory starts the apps by itself', async () => {
    await subject.apply(4, { apps: { web: longRunningApp({ env: { GREETING: 'again' } }) } });
    const firstPid = await runningPid('web');
    await subject.reconciler.stop();
    assert.equal(isAlive(firstPid), false);
    subject = testReconciler(stateDir);
    const pid = await runningPid('web');
    assert.notEqual(pid, firstPid);
    await eventually(() => assert.ok(subject.reconciler.appLogs('web', 10).includes('hello again')));
    assert.equal(subject.reconciler.status().applied?.version, 4);
  });

  test('stop() stops every app', async () => {
    await subject.apply(1, { apps: { one: longRunningApp(), two: longRunningApp() } });
    const pids = [await runningPid('one'), await runningPid('two')];
    await subject.reconciler.stop();
    assert.deepEqual(pids.map(isAlive), [false, false]);
    assert.equal(subject.app('one').state, 'stopped');
  });

  test('an app that ignores SIGTERM is killed after the grace period', async () => {
    await subject.apply(1, { apps: { stubborn: nodeApp('process.on("SIGTERM", () => console.log("ignoring")); console.log("ready"); setInterval(() => {}, 1000);') } });
    const pid = await runningPid('stubborn');
    await eventually(() => assert.ok(subject.reconciler.appLogs('stubborn', 10).includes('ready')));
    await subject.apply(2, {});
    assert.equal(isAlive(pid), false);
  });
});
