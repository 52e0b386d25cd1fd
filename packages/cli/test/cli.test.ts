import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Device, Me, Page } from '@flotilla/protocol';
import { startTestServer } from '../../server/test/helpers.js';
import { assertFailure, assertSuccess, runCli } from './run-cli.js';

const ADMIN = { email: 'admin@example.com', password: 'correct horse battery' };

let server: Awaited<ReturnType<typeof startTestServer>>;
let configDir: string;
const credentialsFile = () => join(configDir, 'credentials.json');
/** Runs the CLI with the test's credentials directory. */
const flotilla = (...args: string[]) => runCli(args, { FLOTILLA_CONFIG_DIR: configDir });

before(async () => {
  server = await startTestServer();
  configDir = mkdtempSync(join(tmpdir(), 'flotilla-cli-config-'));
  const setup = await fetch(`${server.url}/api/v1/setup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: server.setupToken, ...ADMIN, tenantName: 'Acme' }),
  });
  assert.equal(setup.status, 201);
});

after(async () => {
  await server.close();
  rmSync(configDir, { recursive: true, force: true });
});

describe('login', () => {
  test('a wrong password fails with the server’s reason and saves nothing', async () => {
    const result = await flotilla('login', '--server', server.url, '--email', ADMIN.email, '--password', 'wrong password');
    assertFailure(result, 1, /^flotilla: .*\(INVALID_CREDENTIALS\)$/);
    assert.equal(existsSync(credentialsFile()), false);
  });

  test('without a terminal to ask on, a missing email is a usage error', async () => {
    assertFailure(await flotilla('login', '--server', server.url, '--password', 'x'), 2, /--email is required when stdin is not a terminal \(USAGE\)$/);
  });

  test('signs in and saves the session readable by its owner only', async () => {
    const result = await flotilla('login', '--server', `${server.url}/`, '--email', ADMIN.email, '--password', ADMIN.password);
    assertSuccess(result);
    assert.equal(result.stdout, `signed in to ${server.url} as ${ADMIN.email} (admin)\n`);
    assert.equal(statSync(credentialsFile()).mode & 0o777, 0o600);
    const saved = JSON.parse(readFileSync(credentialsFile(), 'utf8')) as Record<string, string>;
    assert.deepEqual(Object.keys(saved).sort(), ['accessToken', 'expiresAt', 'refreshToken', 'server']);
    assert.equal(saved.server, server.url);
    assert.ok(Date.parse(saved.expiresAt ?? '') > Date.now());

    const me = await flotilla('me', '--json');
    assertSuccess(me);
    assert.equal((JSON.parse(me.stdout) as Me).user.email, ADMIN.email);
  });
});

describe('devices', () => {
  let created: { device: Device; secret: string };

  test('create prints the secret once, with a warning on stderr', async () => {
    const result = await flotilla('devices', 'create', 'kitchen-pi', '--label', 'site=home', '--label', 'role=sensor', '--metadata', '{"rack":4}');
    assertSuccess(result);
    assert.match(result.stdout, /^created device kitchen-pi \(dev_\w+\)\nsecret: \S+\n$/);
    assert.match(result.stderr, /^warning: the device secret is shown only this once/);

    const json = await flotilla('devices', 'create', 'gw-1', '--label', 'site=oslo', '--json');
    assertSuccess(json);
    created = JSON.parse(json.stdout) as typeof created;
    assert.equal(created.device.name, 'gw-1');
    assert.deepEqual(created.device.labels, { site: 'oslo' });
    assert.ok(created.secret.length >= 32);
  });

  test('create refuses a malformed label before asking the server', async () => {
    assertFailure(await flotilla('devices', 'create', 'x', '--label', 'site'), 2, /malformed label "site": expected key=value \(USAGE\)$/);
    assertFailure(await flotilla('devices', 'create', 'kitchen-pi'), 1, /\(DEVICE_NAME_TAKEN\)$/);
  });

  test('ls prints an aligned table', async () => {
    const result = await flotilla('devices', 'ls', '--sort', 'name');
    assertSuccess(result);
    const lines = result.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 3);
    assert.match(lines[0] ?? '', /^NAME +ID +STATUS +DRIFT +LABELS +LAST SEEN +CREATED$/);
    assert.match(lines[1] ?? '', /^gw-1 +dev_\w+ +offline +- +site=oslo +- +/);
    assert.match(lines[2] ?? '', /^kitchen-pi +dev_\w+ +offline +- +role=sensor,site=home +- +/);
    const idColumn = lines[0]?.indexOf('ID');
    for (const line of lines.slice(1)) assert.equal(line.indexOf('dev_'), idColumn);
  });

  test('ls --json prints the API’s page', async () => {
    const result = await flotilla('devices', 'ls', '--json', '--sort', '-name');
    assertSuccess(result);
    const page = JSON.parse(result.stdout) as Page<Device>;
    assert.deepEqual(page.items.map((device) => device.name), ['kitchen-pi', 'gw-1']);
    assert.equal(page.nextCursor, null);
  });

  test('--selector chooses devices by label', async () => {
    const names = async (selector: string) => {
      const result = await flotilla('devices', 'ls', '--json', '--selector', selector);
      assertSuccess(result);
      return (JSON.parse(result.stdout) as Page<Device>).items.map((device) => device.name).sort();
    };
    const [home, notHome, inSet, none] = await Promise.all([
      names('site=home'),
      names('site!=home'),
      names('site in (home,oslo),!role'),
      flotilla('devices', 'ls', '-l', 'site=bergen'),
    ]);
    assert.deepEqual(home, ['kitchen-pi']);
    assert.deepEqual(notHome, ['gw-1']);
    assert.deepEqual(inSet, ['gw-1']);
    assertSuccess(none);
    assert.equal(none.stdout, '');
    assert.equal(none.stderr, 'no devices match\n');
  });

  test('a bad selector is refused with one line naming it', async () => {
    assertFailure(await flotilla('devices', 'ls', '--selector', 'site in (oslo'), 2, /selector "site in \(oslo".*\(INVALID_SELECTOR\)$/);
  });

  test('get finds a device by name or by id', async () => {
    const byName = await flotilla('devices', 'get', 'gw-1');
    assertSuccess(byName);
    assert.match(byName.stdout, new RegExp(`^id: +${created.device.id}\nname: +gw-1\nstatus: +offline\nlabels: +site=oslo\n`));
    const byId = await flotilla('devices', 'get', created.device.id, '--json');
    assertSuccess(byId);
    assert.deepEqual(JSON.parse(byId.stdout), created.device);
    // `q` matches parts of names; only the exact name counts.
    assertFailure(await flotilla('devices', 'get', 'gw'), 1, /no device has the id or name "gw" \(DEVICE_NOT_FOUND\)$/);
  });

  test('label sets key=value and removes key-', async () => {
    const result = await flotilla('devices', 'label', 'kitchen-pi', 'tier=edge', 'role-');
    assertSuccess(result);
    assert.equal(result.stdout, 'kitchen-pi: site=home,tier=edge\n');
    const json = await flotilla('devices', 'label', 'kitchen-pi', 'site=cabin', '--json');
    assertSuccess(json);
    assert.deepEqual((JSON.parse(json.stdout) as Device).labels, { site: 'cabin', tier: 'edge' });
    assertFailure(await flotilla('devices', 'label', 'kitchen-pi', 'role'), 2, /malformed label change "role".*\(USAGE\)$/);
  });

  test('rm asks for --yes without a terminal, then deletes', async () => {
    assertFailure(await flotilla('devices', 'rm', 'kitchen-pi'), 2, /refusing to delete device kitchen-pi .* without --yes/);
    assertSuccess(await flotilla('devices', 'get', 'kitchen-pi'));
    const result = await flotilla('devices', 'rm', 'kitchen-pi', '--yes');
    assertSuccess(result);
    assert.match(result.stdout, /^deleted device kitchen-pi \(dev_\w+\)\n$/);
    const json = await flotilla('devices', 'rm', created.device.id, '--yes', '--json');
    assertSuccess(json);
    assert.deepEqual(JSON.parse(json.stdout), { id: created.device.id, name: 'gw-1', deleted: true });
    assertFailure(await flotilla('devices', 'get', 'kitchen-pi'), 1, /\(DEVICE_NOT_FOUND\)$/);
  });
});

describe('API tokens', () => {
  test('a token made with tokens create works as FLOTILLA_TOKEN, with its own role, until revoked', async () => {
    const created = await flotilla('tokens', 'create', '--name', 'ci', '--role', 'viewer', '--expires', '30d', '--json');
    assertSuccess(created);
    const token = JSON.parse(created.stdout) as { id: string; token: string; expiresAt: string };
    assert.match(created.stderr, /shown only this once/);

    const listed = await flotilla('tokens', 'ls');
    assertSuccess(listed);
    assert.match(listed.stdout, new RegExp(`^${token.id} +ci +viewer +\\S+ +(just now|\\d+s ago) +in 30d +never$`, 'm'));

    // No saved session at all: the token and the server address come from the environment.
    const emptyConfig = mkdtempSync(join(tmpdir(), 'flotilla-cli-empty-'));
    const asScript = (...args: string[]) => runCli(args, { FLOTILLA_CONFIG_DIR: emptyConfig, FLOTILLA_SERVER: server.url, FLOTILLA_TOKEN: token.token });
    try {
      const me = await asScript('me', '--json');
      assertSuccess(me);
      const answer = JSON.parse(me.stdout) as Me;
      assert.equal(answer.via, 'token');
      assert.equal(answer.user.role, 'viewer');
      assertSuccess(await asScript('devices', 'ls'));
      assertFailure(await asScript('devices', 'create', 'from-ci'), 1, /\(FORBIDDEN\)$/);

      assertSuccess(await flotilla('tokens', 'rm', token.id));
      assertFailure(await asScript('me'), 1, /\(UNAUTHENTICATED\)$/);
    } finally {
      rmSync(emptyConfig, { recursive: true, force: true });
    }
  });

  test('a bad role or duration is a usage error', async () => {
    const [badRole, badDuration, noName] = await Promise.all([
      flotilla('tokens', 'create', '--name', 'x', '--role', 'root'),
      flotilla('tokens', 'create', '--name', 'x', '--role', 'viewer', '--expires', '30'),
      flotilla('tokens', 'create', '--role', 'viewer'),
    ]);
    assertFailure(badRole, 2, /unknown role "root"/);
    assertFailure(badDuration, 2, /malformed duration "30"/);
    assertFailure(noName, 2, /required option '--name <name>' not specified \(USAGE\)$/);
  });
});

describe('enrollment tokens, users, audit and claims', () => {
  test('enrollment-tokens create, ls and rm', async () => {
    const created = await flotilla('enrollment-tokens', 'create', '--name', 'oslo', '--label', 'site=oslo', '--expires', '24h', '--max-uses', '5');
    assertSuccess(created);
    const [, id] = /^created enrollment token (\S+): up to 5 devices, expires in 24h\ntoken: \S+\n$/.exec(created.stdout) ?? [];
    assert.ok(id, created.stdout);
    const listed = await flotilla('enrollment-tokens', 'ls');
    assert.match(listed.stdout, new RegExp(`^${id} +oslo +active +0/5 +site=oslo +in 24h +`, 'm'));
    assertSuccess(await flotilla('enrollment-tokens', 'rm', id));
    const json = await flotilla('enrollment-tokens', 'ls', '--json');
    assert.ok((JSON.parse(json.stdout) as Page<{ id: string; revokedAt: string | null }>).items.find((token) => token.id === id)?.revokedAt);
  });

  test('users create, set-role by email, and rm', async () => {
    const created = await flotilla('users', 'create', '--email', 'op@example.com', '--role', 'operator', '--name', 'Op', '--password', 'operator password');
    assertSuccess(created);
    assert.match(created.stdout, /^created user op@example\.com \(usr_\w+\), role operator\n$/);
    assertSuccess(await flotilla('users', 'set-role', 'OP@example.com', 'viewer'));
    const listed = await flotilla('users', 'ls');
    assert.match(listed.stdout, /^op@example\.com +Op +viewer +active +usr_\w+ +/m);
    assertFailure(await flotilla('users', 'set-role', 'op@example.com', 'owner'), 2, /unknown role "owner"/);
    assertSuccess(await flotilla('users', 'rm', 'op@example.com', '--yes'));
    assertFailure(await flotilla('users', 'rm', 'op@example.com', '--yes'), 1, /no user has the email op@example\.com \(USER_NOT_FOUND\)$/);
  });

  test('audit ls shows what was done, filtered by action', async () => {
    const result = await flotilla('audit', 'ls', '--action', 'user.create', '--json');
    assertSuccess(result);
    const entries = (JSON.parse(result.stdout) as Page<{ action: string; outcome: string }>).items;
    assert.ok(entries.length >= 1);
    assert.ok(entries.every((entry) => entry.action === 'user.create'));
    assertFailure(await flotilla('audit', 'ls', '--outcome', 'maybe'), 2, /--outcome must be success or failure/);
  });

  test('claim-codes create prints codes once; claim takes the device in by its code', async () => {
    const created = await flotilla('claim-codes', 'create', '--count', '2', '--name-prefix', 'box', '--json');
    assertSuccess(created);
    const { items } = JSON.parse(created.stdout) as { items: { deviceId: string; claimCode: string }[] };
    assert.equal(items.length, 2);
    const code = items[0]?.claimCode ?? '';
    const claimed = await flotilla('claim', code, '--name', 'my-box');
    assertSuccess(claimed);
    assert.equal(claimed.stdout, `claimed device my-box (${items[0]?.deviceId})\n`);
    assertFailure(await flotilla('claim', code), 1, /\(CLAIM_CODE_ALREADY_CLAIMED\)$/);
    const listed = await flotilla('claim-codes', 'ls');
    assert.match(listed.stdout, new RegExp(`^\\S+ +${items[0]?.deviceId} +no +(just now|\\d+s ago) +`, 'm'));
  });

  test('ls --limit shows part of the list and says there is more; --all shows all', async () => {
    const limited = await flotilla('devices', 'ls', '--limit', '1');
    assertSuccess(limited);
    assert.equal(limited.stdout.trimEnd().split('\n').length, 2);
    assert.match(limited.stderr, /there are more devices: add --all/);
    // The maker's two devices from the claim codes are in the list now.
    const all = await flotilla('devices', 'ls', '--all', '--json');
    const page = JSON.parse(all.stdout) as Page<Device>;
    assert.equal(page.items.length, 2);
    assert.equal(page.nextCursor, null);
    assertFailure(await flotilla('devices', 'ls', '--all', '--limit', '2'), 2, /cannot be used with/);
  });
});

describe('the session', () => {
  const readSaved = () => JSON.parse(readFileSync(credentialsFile(), 'utf8')) as Record<string, string>;
  const writeSaved = (changes: Record<string, string>) => writeFileSync(credentialsFile(), JSON.stringify({ ...readSaved(), ...changes }));

  test('a refused access token is refreshed once and the new tokens are saved', async () => {
    const before = readSaved();
    writeSaved({ accessToken: 'not-a-token' });
    assertSuccess(await flotilla('me'));
    const after = readSaved();
    assert.notEqual(after.accessToken, 'not-a-token');
    assert.notEqual(after.refreshToken, before.refreshToken);
    assert.equal(statSync(credentialsFile()).mode & 0o777, 0o600);
  });

  test('an expired access token is refreshed before the request', async () => {
    const before = readSaved();
    writeSaved({ expiresAt: '2020-01-01T00:00:00.000Z' });
    assertSuccess(await flotilla('devices', 'ls'));
    const after = readSaved();
    assert.notEqual(after.refreshToken, before.refreshToken);
    assert.ok(Date.parse(after.expiresAt ?? '') > Date.now());
  });

  test('a refresh token that no longer works asks for a new login', async () => {
    const saved = readSaved();
    writeSaved({ accessToken: 'not-a-token', refreshToken: 'flr_revoked' });
    assertFailure(await flotilla('me'), 1, /session with .* has expired: run flotilla login \(SESSION_EXPIRED\)$/);
    writeSaved(saved);
  });

  test('an unreachable server is named, with the reason', async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as { port: number };
        probe.close(() => resolve(port));
      });
    });
    const result = await runCli(['devices', 'ls'], { FLOTILLA_CONFIG_DIR: configDir, FLOTILLA_SERVER: `http://127.0.0.1:${closedPort}`, FLOTILLA_TOKEN: 'flt_x' });
    assertFailure(result, 1, new RegExp(`^flotilla: cannot reach http://127\\.0\\.0\\.1:${closedPort}: connection refused$`));
  });

  test('logout forgets the session', async () => {
    const result = await flotilla('logout');
    assertSuccess(result);
    assert.equal(result.stdout, `signed out of ${server.url}\n`);
    assert.equal(existsSync(credentialsFile()), false);
    assertFailure(await flotilla('me'), 1, /not signed in to http:\/\/localhost:8080: run flotilla login, or set FLOTILLA_TOKEN \(NOT_SIGNED_IN\)$/);
  });
});
