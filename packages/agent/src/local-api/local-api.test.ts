import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { CommandResult } from '@flotilla/protocol';
import { pino } from 'pino';
import { AgentError } from '../errors.js';
import { startLocalApi, type LocalApi } from './local-api.js';
import { createModuleInbox } from './module-inbox.js';
import type { TelemetryEntry } from './telemetry-entries.js';

const inbox = createModuleInbox();
const entries: TelemetryEntry[] = [];
const results: Array<[string, CommandResult]> = [];
let api: LocalApi;
let base: string;

before(async () => {
  api = await startLocalApi(0, {
    inbox,
    enqueueTelemetry: (queued) => entries.push(...queued),
    enqueueCommandResult: (id, result) => results.push([id, result]),
    health: () => ({ deviceId: 'dev-1', connected: true }),
    log: pino({ level: 'silent' }),
  });
  base = `http://127.0.0.1:${api.port}`;
});
after(() => api.close());

async function post(path: string, body: string, headers: Record<string, string> = { 'content-type': 'application/json' }): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${base}${path}`, { method: 'POST', body, headers });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('local module API', () => {
  it('queues readings with their timestamps, prefixed by the module', async () => {
    const ts = Date.now() - 60_000;
    const answer = await post('/v1/telemetry?module=garden', JSON.stringify([{ ts, values: { temp: 21.5 } }, { humidity: 40 }]));
    assert.equal(answer.status, 202);
    assert.equal(answer.body.accepted, 2);
    assert.deepEqual(entries[0], { ts, values: { 'garden.temp': 21.5 } });
    assert.deepEqual(Object.keys(entries[1]!.values), ['garden.humidity']);

    await post('/v1/telemetry', JSON.stringify({ door: 'open' }));
    assert.deepEqual(entries[2]!.values, { door: 'open' });
  });

  it('answers bad input with a clear 4xx problem', async () => {
    const notJson = await post('/v1/telemetry', '{"temp": ');
    assert.equal(notJson.status, 400);
    assert.equal(notJson.body.code, 'MALFORMED_BODY');
    const badKey = await post('/v1/telemetry', JSON.stringify({ 'bad key': 1 }));
    assert.equal(badKey.status, 400);
    assert.match(String(badKey.body.title), /keys are 1-128 letters/);
    const badModule = await post('/v1/telemetry?module=Bad%20Name', JSON.stringify({ t: 1 }));
    assert.equal(badModule.body.code, 'MODULE_NAME_INVALID');
    const wrongType = await post('/v1/telemetry', 'temp=1', { 'content-type': 'text/plain' });
    assert.equal(wrongType.status, 415);
    const unknownRoute = await fetch(`${base}/v2/nothing`);
    assert.equal(unknownRoute.status, 404);
    assert.equal(unknownRoute.headers.get('content-type'), 'application/problem+json');
    const noModule = await fetch(`${base}/v1/commands`);
    assert.equal(((await noModule.json()) as { code: string }).code, 'MODULE_REQUIRED');
  });

  it('hands a long-polling module its command and forwards the result', async () => {
    const polling = fetch(`${base}/v1/commands?module=led&wait=20s`).then((response) => response.json() as Promise<{ commands: Array<{ id: string; name: string; params: unknown }> }>);
    // Delivered after the poll started: the poll waits for it.
    setTimeout(() => inbox.deliver({ id: 'cmd-7', name: 'module.led.set', params: { on: true }, createdAt: Date.now(), expiresAt: null, timeoutMs: 60_000 }), 100);
    const { commands } = await polling;
    assert.deepEqual(commands.map((command) => [command.id, command.name, command.params]), [['cmd-7', 'set', { on: true }]]);
    assert.deepEqual(results.at(-1), ['cmd-7', { status: 'acknowledged' }]);

    const badResult = await post('/v1/commands/cmd-7/result', JSON.stringify({ status: 'done' }));
    assert.equal(badResult.status, 400);
    assert.equal(badResult.body.code, 'RESULT_INVALID');
    const ok = await post('/v1/commands/cmd-7/result', JSON.stringify({ status: 'succeeded', output: { on: true } }));
    assert.equal(ok.status, 202);
    assert.deepEqual(results.at(-1), ['cmd-7', { status: 'succeeded', output: { on: true } }]);
    const again = await post('/v1/commands/cmd-7/result', JSON.stringify({ status: 'succeeded' }));
    assert.equal(again.status, 404);
  });

  it('says clearly when its port is taken', async () => {
    await assert.rejects(
      startLocalApi(api.port, { inbox, enqueueTelemetry: () => {}, enqueueCommandResult: () => {}, health: () => ({}), log: pino({ level: 'silent' }) }),
      (error: unknown) => error instanceof AgentError && error.code === 'LOCAL_API_LISTEN_FAILED' && /EADDRINUSE/.test(error.message),
    );
  });
});
