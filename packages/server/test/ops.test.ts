import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { ListenError, startServer } from '../src/main.js';
import { createTestApp, createTestDatabase, dialects, testConfig, type TestApp } from './helpers.js';

for (const dialect of dialects) {
  describe(`operations endpoints (${dialect})`, () => {
    let t: TestApp;
    before(async () => {
      t = await createTestApp(dialect);
    });
    after(() => t.close());

    test('/healthz and /readyz answer', async () => {
      assert.deepEqual((await t.request({ method: 'GET', url: '/healthz' })).json(), { status: 'ok' });
      const ready = await t.request({ method: 'GET', url: '/readyz' });
      assert.equal(ready.statusCode, 200);
      assert.equal(ready.json().status, 'ready');
    });

    test('/metrics has process metrics and request counts by route template', async () => {
      await t.request({ method: 'GET', url: '/api/v1/setup' });
      const metrics = await t.request({ method: 'GET', url: '/metrics' });
      assert.equal(metrics.statusCode, 200);
      assert.match(metrics.headers['content-type'] as string, /text\/plain/);
      assert.match(metrics.body, /flotilla_process_resident_memory_bytes/);
      assert.match(metrics.body, /flotilla_http_requests_total\{method="GET",route="\/api\/v1\/setup",status="200"\} \d+/);
      assert.match(metrics.body, /flotilla_http_request_duration_seconds_bucket\{le="0.005",method="GET",route="\/api\/v1\/setup"\}/);
    });

    test('OpenAPI describes every API route with its schemas, and /api/docs serves a page', async () => {
      const response = await t.request({ method: 'GET', url: '/api/openapi.json' });
      assert.equal(response.statusCode, 200);
      const document = response.json();
      assert.equal(document.openapi, '3.0.3');
      const routes = t.app.printRoutes({ commonPrefix: false });
      assert.ok(document.paths['/api/v1/auth/login'].post.requestBody, 'login has a request body schema');
      assert.ok(document.paths['/api/v1/me'].get.responses['200'], 'me has a response schema');
      for (const path of ['/api/v1/setup', '/api/v1/audit', '/healthz']) {
        assert.ok(document.paths[path], `${path} is documented (routes: ${routes})`);
      }
      const docs = await t.request({ method: 'GET', url: '/api/docs/' });
      assert.equal(docs.statusCode, 200);
      assert.match(docs.body, /swagger/i);
    });

    test('unknown API routes answer problem+json 404', async () => {
      const response = await t.request({ method: 'GET', url: '/api/v1/does-not-exist' });
      assert.equal(response.statusCode, 404);
      assert.equal(response.json().code, 'ROUTE_NOT_FOUND');
    });

    test('protected routes answer 401 without a token and with a forged one', async () => {
      const none = await t.request({ method: 'GET', url: '/api/v1/me' });
      assert.equal(none.statusCode, 401);
      assert.equal(none.json().code, 'UNAUTHENTICATED');
      const forged = await t.request({ method: 'GET', url: '/api/v1/me', token: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.AAAA' });
      assert.equal(forged.statusCode, 401);
      const badToken = await t.request({ method: 'GET', url: '/api/v1/me', token: 'flt_nope' });
      assert.equal(badToken.statusCode, 401);
    });

    test('malformed JSON and wrong content types are 4xx problems, never 500', async () => {
      const malformed = await t.request({
        method: 'POST',
        url: '/api/v1/auth/login',
        headers: { 'content-type': 'application/json' },
        payload: '{"email": "a@b.c", "password":',
      });
      assert.equal(malformed.statusCode, 400);
      assert.equal(malformed.json().code, 'MALFORMED_BODY');
      const text = await t.request({ method: 'POST', url: '/api/v1/auth/login', headers: { 'content-type': 'text/plain' }, payload: 'hello' });
      assert.equal(text.statusCode, 415);
      assert.equal(text.json().code, 'UNSUPPORTED_MEDIA_TYPE');
      const wrongType = await t.request({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 42, password: 'x' } });
      assert.equal(wrongType.statusCode, 400);
      assert.deepEqual(wrongType.json().errors, [{ field: 'body/email', message: 'must be string' }]);
      const missing = await t.request({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'a@b.c' } });
      assert.equal(missing.statusCode, 400);
      assert.match(missing.json().detail, /body\/password is required/);
    });
  });
}

describe('oversize bodies', () => {
  test('a body over the limit answers 413', async () => {
    const t = await createTestApp('sqlite', { bodyLimitBytes: '1kb' });
    try {
      const response = await t.request({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'a@b.c', password: 'x'.repeat(2000) } });
      assert.equal(response.statusCode, 413);
      assert.equal(response.json().code, 'PAYLOAD_TOO_LARGE');
    } finally {
      await t.close();
    }
  });
});

describe('listening', () => {
  test('a port in use names the port and the setting that changes it', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    const database = await createTestDatabase('sqlite');
    try {
      await assert.rejects(startServer(testConfig(database, { httpPort: String(port) })), (error: unknown) => {
        assert.ok(error instanceof ListenError);
        assert.match(error.message, new RegExp(`port ${port} is already in use.*FLOTILLA_HTTP_PORT \\(--http-port\\)`));
        return true;
      });
    } finally {
      blocker.close();
      await database.drop();
    }
  });
});
