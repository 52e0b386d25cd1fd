import assert from 'node:assert/strict';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { settings } from '@flotilla/server';
import { assertFailure, assertSuccess, runCli, spawnCli } from './run-cli.js';

test('server --help lists every setting with its variable and default', async () => {
  const result = await runCli(['server', '--help']);
  assertSuccess(result);
  const help = result.stdout.replace(/\s+/g, ' ');
  for (const setting of settings) {
    assert.ok(help.includes(`${setting.flag} <value>`), `help lists ${setting.flag}`);
    assert.ok(help.includes(`env ${setting.env}, default ${setting.defaultValue ?? 'none'}`), `help gives ${setting.env} and its default`);
  }
  assert.equal(result.stderr, '');
});

test('a bad setting stops the server with one line naming it, and exit status 2', async () => {
  const [fromFlag, fromEnv, unknownFlag] = await Promise.all([
    runCli(['server', '--http-port', 'abc']),
    runCli(['server'], { FLOTILLA_LOG_LEVEL: 'loud' }),
    runCli(['server', '--http-prot', '80']),
  ]);
  assertFailure(fromFlag, 2, /^flotilla: invalid FLOTILLA_HTTP_PORT \(--http-port\) "abc" from --http-port: must be a port number/);
  assert.doesNotMatch(fromFlag.stderr, /\(\w+\)\n$/, 'a config error carries no code');
  assertFailure(fromEnv, 2, /^flotilla: invalid FLOTILLA_LOG_LEVEL \(--log-level\) "loud" from FLOTILLA_LOG_LEVEL/);
  assertFailure(unknownFlag, 2, /^flotilla: unknown option '--http-prot'.*\(USAGE\)$/);
});

test('server runs on a free port with a fresh data directory, answers /healthz, and stops cleanly on SIGTERM', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'flotilla-cli-server-'));
  const child = spawnCli(['server', '--http-host', '127.0.0.1', '--http-port', '0', '--mqtt-port', '0', '--data-dir', dataDir, '--web-dir', '', '--log-level', 'info', '--mdns', 'false']);
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let stdout = '';
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        const match = /"url":"(http:\/\/[^"]+)"/.exec(stdout);
        if (match?.[1]) resolve(match[1]);
      });
      child.once('exit', (code) => reject(new Error(`server exited early with ${code}: ${stderr}`)));
    });
    const health = await fetch(`${url}/healthz`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: 'ok' });
    assert.ok(existsSync(join(dataDir, 'flotilla.db')), 'the SQLite file is in the data directory');

    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const [code, signal] = await exited;
    assert.equal(signal, null, 'the process exits on its own rather than dying of the signal');
    assert.equal(code, 0, `exit status; stderr: ${stderr}`);
    assert.equal(stderr, '');
    await assert.rejects(fetch(`${url}/healthz`), 'nothing listens any more');
  } finally {
    child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
});
