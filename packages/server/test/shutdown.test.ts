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
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let buffer = '';
      child.stdout.on('data', (chunk: Buffer) => {
        buffer += chunk.toString();
        const match = /"url":"(http:\/\/[^"]+)"/.exec(buffer);
        if (match?.[1]) resolve(match[1]);
      });
      child.once('exit', (code) => reject(new Error(`server exited early with ${code}`)));
    });
    // Logins spend tens of milliseconds in scrypt, so some are still running when the signal lands.
    const logins = Array.from({ length: 6 }, () =>
      fetch(`${url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'nobody@example.com', password: 'wrong password' }),
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    child.kill('SIGTERM');
    const answers = await Promise.all(logins);
    assert.deepEqual(answers.map((answer) => answer.status), Array(6).fill(401));
    const [code] = await once(child, 'exit');
    assert.equal(code, 0);
    const sqlite = new SQLite(join(database.dataDir, 'flotilla.db'), { readonly: true });
    assert.equal(sqlite.pragma('integrity_check', { simple: true }), 'ok');
    assert.ok(Number(sqlite.prepare('select count(*) as n from audit_log').pluck().get()) >= 6, 'every finished login was audited');
    sqlite.close();
  } finally {
    child.kill('SIGKILL');
    await database.drop();
  }
});
