/** The reconciler's files and the applied report: real files in temp directories. */
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { removeDir, tempDir, testReconciler, type TestReconciler } from './helpers.js';

describe('reconciler: files and the applied report', () => {
  let stateDir: string;
  let root: string;
  let subject: TestReconciler;

  beforeEach(async () => {
    stateDir = await tempDir('flotilla-state-');
    root = await tempDir('flotilla-files-');
    subject = testReconciler(stateDir);
  });
  afterEach(async () => {
    await subject.reconciler.stop();
    await Promise.all([removeDir(stateDir), removeDir(root)]);
  });

  const modeOf = async (path: string) => (await stat(path)).mode & 0o777;

  test('files are written with their mode, parents created, and no temporary file left behind', async () => {
    const config = join(root, 'etc', 'app', 'config.json');
    const secret = join(root, 'etc', 'app', 'secret.bin');
    const applied = await subject.apply(1, {
      files: {
        [config]: { content: '{"port":8080}\n', mode: '0640' },
        [secret]: { content: Buffer.from([0, 1, 2, 255]).toString('base64'), encoding: 'base64', mode: '600' },
      },
    });
    assert.equal(applied.status, 'applied', applied.error);
    assert.deepEqual(applied.parts, { [`files/${config}`]: { status: 'ok' }, [`files/${secret}`]: { status: 'ok' } });
    assert.equal(await readFile(config, 'utf8'), '{"port":8080}\n');
    assert.equal(await modeOf(config), 0o640);
    assert.deepEqual([...(await readFile(secret))], [0, 1, 2, 255]);
    assert.equal(await modeOf(secret), 0o600);
    assert.deepEqual((await readdir(join(root, 'etc', 'app'))).sort(), ['config.json', 'secret.bin']);
  });

  test('the default mode is 0644', async () => {
    const path = join(root, 'motd');
    await subject.apply(1, { files: { [path]: { content: 'hello\n' } } });
    assert.equal(await modeOf(path), 0o644);
  });

  test('applying the same files again writes nothing; a changed mode or content is written', async () => {
    const path = join(root, 'motd');
    await subject.apply(1, { files: { [path]: { content: 'hello\n' } } });
    const first = await stat(path);
    await subject.apply(1, { files: { [path]: { content: 'hello\n' } } });
    await subject.apply(2, { files: { [path]: { content: 'hello\n', mode: '0644' } } });
    const second = await stat(path);
    assert.equal(second.ino, first.ino, 'the file was not replaced');
    assert.equal(second.mtimeMs, first.mtimeMs);
    await subject.apply(3, { files: { [path]: { content: 'hello\n', mode: '0600' } } });
    assert.equal(await modeOf(path), 0o600);
    assert.notEqual((await stat(path)).ino, first.ino);
    await subject.apply(4, { files: { [path]: { content: 'bye\n', mode: '0600' } } });
    assert.equal(await readFile(path, 'utf8'), 'bye\n');
  });

  test('a file no longer declared is deleted when the agent created it, and kept when it existed before', async () => {
    const created = join(root, 'created.txt');
    const existing = join(root, 'existing.txt');
    await writeFile(existing, 'made by hand\n');
    await subject.apply(1, { files: { [created]: { content: 'a\n' }, [existing]: { content: 'b\n' } } });
    assert.equal(await readFile(existing, 'utf8'), 'b\n');
    const applied = await subject.apply(2, { files: {} });
    assert.equal(applied.status, 'applied');
    await assert.rejects(stat(created), { code: 'ENOENT' });
    assert.equal(await readFile(existing, 'utf8'), 'b\n');
  });

  test('the manifest outlives the reconciler: a new one deletes a file the old one created', async () => {
    const created = join(root, 'created.txt');
    await subject.apply(1, { files: { [created]: { content: 'a\n' } } });
    await subject.reconciler.stop();
    subject = testReconciler(stateDir);
    await subject.apply(2, { settings: { interval: 5 } });
    await assert.rejects(stat(created), { code: 'ENOENT' });
  });

  test('paths in the state directory or a denied directory, also through a symlink, are refused with the reason', async () => {
    const denied = join(root, 'denied');
    await mkdir(denied);
    await symlink(denied, join(root, 'link'));
    await subject.reconciler.stop();
    subject = testReconciler(stateDir, { deniedFileDirectories: [denied] });
    const intoState = join(stateDir, 'reconcile', 'desired-state.json');
    const applied = await subject.apply(1, {
      files: {
        [intoState]: { content: '{}' },
        [join(denied, 'x')]: { content: 'x' },
        [join(root, 'link', 'y')]: { content: 'y' },
        [join(root, 'fine')]: { content: 'fine' },
      },
    });
    assert.equal(applied.status, 'failed');
    assert.match(applied.parts?.[`files/${intoState}`]?.error ?? '', /refused, it lies in .*deny list/);
    assert.match(applied.parts?.[`files/${join(denied, 'x')}`]?.error ?? '', /refused/);
    assert.match(applied.parts?.[`files/${join(root, 'link', 'y')}`]?.error ?? '', /refused/);
    assert.equal(applied.parts?.[`files/${join(root, 'fine')}`]?.status, 'ok');
    await assert.rejects(stat(join(denied, 'y')), { code: 'ENOENT' });
  });

  test('bad specs fail only their own part, with a reason naming the path', async () => {
    const good = join(root, 'good');
    const applied = await subject.apply(1, {
      apps: {
        'bad name/..': { command: 'true' },
        typo: { command: 'true', args: ['ok', 5], restart: 'sometimes' },
        extra: { command: 'true', user: 'root' },
      },
      files: {
        'relative/path': { content: 'x' },
        [`${root}/a/../b`]: { content: 'x' },
        [join(root, 'no-content')]: { mode: '0644' },
        [join(root, 'bad-mode')]: { content: 'x', mode: '999' },
        [join(root, 'bad-base64')]: { content: 'not base64!', encoding: 'base64' },
        [good]: { content: 'x' },
      },
    });
    const error = (part: string) => applied.parts?.[part]?.error ?? '';
    assert.equal(applied.status, 'failed');
    assert.match(error('apps/bad name/..'), /the name must be/);
    assert.match(error('apps/typo'), /apps\/typo\/args\/1: Expected string/);
    assert.match(error('apps/typo'), /apps\/typo\/restart/);
    assert.match(error('apps/extra'), /apps\/extra\/user/);
    assert.match(error('files/relative/path'), /must be absolute/);
    assert.match(error(`files/${root}/a/../b`), /must be normalised/);
    assert.match(error(`files/${join(root, 'no-content')}`), /\/content/);
    assert.match(error(`files/${join(root, 'bad-mode')}`), /\/mode/);
    assert.match(error(`files/${join(root, 'bad-base64')}`), /content: not valid base64/);
    assert.equal(applied.parts?.[`files/${good}`]?.status, 'ok');
    assert.equal(await readFile(good, 'utf8'), 'x');
    assert.match(applied.error ?? '', /^8 of 9 parts failed/);
  });

  test('a section that is not an object fails as a whole and changes nothing', async () => {
    const path = join(root, 'kept');
    await subject.apply(1, { files: { [path]: { content: 'x' } } });
    const applied = await subject.apply(2, { files: ['not', 'an', 'object'], apps: 'nope' });
    assert.equal(applied.status, 'failed');
    assert.match(applied.parts?.files?.error ?? '', /files: must be an object/);
    assert.match(applied.parts?.apps?.error ?? '', /apps: must be an object/);
    assert.equal(await readFile(path, 'utf8'), 'x');
  });

  test('unknown sections pass through untouched: they get no parts and do not fail the apply', async () => {
    const applied = await subject.apply(5, { settings: { interval: 5 }, camera: { fps: 10 }, 'my-own-key': [1, 2] });
    assert.deepEqual({ version: applied.version, status: applied.status, parts: applied.parts }, { version: 5, status: 'applied', parts: {} });
    assert.ok(typeof applied.at === 'number');
  });

  test('a message that does not fit its schema fails with the path; status() and reapply() follow the last message', async () => {
    await assert.rejects(subject.reconciler.reapply(), { code: 'NO_DESIRED_STATE' });
    assert.equal(subject.reconciler.status().applied, null);
    const applied = await subject.reconciler.apply({ version: 1, state: 'oops' } as never);
    assert.equal(applied.status, 'failed');
    assert.match(applied.error ?? '', /message\/state/);
    const path = join(root, 'again');
    await subject.apply(2, { files: { [path]: { content: 'x' } } });
    await writeFile(path, 'changed by hand');
    const reapplied = await subject.reconciler.reapply();
    assert.equal(reapplied.version, 2);
    assert.equal(await readFile(path, 'utf8'), 'x');
    assert.deepEqual(subject.reconciler.status().applied, reapplied);
  });

  test('a corrupt kept state or manifest is ignored, not a crash', async () => {
    await subject.reconciler.stop();
    await mkdir(join(stateDir, 'reconcile'), { recursive: true });
    await writeFile(join(stateDir, 'reconcile', 'desired-state.json'), '{"version": "seven"');
    await writeFile(join(stateDir, 'reconcile', 'files-manifest.json'), '[1, 2, 3]');
    subject = testReconciler(stateDir);
    assert.equal(subject.reconciler.status().applied, null);
    const path = join(root, 'after-corruption');
    const applied = await subject.apply(1, { files: { [path]: { content: 'x' } } });
    assert.equal(applied.status, 'applied');
    await subject.apply(2, {});
    await assert.rejects(stat(path), { code: 'ENOENT' });
  });

  test('a new version is reported as applying, then applied; the same message again is not reported', async () => {
    const path = join(root, 'f');
    await subject.apply(1, { files: { [path]: { content: 'x' } } });
    assert.deepEqual(subject.reports.map((report) => [report.applied.version, report.applied.status]), [[1, 'applying'], [1, 'applied']]);
    await subject.apply(1, { files: { [path]: { content: 'x' } } });
    assert.equal(subject.reports.length, 2);
    await subject.apply(2, { files: { [path]: { content: 'x' } } });
    assert.deepEqual(subject.reports.slice(2).map((report) => [report.applied.version, report.applied.status]), [[2, 'applying'], [2, 'applied']]);
  });
});
