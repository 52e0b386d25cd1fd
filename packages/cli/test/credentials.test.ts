import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { createCredentialsStore, credentialsPath, type SavedSession } from '../src/credentials.js';
import { CliError } from '../src/errors.js';

const directory = mkdtempSync(join(tmpdir(), 'flotilla-cli-credentials-'));
after(() => rmSync(directory, { recursive: true, force: true }));

const session: SavedSession = {
  server: 'http://localhost:8080',
  accessToken: 'access',
  refreshToken: 'refresh',
  expiresAt: '2026-05-01T12:15:00.000Z',
};

describe('where the credentials live', () => {
  test('FLOTILLA_CONFIG_DIR wins, then XDG_CONFIG_HOME, then ~/.config', () => {
    assert.equal(credentialsPath({ FLOTILLA_CONFIG_DIR: '/etc/flt', XDG_CONFIG_HOME: '/x' }, '/home/me'), '/etc/flt/credentials.json');
    assert.equal(credentialsPath({ XDG_CONFIG_HOME: '/x' }, '/home/me'), '/x/flotilla/credentials.json');
    assert.equal(credentialsPath({}, '/home/me'), '/home/me/.config/flotilla/credentials.json');
  });
});

describe('the credentials store', () => {
  test('saves a session readable by its owner only, in a directory only its owner enters', () => {
    const path = join(directory, 'fresh', 'nested', 'credentials.json');
    const store = createCredentialsStore(path);
    assert.equal(store.load(), null);
    store.save(session);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(statSync(join(directory, 'fresh', 'nested')).mode & 0o777, 0o700);
    assert.deepEqual(store.load(), session);
    assert.deepEqual(JSON.parse(readFileSync(path, 'utf8')), session);
  });

  test('replacing a file that others could read leaves one only its owner can', () => {
    const path = join(directory, 'loose.json');
    writeFileSync(path, '{}', { mode: 0o644 });
    createCredentialsStore(path).save(session);
    assert.equal(statSync(path).mode & 0o777, 0o600);
  });

  test('a damaged file says how to repair it', () => {
    const path = join(directory, 'damaged.json');
    for (const text of ['{"server":', '{"server":"http://x","accessToken":"a"}', '{"server":"http://x","accessToken":"a","refreshToken":"r","expiresAt":"soon"}']) {
      writeFileSync(path, text);
      assert.throws(
        () => createCredentialsStore(path).load(),
        (error: unknown) => error instanceof CliError && error.code === 'CREDENTIALS_UNREADABLE' && error.message.includes('run flotilla login'),
      );
    }
  });

  test('remove reports whether there was a session', () => {
    const path = join(directory, 'removed.json');
    const store = createCredentialsStore(path);
    store.save(session);
    assert.equal(store.remove(), true);
    assert.equal(store.remove(), false);
    assert.equal(store.load(), null);
  });
});
