import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ApiToken, Page, Session, User } from '@flotilla/protocol';
import { after, before, describe, test } from 'node:test';
import { AppError } from '../src/errors.js';
import { createLogger } from '../src/log.js';
import { createTokensRepository } from '../src/tokens/tokens.repository.js';
import { createTokensService } from '../src/tokens/tokens.service.js';
import { createSecondTenant, createTestApp, dialects, type TestApp } from './helpers.js';
import { assertFieldRefused, assertProblem } from './problem-assert.js';

type CreatedToken = ApiToken & { token: string };

for (const dialect of dialects) {
  describe(`API tokens (${dialect})`, () => {
    let t: TestApp;
    let admin: Session;
    let counter = 0;
    before(async () => {
      t = await createTestApp(dialect);
      admin = await t.setup();
    });
    after(() => t.close());

    const tokens = (options: { method?: 'GET' | 'POST' | 'DELETE'; path?: string; token?: string; payload?: Record<string, unknown> }) =>
      t.request({
        method: options.method ?? 'GET',
        url: `/api/v1/tokens${options.path ?? ''}`,
        token: options.token ?? admin.accessToken,
        ...(options.payload ? { payload: options.payload } : {}),
      });
    async function createToken(body: Record<string, unknown> = {}, as = admin.accessToken): Promise<CreatedToken> {
      const response = await tokens({ method: 'POST', token: as, payload: { name: `token ${++counter}`, role: 'viewer', ...body } });
      assert.equal(response.statusCode, 201, response.body);
      return response.json<CreatedToken>();
    }
    const me = (bearer: string) => t.request({ method: 'GET', url: '/api/v1/me', token: bearer });
    const listed = async (as = admin.accessToken) => (await tokens({ token: as, path: '?limit=500' })).json<Page<ApiToken>>().items;

    test('a created token is shown once; the list and the database never hold it', async () => {
      const created = await createToken({ name: 'CI deploys', role: 'operator' });
      assert.match(created.token, /^flt_[A-Za-z0-9_-]{43}$/, '256 bits of base64url after flt_');
      assert.equal(created.prefix, created.token.slice(4, 12));
      assert.equal(created.name, 'CI deploys');
      assert.equal(created.role, 'operator');
      assert.equal(created.expiresAt, null);
      assert.equal(created.lastUsedAt, null);

      const list = await tokens({});
      assert.equal(list.statusCode, 200);
      const item = list.json<Page<ApiToken>>().items.find((token) => token.id === created.id);
      const { token: secret, ...shown } = created;
      assert.deepEqual(item, shown);
      assert.ok(!list.body.includes(secret));

      const row = await t.store.db.selectFrom('api_tokens').selectAll().where('id', '=', created.id).executeTakeFirstOrThrow();
      assert.equal(row.token_hash, createHash('sha256').update(secret).digest('hex'));
      assert.ok(!Object.values(row).some((value) => typeof value === 'string' && value.includes(secret.slice(4))), 'no column holds the token');
    });

    test('a token authenticates as Bearer, with the role it was given', async () => {
      const viewer = await createToken({ role: 'viewer' });
      const response = await me(viewer.token);
      assert.equal(response.statusCode, 200, response.body);
      assert.equal(response.json().via, 'token');
      assert.equal(response.json().user.id, admin.user.id, 'it acts for its creator');
      assert.equal(response.json().user.role, 'viewer');
      // An admin's viewer token cannot do what only admins may.
      const refused = await t.request({ method: 'POST', url: '/api/v1/users', token: viewer.token, payload: { email: 'x@example.com', password: 'long enough pw', role: 'viewer' } });
      assertProblem(refused, 403, 'FORBIDDEN');
      assertProblem(await tokens({ token: viewer.token }), 403, 'FORBIDDEN');
      const adminToken = await createToken({ role: 'admin' });
      assert.equal((await t.request({ method: 'GET', url: '/api/v1/users', token: adminToken.token })).statusCode, 200);
      const used = (await listed()).find((token) => token.id === viewer.id);
      assert.ok(used?.lastUsedAt, 'using a token records when');
      assertProblem(await me(`${viewer.token}x`), 401, 'UNAUTHENTICATED');
      assertProblem(await me('flt_'), 401, 'UNAUTHENTICATED');
    });

    test('a token cannot be given a role above its creator\'s', async () => {
      // Only admins reach POST /tokens, so the rule is checked on the service, with a lower creator.
      const service = createTokensService({ repository: createTokensRepository(t.store.db), log: createLogger(t.config) });
      const creator = { kind: 'session' as const, userId: admin.user.id, tenantId: admin.user.tenantId, tokenId: null };
      await assert.rejects(
        service.create({ ...creator, role: 'operator' }, { name: 'too high', role: 'admin' }),
        (error) => error instanceof AppError && error.code === 'ROLE_TOO_HIGH' && error.status === 403,
      );
      await assert.rejects(service.create({ ...creator, role: 'viewer' }, { name: 'too high', role: 'operator' }), /at most your role, viewer/);
      const equal = await service.create({ ...creator, role: 'operator' }, { name: 'equal', role: 'operator' });
      assert.equal(equal.role, 'operator');
      const rows = await t.store.db.selectFrom('api_tokens').select('name').where('name', '=', 'too high').execute();
      assert.equal(rows.length, 0, 'a refused token is not stored');
    });

    test('a token acts with no more than its user\'s current role', async () => {
      const created = await t.request({ method: 'POST', url: '/api/v1/users', token: admin.accessToken, payload: { email: `demoted-${++counter}@example.com`, password: 'long enough pw', role: 'admin' } });
      const user = created.json<User>();
      const session = (await t.request({ method: 'POST', url: '/api/v1/auth/login', payload: { email: user.email, password: 'long enough pw' } })).json<Session>();
      const token = await createToken({ role: 'admin' }, session.accessToken);
      assert.equal((await tokens({ token: token.token })).statusCode, 200);
      await t.request({ method: 'PATCH', url: `/api/v1/users/${user.id}`, token: admin.accessToken, payload: { role: 'viewer' } });
      assertProblem(await tokens({ token: token.token }), 403, 'FORBIDDEN');
      assert.equal((await me(token.token)).json().user.role, 'viewer');
      // Deleting the user revokes the tokens they made.
      await t.request({ method: 'DELETE', url: `/api/v1/users/${user.id}`, token: admin.accessToken });
      assertProblem(await me(token.token), 401, 'UNAUTHENTICATED');
      assert.ok(!(await listed()).some((item) => item.id === token.id));
    });

    test('a revoked token stops working and leaves the list', async () => {
      const created = await createToken();
      assert.equal((await me(created.token)).statusCode, 200);
      const revoked = await tokens({ method: 'DELETE', path: `/${created.id}` });
      assert.equal(revoked.statusCode, 204);
      assertProblem(await me(created.token), 401, 'UNAUTHENTICATED');
      assert.ok(!(await listed()).some((token) => token.id === created.id));
      assertProblem(await tokens({ method: 'DELETE', path: `/${created.id}` }), 404, 'API_TOKEN_NOT_FOUND');
      assertProblem(await tokens({ method: 'DELETE', path: '/tok_unknown' }), 404, 'API_TOKEN_NOT_FOUND');
    });

    test('a token stops working when it expires', async () => {
      const before = Date.now();
      // Three seconds, so a busy machine still uses the token once before it expires.
      const created = await createToken({ expiresInSeconds: 3 });
      const expiresAt = Date.parse(created.expiresAt!);
      assert.ok(expiresAt >= before + 3000 && expiresAt <= Date.now() + 3000);
      assert.equal((await me(created.token)).statusCode, 200);
      await sleep(expiresAt - Date.now() + 50);
      assertProblem(await me(created.token), 401, 'UNAUTHENTICATED');
      assert.ok(!(await listed()).some((token) => token.id === created.id));
    });

    test('the list is paginated, newest first', async () => {
      for (let index = 0; index < 3; index++) await createToken();
      const seen: ApiToken[] = [];
      let cursor: string | null = null;
      do {
        const page: Page<ApiToken> = (await tokens({ path: `?limit=2${cursor ? `&cursor=${cursor}` : ''}` })).json<Page<ApiToken>>();
        assert.ok(page.items.length <= 2);
        seen.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor);
      assert.deepEqual(seen.map((token) => token.id), (await listed()).map((token) => token.id));
      assert.deepEqual([...seen].sort((a, b) => b.createdAt.localeCompare(a.createdAt)).map((token) => token.createdAt), seen.map((token) => token.createdAt));
    });

    test('another tenant\'s tokens answer 404 and never appear in its lists', async () => {
      const mine = await createToken();
      const other = await createSecondTenant(t, `tokens-b-${++counter}@example.org`);
      const theirs = await createToken({}, other.accessToken);
      assert.deepEqual((await listed(other.accessToken)).map((token) => token.id), [theirs.id]);
      assert.ok(!(await listed()).some((token) => token.id === theirs.id));
      assertProblem(await tokens({ method: 'DELETE', path: `/${mine.id}`, token: other.accessToken }), 404, 'API_TOKEN_NOT_FOUND');
      assert.equal((await me(mine.token)).statusCode, 200, 'the refused revoke changed nothing');
      const theirMe = (await me(theirs.token)).json();
      assert.equal(theirMe.tenant.id, other.user.tenantId);
      assertProblem(await t.request({ method: 'GET', url: `/api/v1/users/${admin.user.id}`, token: theirs.token }), 403, 'FORBIDDEN');
    });

    test('bad input answers 400 VALIDATION_FAILED naming the field', async () => {
      const cases: [Record<string, unknown>, string][] = [
        [{ role: 'viewer' }, 'body/name'],
        [{ name: '', role: 'viewer' }, 'body/name'],
        [{ name: 'x', role: 'root' }, 'body/role'],
        [{ name: 'x' }, 'body/role'],
        [{ name: 'x', role: 'viewer', expiresInSeconds: 0 }, 'body/expiresInSeconds'],
        [{ name: 'x', role: 'viewer', expiresInSeconds: 1.5 }, 'body/expiresInSeconds'],
        [{ name: 'x', role: 'viewer', expiresInSeconds: '60' }, 'body/expiresInSeconds'],
        [{ name: 'x', role: 'viewer', expiresInSeconds: 1e12 }, 'body/expiresInSeconds'],
        [{ name: 'x', role: 'viewer', token: 'flt_mine' }, 'body/token'],
      ];
      for (const [payload, field] of cases) assertFieldRefused(await tokens({ method: 'POST', payload }), field);
      assertFieldRefused(await tokens({ method: 'DELETE', path: '/bad%20id' }), 'params/id');
      assertFieldRefused(await tokens({ path: '?limit=501' }), 'querystring/limit');
      assertProblem(await tokens({ path: '?cursor=nope' }), 400, 'INVALID_CURSOR');
    });
  });
}
