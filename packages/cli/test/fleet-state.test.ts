/** The CLI's views of drift, profiles' device counts, command device names and bulk dry runs, against a real server. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { BulkCommandReply, Command, Device, Page, Session } from '@flotilla/protocol';
import { startTestServer } from '../../server/test/helpers.js';
import { assertFailure, assertSuccess, runCli } from './run-cli.js';

let server: Awaited<ReturnType<typeof startTestServer>>;
let configDir: string;
let token: string;
const ids: Record<string, string> = {};
const flotilla = (...args: string[]) => runCli(args, { FLOTILLA_CONFIG_DIR: configDir, FLOTILLA_SERVER: server.url, FLOTILLA_TOKEN: token });

async function api<T>(method: string, path: string, body?: unknown, auth = `Bearer ${token}`): Promise<T> {
  const response = await fetch(`${server.url}/api/v1${path}`, {
    method,
    headers: { authorization: auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  assert.ok(response.ok, `${method} ${path}: ${response.status} ${await response.clone().text()}`);
  return (await response.json()) as T;
}

before(async () => {
  server = await startTestServer();
  configDir = mkdtempSync(join(tmpdir(), 'flotilla-cli-fleet-'));
  const setupResponse = await fetch(`${server.url}/api/v1/setup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: server.setupToken, email: 'admin@example.com', password: 'correct horse battery', tenantName: 'Acme' }),
  });
  const session = (await setupResponse.json()) as Session;
  token = (await api<{ token: string }>('POST', '/tokens', { name: 'cli', role: 'admin' }, `Bearer ${session.accessToken}`)).token;
  for (const [name, site] of [['lagging', 'oslo'], ['steady', 'oslo'], ['elsewhere', 'bergen']] as const) {
    const created = await api<{ device: Device; secret: string }>('POST', '/devices', { name, labels: { site } });
    ids[name] = created.device.id;
    if (name === 'elsewhere') continue;
    await api('PUT', `/devices/${created.device.id}/state`, { state: { settings: { interval: 5 } } });
    if (name === 'steady') {
      await api('PATCH', '/device/state', { applied: { version: 1, status: 'applied' } }, `Basic ${Buffer.from(`${created.device.id}:${created.secret}`).toString('base64')}`);
    }
  }
});

after(async () => {
  await server.close();
  rmSync(configDir, { recursive: true, force: true });
});

describe('drift, counts, names and dry runs in the CLI', () => {
  test('devices ls shows a drift column; --drift keeps only devices in drift, --no-drift the others', async () => {
    const all = await flotilla('devices', 'ls');
    assertSuccess(all);
    assert.match(all.stdout, /^lagging +dev_\w+ +offline +v- of v1 +site=oslo/m);
    assert.match(all.stdout, /^steady +dev_\w+ +offline +- +site=oslo/m);
    const names = async (...args: string[]) => {
      const result = await flotilla('devices', 'ls', '--json', ...args);
      assertSuccess(result);
      return (JSON.parse(result.stdout) as Page<Device>).items.map((device) => device.name).sort();
    };
    assert.deepEqual(await names('--drift'), ['lagging']);
    assert.deepEqual(await names('--no-drift'), ['elsewhere', 'steady']);
    assert.deepEqual(await names('--drift', '-l', 'site=bergen'), []);
    const details = await flotilla('devices', 'get', 'lagging');
    assertSuccess(details);
    assert.match(details.stdout, /in drift: the device has not reported applying any version; desired is 1/);
  });

  test('profiles ls shows how many devices each profile chooses', async () => {
    await api('POST', '/profiles', { name: 'oslo', selector: 'site=oslo', priority: 0, state: {} });
    const result = await flotilla('profiles', 'ls');
    assertSuccess(result);
    assert.match(result.stdout, /^NAME +PRIORITY +SELECTOR +DEVICES +REVISION/m);
    assert.match(result.stdout, /^oslo +0 +site=oslo +2 +1 /m);
  });

  test('cmd send --selector --dry-run lists the devices it would reach and sends nothing', async () => {
    const result = await flotilla('cmd', 'send', 'reboot', '--selector', 'site=oslo', '--dry-run');
    assertSuccess(result);
    assert.match(result.stdout, /^reboot would go to 2 devices matching site=oslo:$/m);
    assert.match(result.stdout, new RegExp(`^  lagging \\(${ids.lagging}\\)$`, 'm'));
    assert.match(result.stdout, new RegExp(`^  steady \\(${ids.steady}\\)$`, 'm'));
    assert.match(result.stderr, /nothing was sent/);
    const json = await flotilla('cmd', 'send', 'reboot', '--selector', 'site=oslo', '--dry-run', '--json');
    assertSuccess(json);
    assert.equal((JSON.parse(json.stdout) as BulkCommandReply).count, 2);
    assert.deepEqual((await api<Page<Command>>('GET', '/commands')).items, []);
    assertFailure(await flotilla('cmd', 'send', 'lagging', 'reboot', '--dry-run'), 2, /--dry-run needs --selector/);
  });

  test('cmd ls names the device of each command', async () => {
    await api('POST', `/devices/${ids.elsewhere}/commands`, { name: 'ping' });
    const result = await flotilla('cmd', 'ls');
    assertSuccess(result);
    assert.match(result.stdout, /^cmd_\w+ +elsewhere +ping +queued/m);
  });
});
