/**
 * Test fixtures: a real store on SQLite (temporary file) or PostgreSQL (a schema of its own in
 * the machine's database), the app built around it, and shortcuts for signing in.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Role, Session } from '@flotilla/protocol';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import pg from 'pg';
import { buildApp } from '../src/app.js';
import { parseConfig, type Config } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { startServer, type RunningServer } from '../src/main.js';
import { openStore, type DialectName, type Store } from '../src/store/database.js';

/** Every dialect the store supports; store tests loop over it. */
export const dialects: DialectName[] = ['sqlite', 'postgres'];

/** The PostgreSQL the tests use; the machine's own by default. */
export const testDatabaseUrl = process.env.FLOTILLA_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** The setup token every test app is armed with. */
export const SETUP_TOKEN = 'test-setup-token-0123456789';

/** A place for one test's data: a temp directory, and for PostgreSQL a fresh schema. */
export interface TestDatabase {
  dialect: DialectName;
  dataDir: string;
  databaseUrl: string | null;
  drop(): Promise<void>;
}

/** Creates an empty database of the given dialect. */
export async function createTestDatabase(dialect: DialectName): Promise<TestDatabase> {
  const dataDir = mkdtempSync(join(tmpdir(), 'flotilla-test-'));
  if (dialect === 'sqlite') {
    return { dialect, dataDir, databaseUrl: null, drop: async () => rmSync(dataDir, { recursive: true, force: true }) };
  }
  const schema = `t_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: testDatabaseUrl });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  const url = new URL(testDatabaseUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    dialect,
    dataDir,
    databaseUrl: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: testDatabaseUrl });
      await client.connect();
      await client.query(`drop schema if exists ${schema} cascade`);
      await client.end();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Configuration for a test app: quiet logs, no dashboard, the fixed setup token. */
export function testConfig(database: TestDatabase, overrides: Partial<Record<keyof Config, string>> = {}): Readonly<Config> {
  return parseConfig({
    env: {},
    flags: {
      dataDir: database.dataDir,
      ...(database.databaseUrl ? { databaseUrl: database.databaseUrl } : {}),
      httpHost: '127.0.0.1',
      httpPort: '0',
      logLevel: 'silent',
      setupToken: SETUP_TOKEN,
      webDir: '',
      loginRateLimitPerMinute: '1000',
      // Port 1883 is usually taken (a system Mosquitto); broker tests pick a free port.
      mqttPort: '0',
      // Tests do not announce themselves on the network; discovery tests turn it on.
      mdns: 'false',
      ...overrides,
    },
  });
}

/** An app on a fresh database, with shortcuts for the common steps of a test. */
export interface TestApp {
  app: FastifyInstance;
  config: Readonly<Config>;
  dialect: DialectName;
  store: Store;
  /** Sends a request; `token` becomes the Bearer header. */
  request(options: InjectOptions & { token?: string }): Promise<LightMyRequestResponse>;
  /** Runs first-run setup: the admin of a new tenant. */
  setup(input?: { email?: string; password?: string; tenantName?: string }): Promise<Session>;
  /** Creates a user of the admin's tenant with a role, signed in. */
  userWithRole(admin: Session, role: Role, email?: string): Promise<Session>;
  close(): Promise<void>;
}

/** Builds an app (no socket) on a fresh database of the dialect. */
export async function createTestApp(
  dialect: DialectName,
  overrides: Partial<Record<keyof Config, string>> = {},
): Promise<TestApp> {
  const database = await createTestDatabase(dialect);
  const config = testConfig(database, overrides);
  const log = createLogger(config);
  const store = await openStore(config, log);
  await store.migrate();
  const app = await buildApp({ config, log, store });
  let counter = 0;

  const request: TestApp['request'] = ({ token, headers, ...options }) =>
    app.inject({ ...options, headers: { ...headers, ...(token ? { authorization: `Bearer ${token}` } : {}) } });

  return {
    app,
    config,
    dialect,
    store,
    request,
    async setup(input = {}) {
      const response = await request({
        method: 'POST',
        url: '/api/v1/setup',
        payload: {
          token: SETUP_TOKEN,
          email: input.email ?? 'admin@example.com',
          password: input.password ?? 'correct horse battery',
          tenantName: input.tenantName ?? 'Acme',
        },
      });
      if (response.statusCode !== 201) throw new Error(`setup failed: ${response.statusCode} ${response.body}`);
      return response.json<Session>();
    },
    async userWithRole(admin, role, email) {
      const address = email ?? `${role}-${++counter}@example.com`;
      const password = 'another good password';
      const created = await request({ method: 'POST', url: '/api/v1/users', token: admin.accessToken, payload: { email: address, password, role } });
      if (created.statusCode !== 201) throw new Error(`creating user failed: ${created.statusCode} ${created.body}`);
      const login = await request({ method: 'POST', url: '/api/v1/auth/login', payload: { email: address, password } });
      if (login.statusCode !== 200) throw new Error(`login failed: ${login.statusCode} ${login.body}`);
      return login.json<Session>();
    },
    async close() {
      await app.close();
      await database.drop();
    },
  };
}

/**
 * A second tenant on the same app. First-run setup makes only one tenant, so tests of tenant
 * isolation create another through the store.
 */
export { createSecondTenant } from './tenants.js';

/** A real server listening on a free port, for tests that need a socket (CLI, browser). */
export async function startTestServer(
  options: { dialect?: DialectName; overrides?: Partial<Record<keyof Config, string>> } = {},
): Promise<RunningServer & { setupToken: string; dataDir: string; drop(): Promise<void> }> {
  const database = await createTestDatabase(options.dialect ?? 'sqlite');
  const config = testConfig(database, options.overrides);
  const server = await startServer(config);
  return {
    ...server,
    setupToken: SETUP_TOKEN,
    dataDir: database.dataDir,
    async close() {
      await server.close();
      await database.drop();
    },
    drop: () => database.drop(),
  };
}
