/** `flotilla simulate` against a real server: 20 virtual devices send telemetry, answer ping, report state; re-runs reuse them; bad flags are refused. */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Command, DeviceState, Session } from '@flotilla/protocol';
import { eventually, startBrokerFixture, type BrokerFixture } from '../../server/test/broker-helpers.js';
import { assertFailure, assertSuccess, runCli, spawnCli } from './run-cli.js';

describe('flotilla simulate', () => {
  let server: BrokerFixture;
  let operator: Session;
  let configDir: string;
  let token: string;

  async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${server.httpUrl}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${operator.accessToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    assert.ok(response.ok, `${method} ${path} answered ${response.status}`);
    return (await response.json()) as T;
  }
  const savedDevices = () => (JSON.parse(readFileSync(join(configDir, 'simulator.json'), 'utf8')) as { servers: Record<string, { deviceId: string }[]> }).servers[server.httpUrl] ?? [];
  const flags = (devices: number) => ['simulate', '--devices', String(devices), '--interval', '1s', '--server', server.httpUrl, '--mqtt-url', server.mqttUrl, '--enroll-token', token];

  before(async () => {
    server = await startBrokerFixture('sqlite', { enrollRateLimitPerMinute: '10000' });
    operator = await server.signIn(server.tenantId, 'operator');
    token = (await api<{ token: string }>('POST', '/enrollment-tokens', { labels: { fleet: 'demo' } })).token;
    configDir = mkdtempSync(join(tmpdir(), 'flotilla-simulate-'));
  });
  after(async () => {
    await server.close();
    rmSync(configDir, { recursive: true, force: true });
  });

  test('20 devices send telemetry, report state and answer ping; Ctrl-C stops them cleanly', async () => {
    const child = spawnCli(flags(20), { FLOTILLA_CONFIG_DIR: configDir });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = once(child, 'exit');
    try {
      await eventually(() => assert.equal(savedDevices().length, 20, stderr), 60_000);
      const ids = savedDevices().map((device) => device.deviceId);
      await eventually(async () => {
        const latest = await api<{ items: { deviceId: string; key: string }[] }>('GET', '/telemetry/latest?selector=fleet=demo&keys=temperature');
        const reporting = new Set(latest.items.map((item) => item.deviceId));
        assert.equal(ids.filter((id) => reporting.has(id)).length, 20, `devices with telemetry; stderr: ${stderr}`);
      }, 60_000);
      const first = ids[0] as string;
      const points = await api<{ items: { key: string }[] }>('GET', `/devices/${first}/telemetry?from=2020-01-01T00:00:00Z`);
      assert.deepEqual(new Set(points.items.map((point) => point.key)), new Set(['temperature', 'humidity', 'cpu', 'battery', 'charging', 'door', 'link']));
      await eventually(async () => assert.deepEqual((await api<DeviceState>('GET', `/devices/${first}/state`)).reported.state, { simulated: true, firmware: '1.0.0' }), 30_000);
      const ping = await api<Command>('POST', `/devices/${first}/commands`, { name: 'ping' });
      await eventually(async () => assert.equal((await api<Command>('GET', `/commands/${ping.id}`)).status, 'succeeded'), 30_000);
      await eventually(() => assert.match(stderr, /simulate: 20\/20 connected, [\d.]+ readings acked\/s/), 30_000);
    } finally {
      child.kill('SIGINT');
    }
    const [code] = await exited;
    assert.equal(code, 0, stderr);
    assert.match(stdout, /^simulated 20 devices for [\d.]+s: \d+ readings acknowledged, 1 commands answered, 0 errors\n$/);
  });

  test('a second run reuses the saved devices and enrolls only the missing ones', async () => {
    const before = savedDevices().map((device) => device.deviceId);
    const result = await runCli([...flags(22), '--duration', '2s'], { FLOTILLA_CONFIG_DIR: configDir });
    assertSuccess(result);
    assert.match(result.stderr, /enrolling 2 virtual devices/);
    const afterRun = savedDevices().map((device) => device.deviceId);
    assert.deepEqual(afterRun.slice(0, 20), before, 'the first 20 are the same devices');
    assert.equal(afterRun.length, 22);
    const listed = await api<{ items: unknown[] }>('GET', '/devices?selector=fleet=demo&limit=100');
    assert.equal(listed.items.length, 22, 'no device was created twice');
  });

  test('bad flags are refused with one clear line', async () => {
    const environment = { FLOTILLA_CONFIG_DIR: configDir };
    assertFailure(await runCli(['simulate', '--devices', '0'], environment), 2, /--devices must be a whole number from 1 to 10000, not "0"/);
    assertFailure(await runCli(['simulate', '--interval', 'soon'], environment), 2, /--interval must be a number and a unit/);
    assertFailure(await runCli(['simulate', '--transport', 'pigeon'], environment), 2, /pigeon/);
    assertFailure(await runCli(['simulate', '--server', 'ftp://x'], environment), 2, /must start with http/);
    assertFailure(await runCli(['simulate', '--name-prefix', '-bad'], environment), 2, /--name-prefix/);
    assertFailure(await runCli([...flags(1), '--label', 'site=oslo'], environment), 2, /--label applies to the enrollment token simulate makes/);
    const emptyDir = mkdtempSync(join(tmpdir(), 'flotilla-simulate-'));
    try {
      assertFailure(await runCli(['simulate', '--server', server.httpUrl, '--devices', '1'], { FLOTILLA_CONFIG_DIR: emptyDir }), 2, /need --enroll-token, or a session/);
    } finally {
      rmSync(emptyDir, { recursive: true, force: true });
    }
  });
});
