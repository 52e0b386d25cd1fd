import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import SQLite from 'better-sqlite3';
import { join } from 'node:path';
import { createTestDatabase, SETUP_TOKEN } from './helpers.js';

const runner = fileURLToPath(new URL('./fixtures/run-server.ts', import.meta.url));

test('SIGTERM lets in-flight requests finish, then closes the database cleanly', async () => {
  const database = await createTestDatabase('sqlite');
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', runner], {
    env: {
      ...process.env,
      FLOTILLA_DATA_DIR: database.dataDir,
      FLOTILLA_HTTP_HOST: '127.0.0.1',
      FLOTILLA_HTTP_PORT: '0',
      FLOTILLA_MQTT_PORT: '0',
      FLOTILLA_SETUP_TOKEN: SETUP_TOKEN,
      FLOTILLA_WEB_DIR: '',
      FLOTILLA_LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  const waiters: Array<() => void> = [];
  let pending = '';
  child.stdout.on('data', (chunk: Buffer) => {
    pending += chunk.toString();
    const complete = pending.split('\n');
    pending = complete.pop() ?? '';
    lines.push(...complete);
    waiters.splice(0).forEach((wake) => wake());
  });
  const waitForLine = async (matches: (lines: string[]) => string | undefined): Promise<string> => {
    for (;;) {
      const found = matches(lines);
      if (found !== undefined) return found;
      if (child.exitCode !== null) throw new Error(`server exited early with ${child.exitCode}`);
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  };
  try {
    const url = await waitForLine((seen) => seen.map((line) => /"url":"(http:\/\/[^"]+)"/.exec(line)?.[1]).find(Boolean));
    // Logins spend tens of milliseconds in scrypt; the signal goes out once the server has taken
    // all six in, so they are in flight when it starts closing.
    const logins = Array.from({ length: 6 }, () =>
      fetch(`${url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'nobody@example.com', password: 'wrong password' }),
      }),
    );
    await waitForLine((seen) => (seen.filter((line) => line.includes('incoming request') && line.includes('/auth/login')).length >= 6 ? 'all in' : undefined));
    child.kill('SIGTERM');
    const answers = await Promise.all(logins);
    assert.deepEqual(answers.map((answer) => answer.status), Array(6).fill(401));
    const [code] = await once(child, 'exit');
    assert.equal(code, 0);
    const shutdownAt = lines.findIndex((line) => line.includes('"shutting down"'));
    const lastAnswerAt = lines.findLastIndex((line) => line.includes('request completed'));
    assert.ok(shutdownAt >= 0 && shutdownAt < lastAnswerAt, 'some logins were answered after the shutdown began');
    const sqlite = new SQLite(join(database.dataDir, 'flotilla.db'), { readonly: true });
    assert.equal(sqlite.pragma('integrity_check', { simple: true }), 'ok');
    assert.ok(Number(sqlite.prepare('select count(*) as n from audit_log').pluck().get()) >= 6, 'every finished login was audited');
    sqlite.close();
  } finally {
    child.kill('SIGKILL');
    await database.drop();
  }
});
