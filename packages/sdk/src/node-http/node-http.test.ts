import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { apiRequest, networkReason } from '../http-request.js';
import { RequestFailedError, ServerUnreachableError } from '../errors.js';
import { nodeHttpFetch } from './index.js';

let server: Server;
let base: string;

before(async () => {
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      if (request.url === '/api/v1/echo') {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ method: request.method, body, authorization: request.headers.authorization ?? null }));
      } else if (request.url === '/api/v1/slow') {
        setTimeout(() => response.end('{}'), 5000).unref();
      } else {
        response.writeHead(429, { 'content-type': 'application/problem+json', 'retry-after': '3' });
        response.end(JSON.stringify({ code: 'SLOW_DOWN', detail: 'too many' }));
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => server.close());

test('requests over node:http answer as the global fetch does for the SDK', async () => {
  const echoed = (await apiRequest(base, { method: 'POST', path: '/echo', body: '{"a":"é"}', credentials: { deviceId: 'dev_1', secret: 's' }, fetch: nodeHttpFetch })) as Record<string, unknown>;
  assert.deepEqual(echoed, { method: 'POST', body: '{"a":"é"}', authorization: `Basic ${Buffer.from('dev_1:s').toString('base64')}` });
  const refused = await apiRequest(base, { method: 'GET', path: '/other', fetch: nodeHttpFetch }).catch((error: unknown) => error);
  assert.ok(refused instanceof RequestFailedError, 'a problem answer is a RequestFailedError');
  assert.equal(refused.status, 429);
  assert.equal(refused.serverCode, 'SLOW_DOWN');
  assert.equal(refused.retryAfterSeconds, 3);
});

test('timeouts and refused connections read as they do with the global fetch', async () => {
  const late = await apiRequest(base, { method: 'GET', path: '/slow', timeoutMs: 100, fetch: nodeHttpFetch }).catch((error: unknown) => error);
  assert.ok(late instanceof ServerUnreachableError, 'a timeout is a ServerUnreachableError');
  assert.match(late.message, /no answer in time/);
  // A port that was just free: listened on, then closed.
  const probe = createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const closed = `http://127.0.0.1:${(probe.address() as AddressInfo).port}`;
  await new Promise((resolve) => probe.close(resolve));
  const unreachable = await nodeHttpFetch(`${closed}/`, { method: 'GET', headers: {} }).catch((error: unknown) => error);
  assert.equal(networkReason(unreachable), 'connection refused');
});
