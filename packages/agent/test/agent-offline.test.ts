import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startAgent, type AgentProcess } from './agent-process.js';
import { adminOf, createServerProcess, freePort, waitFor, type AdminApi, type ServerProcess } from './server-process.js';

let server: ServerProcess;
let admin: AdminApi;
let agent: AgentProcess;
let deviceId: string;
let localApi: string;
const directory = mkdtempSync(join(tmpdir(), 'flotilla-agent-offline-'));

before(async () => {
  server = await createServerProcess();
  admin = await adminOf(server);
  const port = await freePort();
  localApi = `http://127.0.0.1:${port}`;
  agent = startAgent([
    '--server', server.url, '--mqtt-url', `mqtt://127.0.0.1:${server.mqttPort}`, '--state-dir', directory,
    '--enroll-token', await admin.enrollmentToken(), '--metrics-interval', '1h', '--local-api-port', String(port),
  ]);
  deviceId = String((await agent.waitForLog(/^enrolled$/)).deviceId);
  await agent.waitForLog(/^local module api listening/);
});
after(async () => {
  await agent.stop();
  await server.destroy();
  rmSync(directory, { recursive: true, force: true });
});

async function postReading(body: unknown, module?: string): Promise<number> {
  const response = await fetch(`${localApi}/v1/telemetry${module ? `?module=${module}` : ''}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return response.status;
}

async function points(key: string): Promise<Array<{ ts: number; value: number }>> {
  const { body } = await admin.call<{ items: Array<{ ts: string | number; value: number }> }>('GET', `/devices/${deviceId}/telemetry?keys=${key}&limit=1000&from=2000-01-01T00:00:00Z`);
  return body.items.map((point) => ({ ts: typeof point.ts === 'number' ? point.ts : Date.parse(point.ts), value: point.value }));
}

describe('agent offline buffer and control', () => {
  it('delivers every reading made while the server was down, once and in order, with its original time', async () => {
    assert.equal(await postReading({ n: 0 }, 'seq'), 202);
    await waitFor('the first reading', async () => (await points('seq.n')).length === 1);

    await server.kill();
    await agent.waitForLog(/^disconnected/);
    const start = Date.now() - 60_000;
    for (let n = 1; n <= 120; n += 1) {
      assert.equal(await postReading({ ts: start + n * 100, values: { n } }, 'seq'), 202);
    }
    // Long enough for the agent to try, fail and back off a few times.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    await server.start();

    const delivered = await waitFor('every buffered reading', async () => {
      const found = await points('seq.n');
      return found.length >= 121 && found;
    }, 90_000);
    assert.equal(delivered.length, 121, 'no reading twice');
    const buffered = delivered.filter((point) => point.value > 0).sort((a, b) => a.ts - b.ts);
    assert.deepEqual(buffered.map((point) => point.value), Array.from({ length: 120 }, (_, index) => index + 1));
    assert.deepEqual(buffered.map((point) => point.ts), Array.from({ length: 120 }, (_, index) => start + (index + 1) * 100));
  });

  it('answers a command: ping round trip', async () => {
    const { status, body } = await admin.call<{ id: string }>('POST', `/devices/${deviceId}/commands`, { name: 'ping' });
    assert.equal(status, 201);
    const done = await waitFor('the ping result', async () => {
      const command = (await admin.call<{ status: string; output: unknown }>('GET', `/commands/${body.id}`)).body;
      return command.status === 'succeeded' && command;
    });
    assert.ok(done.output);
  });

  it('hands a module its command over the local API and returns its result', async () => {
    const polling = fetch(`${localApi}/v1/commands?module=led&wait=30s`).then((response) => response.json() as Promise<{ commands: Array<{ id: string; name: string }> }>);
    const { body } = await admin.call<{ id: string }>('POST', `/devices/${deviceId}/commands`, { name: 'module.led.blink', params: { times: 3 } });
    const { commands } = await polling;
    assert.deepEqual(commands.map((command) => [command.id, command.name]), [[body.id, 'blink']]);
    const posted = await fetch(`${localApi}/v1/commands/${body.id}/result`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ status: 'succeeded', output: { blinked: 3 } }) });
    assert.equal(posted.status, 202);
    await waitFor('the module result', async () => {
      const command = (await admin.call<{ status: string; output: unknown }>('GET', `/commands/${body.id}`)).body;
      return command.status === 'succeeded' && JSON.stringify(command.output) === '{"blinked":3}';
    });
  });

  it('runs an app of the desired state: starts, restarts after a kill, is replaced on change, stops when removed', async () => {
    const script = (tag: string) => ['-e', `console.log('${tag}'); setInterval(() => {}, 1000)`];
    const setApps = (apps: Record<string, unknown>) => admin.call('PUT', `/devices/${deviceId}/state`, { state: { apps } });
    const appStatus = async () => {
      const { body } = await admin.call<{ reported: { state: { apps?: Record<string, { state: string; pid?: number; restarts: number }>; applied?: { version: number } } }; desired: { version: number } }>('GET', `/devices/${deviceId}/state`);
      return body;
    };
    assert.equal((await setApps({ web: { command: process.execPath, args: script('v1') } })).status, 200);
    const running = await waitFor('the app running', async () => {
      const state = await appStatus();
      const web = state.reported.state.apps?.web;
      return web?.state === 'running' && web.pid !== undefined && state.reported.state.applied?.version === state.desired.version && web;
    }, 60_000);

    process.kill(running.pid!, 'SIGKILL');
    const restarted = await waitFor('the app restarted', async () => {
      const web = (await appStatus()).reported.state.apps?.web;
      return web?.state === 'running' && web.pid !== running.pid && web.restarts >= 1 && web;
    }, 60_000);

    await setApps({ web: { command: process.execPath, args: script('v2') } });
    const replaced = await waitFor('the app replaced', async () => {
      const state = await appStatus();
      const web = state.reported.state.apps?.web;
      return state.reported.state.applied?.version === state.desired.version && web?.state === 'running' && web.pid !== restarted.pid && web;
    }, 60_000);
    assert.throws(() => process.kill(restarted.pid!, 0), 'the old process is gone');

    await setApps({});
    await waitFor('the app removed', async () => {
      const state = await appStatus();
      return state.reported.state.applied?.version === state.desired.version && !state.reported.state.apps?.web;
    }, 60_000);
    assert.throws(() => process.kill(replaced.pid!, 0), 'the app process is stopped');
  });
});
