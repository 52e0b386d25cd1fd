import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startAgent } from './agent-process.js';
import { adminOf, createServerProcess, waitFor, type AdminApi, type ServerProcess } from './server-process.js';

let server: ServerProcess;
let admin: AdminApi;
const stateDirs: string[] = [];

function stateDir(): string {
  const directory = mkdtempSync(join(tmpdir(), 'flotilla-agent-state-'));
  stateDirs.push(directory);
  return directory;
}

const mdnsName = `flotilla-agent-test-${process.pid}`;

before(async () => {
  server = await createServerProcess({ FLOTILLA_MDNS: 'true', FLOTILLA_MDNS_INTERFACE: '127.0.0.1', FLOTILLA_MDNS_NAME: mdnsName });
  admin = await adminOf(server);
});
after(async () => {
  await server.destroy();
  for (const directory of stateDirs) rmSync(directory, { recursive: true, force: true });
});

interface DeviceRow {
  id: string;
  name: string;
}

async function devices(): Promise<DeviceRow[]> {
  return (await admin.call<{ items: DeviceRow[] }>('GET', '/devices?limit=500')).body.items;
}

async function telemetryKeys(deviceId: string): Promise<Set<string>> {
  const { body } = await admin.call<{ items: Array<{ key: string }> }>('GET', `/devices/${deviceId}/telemetry?limit=1000`);
  return new Set(body.items.map((point) => point.key));
}

describe('agent against a real server', () => {
  it('enrolls with a token, sends metrics and inventory, and reuses its credentials after a restart', async () => {
    const directory = stateDir();
    const token = await admin.enrollmentToken();
    const args = ['--server', server.url, '--mqtt-url', `mqtt://127.0.0.1:${server.mqttPort}`, '--state-dir', directory, '--metrics-interval', '1s', '--local-api', 'false', '--device-name', 'pi-kitchen'];
    const agent = startAgent([...args, '--enroll-token', token]);
    try {
      const enrolled = await agent.waitForLog(/^enrolled$/);
      const deviceId = String(enrolled.deviceId);
      const credentialsFile = join(directory, 'credentials.json');
      assert.equal(statSync(credentialsFile).mode & 0o777, 0o600);
      assert.equal(JSON.parse(readFileSync(credentialsFile, 'utf8')).deviceId, deviceId);

      const keys = await waitFor('metrics', async () => {
        const found = await telemetryKeys(deviceId);
        return ['cpu.percent', 'mem.used_percent', 'load.1', 'uptime.seconds', 'agent.rss_bytes'].every((key) => found.has(key)) && found;
      });
      assert.ok([...keys].some((key) => /^disk\..*\.used_percent$/.test(key)), `a disk metric among ${[...keys].join(', ')}`);

      const reported = await waitFor('inventory', async () => {
        const { body } = await admin.call<{ reported: { state: Record<string, any> } }>('GET', `/devices/${deviceId}/state`);
        return body.reported.state.inventory ? body.reported.state : undefined;
      });
      assert.equal(typeof reported.inventory.hostname, 'string');
      assert.ok(reported.inventory.cpu.cores >= 1);
      assert.equal(reported.inventory.agent.version, '0.1.0');
      assert.equal(reported.agent.version, '0.1.0');
    } finally {
      assert.equal(await agent.stop(), 0);
    }

    const countBefore = (await devices()).length;
    // The token is not needed again: the stored credentials are used.
    const again = startAgent(args);
    try {
      await again.waitForLog(/^using stored device credentials$/);
      await again.waitForLog(/^connected over (mqtt|http)$/);
      assert.equal((await devices()).length, countBefore);
    } finally {
      assert.equal(await again.stop(), 0);
    }
  });

  it('with --server and no --mqtt-url, connects over MQTT to the port the server names (not 1883)', async () => {
    assert.notEqual(server.mqttPort, 1883);
    const agent = startAgent(['--server', server.url, '--transport', 'mqtt', '--state-dir', stateDir(), '--enroll-token', await admin.enrollmentToken(), '--local-api', 'false']);
    try {
      await agent.waitForLog(/^connected over mqtt$/);
    } finally {
      assert.equal(await agent.stop(), 0);
    }
  });

  it('finds the server by mDNS when no --server is given, broker included', async () => {
    const agent = startAgent(['--discovery-interface', '127.0.0.1', '--discovery-name', mdnsName, '--state-dir', stateDir(), '--enroll-token', await admin.enrollmentToken(), '--local-api', 'false']);
    try {
      const found = await agent.waitForLog(/^found a server by mDNS$/);
      assert.equal(found.server, server.url);
      assert.equal(found.mqttUrl, `mqtt://127.0.0.1:${server.mqttPort}`);
      await agent.waitForLog(/^connected over mqtt$/);
    } finally {
      await agent.stop();
    }
    const lost = startAgent(['--discovery-interface', '127.0.0.1', '--discovery-name', 'no-such-server', '--discovery-timeout', '1s', '--state-dir', stateDir(), '--enroll-token', 'fle_x', '--local-api', 'false']);
    assert.equal(await lost.exited, 1);
    assert.match(lost.stderr(), /SERVER_NOT_FOUND: .*no Flotilla server answered on the local network within 1000 ms/);
  });

  it('enrolls with a claim code', async () => {
    const { status, body } = await admin.call<{ items: Array<{ deviceId: string; claimCode: string }> }>('POST', '/claim-codes', { count: 1, namePrefix: 'claimed-' });
    assert.equal(status, 201);
    const [code] = body.items;
    const agent = startAgent(['--server', server.url, '--mqtt-url', `mqtt://127.0.0.1:${server.mqttPort}`, '--state-dir', stateDir(), '--claim-code', code!.claimCode, '--local-api', 'false']);
    try {
      const enrolled = await agent.waitForLog(/^enrolled$/);
      assert.equal(enrolled.deviceId, code!.deviceId);
      await agent.waitForLog(/^connected over (mqtt|http)$/);
    } finally {
      await agent.stop();
    }
  });

  it('stops with a clear error, and does not retry, when its device is deleted', async () => {
    const directory = stateDir();
    const agent = startAgent(['--server', server.url, '--mqtt-url', `mqtt://127.0.0.1:${server.mqttPort}`, '--state-dir', directory, '--enroll-token', await admin.enrollmentToken(), '--local-api', 'false']);
    const enrolled = await agent.waitForLog(/^enrolled$/);
    await agent.waitForLog(/^connected over/);
    assert.equal((await admin.call('DELETE', `/devices/${String(enrolled.deviceId)}`)).status, 204);
    const code = await Promise.race([agent.exited, new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 60_000))]);
    if (code === 'still running') await agent.stop();
    assert.equal(code, 78);
    assert.match(agent.stderr(), /CREDENTIALS_REFUSED: .*refused device/);
  });

  it('refuses a wrong token, a missing token and a corrupt credentials file with clear errors', async () => {
    const refused = startAgent(['--server', server.url, '--mqtt-url', `mqtt://127.0.0.1:${server.mqttPort}`, '--state-dir', stateDir(), '--enroll-token', 'fle_not-a-real-token', '--local-api', 'false']);
    assert.equal(await refused.exited, 78);
    assert.match(refused.stderr(), /ENROLLMENT_FAILED: .*refused to enroll this device/);

    const missing = startAgent(['--server', server.url, '--mqtt-url', `mqtt://127.0.0.1:${server.mqttPort}`, '--state-dir', stateDir(), '--local-api', 'false']);
    assert.equal(await missing.exited, 78);
    assert.match(missing.stderr(), /ENROLLMENT_MISSING: .*no credentials in .* and no --enroll-token or --claim-code/);

    const corruptDir = stateDir();
    writeFileSync(join(corruptDir, 'credentials.json'), '{"deviceId": "dev_1", "secr');
    const corrupt = startAgent(['--server', server.url, '--mqtt-url', `mqtt://127.0.0.1:${server.mqttPort}`, '--state-dir', corruptDir, '--local-api', 'false']);
    assert.equal(await corrupt.exited, 78);
    assert.match(corrupt.stderr(), /CREDENTIALS_CORRUPT: .*credentials\.json is not JSON .*delete .* and enroll again/);

    const badFlag = startAgent(['--server', server.url, '--mqtt-url', `mqtt://127.0.0.1:${server.mqttPort}`, '--metrics-interval', 'often']);
    assert.equal(await badFlag.exited, 78);
    assert.match(badFlag.stderr(), /CONFIG_INVALID: .*--metrics-interval "often" must be a duration/);
  });

  it('says so when the server is not a Flotilla server', async () => {
    const { createServer } = await import('node:http');
    const impostor = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end('<html>hello</html>');
    });
    await new Promise<void>((resolve) => impostor.listen(0, '127.0.0.1', resolve));
    const address = impostor.address() as { port: number };
    try {
      const agent = startAgent(['--server', `http://127.0.0.1:${address.port}`, '--state-dir', stateDir(), '--enroll-token', 'fle_x', '--local-api', 'false']);
      assert.equal(await agent.exited, 1);
      assert.match(agent.stderr(), /SERVER_ANSWER_INVALID: .*not a Flotilla server/);
    } finally {
      impostor.close();
    }
  });
});
