import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Device, Page, Session, TelemetryAggregateReply, TelemetryLatestItem, TelemetryPointItem } from '@flotilla/protocol';
import { startTestServer } from '../../server/test/helpers.js';
import { assertFailure, assertSuccess, runCli, spawnCli } from './run-cli.js';

const ADMIN = { email: 'admin@example.com', password: 'correct horse battery' };
const HOUR_MS = 3_600_000;
// Two readings a minute apart, inside one hour-long bucket that began three hours ago.
const hourStart = Math.floor(Date.now() / HOUR_MS) * HOUR_MS - 3 * HOUR_MS;
const first = hourStart + 60_000;
const second = hourStart + 120_000;

let server: Awaited<ReturnType<typeof startTestServer>>;
let configDir: string;
let device: { device: Device; secret: string };
const flotilla = (...args: string[]) => runCli(args, { FLOTILLA_CONFIG_DIR: configDir });

async function api<T>(method: string, path: string, token: string, body?: unknown): Promise<T> {
  const response = await fetch(`${server.url}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  assert.ok(response.ok, `${method} ${path}: ${response.status} ${await response.clone().text()}`);
  return (await response.json()) as T;
}

/** Posts readings as the device does, with HTTP Basic deviceId:secret. */
async function postTelemetry(body: unknown): Promise<void> {
  const response = await fetch(`${server.url}/api/v1/device/telemetry`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${device.device.id}:${device.secret}`).toString('base64')}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.equal(response.status, 200, await response.text());
}

before(async () => {
  server = await startTestServer();
  configDir = mkdtempSync(join(tmpdir(), 'flotilla-cli-telemetry-'));
  const setup = await fetch(`${server.url}/api/v1/setup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: server.setupToken, ...ADMIN, tenantName: 'Acme' }),
  });
  assert.equal(setup.status, 201);
  const login = await fetch(`${server.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN) });
  const session = (await login.json()) as Session;
  device = await api('POST', '/devices', session.accessToken, { name: 'kitchen-pi', labels: { site: 'home' } });
  await postTelemetry([
    { ts: first, values: { temp: 20, hum: 40, door: 'open, wide' } },
    { ts: second, values: { temp: 22 } },
  ]);
  assertSuccess(await flotilla('login', '--server', server.url, '--email', ADMIN.email, '--password', ADMIN.password));
});

after(async () => {
  await server.close();
  rmSync(configDir, { recursive: true, force: true });
});

describe('telemetry query', () => {
  test('prints raw points as a table by time then key', async () => {
    const result = await flotilla('telemetry', 'query', 'kitchen-pi', '--from', '4h');
    assertSuccess(result);
    assert.deepEqual(result.stdout.trimEnd().split('\n').map((line) => line.split(/ {2,}/)), [
      ['TIME', 'KEY', 'VALUE'],
      [new Date(first).toISOString(), 'door', 'open, wide'],
      [new Date(first).toISOString(), 'hum', '40'],
      [new Date(first).toISOString(), 'temp', '20'],
      [new Date(second).toISOString(), 'temp', '22'],
    ]);
  });

  test('--limit shows one page and says there is more; --all follows every page', async () => {
    const limited = await flotilla('telemetry', 'query', device.device.id, '--from', '4h', '--keys', 'temp', '--limit', '1');
    assertSuccess(limited);
    assert.equal(limited.stdout.trimEnd().split('\n').length, 2);
    assert.match(limited.stderr, /there are more points/);
    const all = await flotilla('telemetry', 'query', 'kitchen-pi', '--from', '4h', '--all', '--json');
    assertSuccess(all);
    assert.equal((JSON.parse(all.stdout) as Page<TelemetryPointItem>).items.length, 4);
  });

  test('--agg prints one row per bucket under the function’s name', async () => {
    const result = await flotilla('telemetry', 'query', 'kitchen-pi', '--keys', 'temp', '--agg', 'avg', '--bucket', '1h', '--from', new Date(hourStart).toISOString());
    assertSuccess(result);
    assert.deepEqual(result.stdout.trimEnd().split('\n').map((line) => line.split(/ {2,}/)), [
      ['TIME', 'KEY', 'AVG'],
      [new Date(hourStart).toISOString(), 'temp', '21'],
    ]);
  });

  test('--json prints the API’s answer', async () => {
    const result = await flotilla('telemetry', 'query', 'kitchen-pi', '--keys', 'temp', '--agg', 'max', '--bucket', '1h', '--from', '4h', '--json');
    assertSuccess(result);
    const reply = JSON.parse(result.stdout) as TelemetryAggregateReply;
    assert.equal(reply.bucketMs, HOUR_MS);
    assert.deepEqual(reply.series, [{ key: 'temp', points: [{ ts: hourStart, value: 22 }] }]);
  });

  test('--csv prints the server’s CSV export', async () => {
    const result = await flotilla('telemetry', 'query', 'kitchen-pi', '--from', '4h', '--keys', 'door,temp', '--csv');
    assertSuccess(result);
    const at = (ts: number) => new Date(ts).toISOString();
    assert.equal(result.stdout, `time,key,value\r\n${at(first)},door,"open, wide"\r\n${at(first)},temp,20\r\n${at(second)},temp,22\r\n`);
  });

  test('a bad --from is a usage error naming the flag, before any request', async () => {
    assertFailure(await flotilla('telemetry', 'query', 'kitchen-pi', '--from', 'yesterday'), 2, /--from must be a duration .*"yesterday" \(USAGE\)$/);
    assertFailure(await flotilla('telemetry', 'query', 'kitchen-pi', '--agg', 'median'), 2, /--agg .*median.* \(USAGE\)$/);
    assertFailure(await flotilla('telemetry', 'query', 'kitchen-pi', '--bucket', '1h'), 2, /--bucket needs --agg: buckets hold aggregates \(USAGE\)$/);
  });

  test('an unknown device fails with the API’s code', async () => {
    assertFailure(await flotilla('telemetry', 'query', 'garage-pi'), 1, /"garage-pi" \(DEVICE_NOT_FOUND\)$/);
  });
});

describe('telemetry latest', () => {
  test('prints the newest value of each key of each device', async () => {
    const result = await flotilla('telemetry', 'latest', '--selector', 'site=home');
    assertSuccess(result);
    const rows = result.stdout.trimEnd().split('\n').map((line) => line.split(/ {2,}/).slice(0, 3));
    assert.deepEqual(rows, [
      ['DEVICE', 'KEY', 'VALUE'],
      ['kitchen-pi', 'door', 'open, wide'],
      ['kitchen-pi', 'hum', '40'],
      ['kitchen-pi', 'temp', '22'],
    ]);
    const json = await flotilla('telemetry', 'latest', '--keys', 'temp', '--json');
    assertSuccess(json);
    const items = (JSON.parse(json.stdout) as Page<TelemetryLatestItem>).items;
    assert.deepEqual(items.map((item) => [item.name, item.values.temp?.value]), [['kitchen-pi', 22]]);
    const none = await flotilla('telemetry', 'latest', '-l', 'site=bergen');
    assertSuccess(none);
    assert.equal(none.stdout, '');
    assert.equal(none.stderr, 'no telemetry matches\n');
  });
});

/** A running `flotilla telemetry tail`, with what it has printed so far. */
function startTail(args: string[], env: Record<string, string>) {
  const child = spawnCli(['telemetry', 'tail', ...args], env);
  const printed = { stdout: '', stderr: '' };
  let onOutput = () => {};
  child.stdout.on('data', (chunk: Buffer) => ((printed.stdout += chunk.toString()), onOutput()));
  child.stderr.on('data', (chunk: Buffer) => ((printed.stderr += chunk.toString()), onOutput()));
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
  return {
    printed,
    exited,
    interrupt: () => child.kill('SIGINT'),
    /** Resolves once the stream's text matches; rejects if the command ends first. */
    waitFor: (stream: 'stdout' | 'stderr', pattern: RegExp) =>
      new Promise<void>((resolve, reject) => {
        onOutput = () => void (pattern.test(printed[stream]) && resolve());
        onOutput();
        void exited.then(() => reject(new Error(`tail exited early; stderr: ${printed.stderr}`)));
      }),
  };
}

describe('telemetry tail', () => {
  // Only a server with the live stream can be followed; an older one answers 404.
  const skipWithoutLiveRoute = async (t: { skip(message: string): void }) => {
    const probe = await fetch(`${server.url}/api/v1/live`);
    if (probe.status === 404) t.skip('the server has no /api/v1/live route');
    return probe.status === 404;
  };

  test('prints a posted reading as it arrives, and Ctrl-C exits 0', async (t) => {
    if (await skipWithoutLiveRoute(t)) return;
    const tail = startTail(['kitchen-pi', '--keys', 'temp,hum'], { FLOTILLA_CONFIG_DIR: configDir });
    try {
      await tail.waitFor('stderr', /following live events of kitchen-pi/);
      await postTelemetry({ temp: 23.5, hum: 41, door: 'shut' });
      await tail.waitFor('stdout', /kitchen-pi/);
      assert.match(tail.printed.stdout, /^\d\d:\d\d:\d\d kitchen-pi temp=23\.5 hum=41\n$/);
    } finally {
      tail.interrupt();
    }
    assert.equal(await tail.exited, 0, `stderr: ${tail.printed.stderr}`);
  });

  test('--json prints each event as one line of JSON', async (t) => {
    if (await skipWithoutLiveRoute(t)) return;
    const tail = startTail(['--selector', 'site=home', '--events', 'telemetry', '--json'], { FLOTILLA_CONFIG_DIR: configDir });
    try {
      await tail.waitFor('stderr', /following live events/);
      await postTelemetry({ ts: Date.now(), values: { temp: 24 } });
      await tail.waitFor('stdout', /\n$/);
      const event = JSON.parse(tail.printed.stdout) as { type: string; deviceId: string; points: { key: string; value: unknown }[] };
      assert.equal(event.type, 'telemetry');
      assert.equal(event.deviceId, device.device.id);
      assert.deepEqual(event.points.map((point) => [point.key, point.value]), [['temp', 24]]);
    } finally {
      tail.interrupt();
    }
    assert.equal(await tail.exited, 0, `stderr: ${tail.printed.stderr}`);
  });

  test('a token the server refuses fails with the server’s reason', async (t) => {
    if (await skipWithoutLiveRoute(t)) return;
    const result = await runCli(['telemetry', 'tail'], { FLOTILLA_SERVER: server.url, FLOTILLA_TOKEN: 'flt_not_a_real_token' });
    assertFailure(result, 1, /Bearer .*\(UNAUTHENTICATED\)$/);
  });

  test('an unknown kind of event is a usage error', async () => {
    assertFailure(await flotilla('telemetry', 'tail', '--events', 'telemetry,reboots'), 2, /--events takes telemetry, presence, deviceEvent, command, not "reboots" \(USAGE\)$/);
  });

  test('the server ending the stream exits 1 with one line saying so', async (t) => {
    if (await skipWithoutLiveRoute(t)) return;
    const other = await startTestServer();
    const otherConfig = mkdtempSync(join(tmpdir(), 'flotilla-cli-telemetry-'));
    try {
      const setup = await fetch(`${other.url}/api/v1/setup`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token: other.setupToken, ...ADMIN, tenantName: 'Other' }),
      });
      assert.equal(setup.status, 201);
      assertSuccess(await runCli(['login', '--server', other.url, '--email', ADMIN.email, '--password', ADMIN.password], { FLOTILLA_CONFIG_DIR: otherConfig }));
      const tail = startTail([], { FLOTILLA_CONFIG_DIR: otherConfig });
      await tail.waitFor('stderr', /following live events/);
      await other.close();
      assert.equal(await tail.exited, 1, `stderr: ${tail.printed.stderr}`);
      assert.equal(tail.printed.stdout, '');
      assert.equal(tail.printed.stderr.trimEnd().split('\n').at(-1), `flotilla: ${other.url} closed the live stream: server shutting down (LIVE_STREAM_CLOSED)`);
    } finally {
      await other.close().catch(() => {});
      rmSync(otherConfig, { recursive: true, force: true });
    }
  });
});
