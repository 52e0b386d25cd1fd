/** `flotilla devices events`: stored events as lines or JSON, filters, bad flags, and --follow over the live stream. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Device, EventPage, Session } from '@flotilla/protocol';
import { startTestServer } from '../../server/test/helpers.js';
import { assertFailure, assertSuccess, runCli, spawnCli } from './run-cli.js';

const ADMIN = { email: 'admin@example.com', password: 'correct horse battery' };

let server: Awaited<ReturnType<typeof startTestServer>>;
let configDir: string;
let device: { device: Device; secret: string };
const flotilla = (...args: string[]) => runCli(args, { FLOTILLA_CONFIG_DIR: configDir });

/** Posts events as the device does, with HTTP Basic deviceId:secret. */
async function postEvents(body: unknown): Promise<void> {
  const response = await fetch(`${server.url}/api/v1/device/events`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${device.device.id}:${device.secret}`).toString('base64')}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.equal(response.status, 200, await response.text());
}

before(async () => {
  server = await startTestServer();
  configDir = mkdtempSync(join(tmpdir(), 'flotilla-cli-events-'));
  const setup = await fetch(`${server.url}/api/v1/setup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: server.setupToken, ...ADMIN, tenantName: 'Acme' }),
  });
  assert.equal(setup.status, 201);
  const login = await fetch(`${server.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN) });
  const session = (await login.json()) as Session;
  const created = await fetch(`${server.url}/api/v1/devices`, {
    method: 'POST',
    headers: { authorization: `Bearer ${session.accessToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'kitchen-pi' }),
  });
  device = (await created.json()) as { device: Device; secret: string };
  const now = Date.now();
  await postEvents([
    { kind: 'app.started', message: 'v1.2', ts: now - 3000 },
    { kind: 'app.crashed', level: 'error', message: 'segfault', ts: now - 2000, data: { exitCode: 139 } },
    { kind: 'disk.low', level: 'warn', ts: now - 1000 },
  ]);
  assertSuccess(await flotilla('login', '--server', server.url, '--email', ADMIN.email, '--password', ADMIN.password));
});

after(async () => {
  await server.close();
  rmSync(configDir, { recursive: true, force: true });
});

describe('devices events', () => {
  test('prints events newest first, one line each, and filters by kind and level', async () => {
    const all = await flotilla('devices', 'events', 'kitchen-pi');
    assertSuccess(all);
    const lines = all.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 3, all.stdout);
    assert.match(lines[0] ?? '', /^\d\d:\d\d:\d\d warn  disk\.low$/);
    assert.match(lines[1] ?? '', /^\d\d:\d\d:\d\d error app\.crashed segfault \{"exitCode":139\}$/);
    assert.match(lines[2] ?? '', /app\.started v1\.2$/);
    const errors = await flotilla('devices', 'events', 'kitchen-pi', '--level', 'warn', '--kind', 'app.*');
    assertSuccess(errors);
    assert.equal(errors.stdout.trimEnd().split('\n').length, 1);
    assert.match(errors.stdout, /app\.crashed/);
  });

  test('--json prints the API page', async () => {
    const result = await flotilla('devices', 'events', 'kitchen-pi', '--json', '--limit', '2');
    assertSuccess(result);
    const page = JSON.parse(result.stdout) as EventPage;
    assert.deepEqual(page.items.map((event) => event.kind), ['disk.low', 'app.crashed']);
    assert.ok(page.nextCursor);
  });

  test('bad flags and unknown devices are refused clearly', async () => {
    assertFailure(await flotilla('devices', 'events', 'kitchen-pi', '--level', 'loud'), 2, /--level takes debug, info, warn, error, not "loud"/);
    assertFailure(await flotilla('devices', 'events', 'kitchen-pi', '--kind', 'Bad Kind'), 2, /--kind must be an event kind/);
    assertFailure(await flotilla('devices', 'events', 'kitchen-pi', '--from', 'yesterday'), 2, /--from must be a duration/);
    assertFailure(await flotilla('devices', 'events', 'no-such-pi'), 1, /no-such-pi/);
  });

  test('--follow prints the recent events, then new ones as they arrive; Ctrl-C exits 0', async () => {
    const child = spawnCli(['devices', 'events', 'kitchen-pi', '--follow', '--limit', '1'], { FLOTILLA_CONFIG_DIR: configDir });
    const printed = { stdout: '', stderr: '' };
    let onOutput = () => {};
    child.stdout.on('data', (chunk: Buffer) => ((printed.stdout += chunk.toString()), onOutput()));
    child.stderr.on('data', (chunk: Buffer) => ((printed.stderr += chunk.toString()), onOutput()));
    const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
    const waitFor = (stream: 'stdout' | 'stderr', pattern: RegExp) =>
      new Promise<void>((resolve, reject) => {
        onOutput = () => void (pattern.test(printed[stream]) && resolve());
        onOutput();
        void exited.then(() => reject(new Error(`exited early; stderr: ${printed.stderr}`)));
      });
    try {
      await waitFor('stderr', /following new events/);
      await postEvents({ kind: 'door.opened', level: 'info', message: 'back door' });
      await waitFor('stdout', /door\.opened/);
      const lines = printed.stdout.trimEnd().split('\n');
      assert.match(lines[0] ?? '', /disk\.low/);
      assert.match(lines[1] ?? '', /info  door\.opened back door$/);
    } finally {
      child.kill('SIGINT');
    }
    assert.equal(await exited, 0, `stderr: ${printed.stderr}`);
  });
});
