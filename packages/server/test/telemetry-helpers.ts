/**
 * Fixtures of the telemetry tests: devices with secrets created straight in the store, a bare
 * store with an ingest pipeline on it, and Basic credentials.
 */
import type { Role, Session } from '@flotilla/protocol';
import type { Kysely } from 'kysely';
import { hashPassword } from '../src/auth/passwords.js';
import { createMemoryBus, type Bus, type BusEvents } from '../src/bus/bus.js';
import { parseConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { openStore, type DialectName, type Store } from '../src/store/database.js';
import { hashSecret, newId, newSecret } from '../src/store/ids.js';
import type { Database } from '../src/store/schema.js';
import { createBatchWriter, type BatchWriter } from '../src/telemetry/batch-writer.js';
import { createIngest, type Ingest, type IngestOptions } from '../src/telemetry/ingest.js';
import { createTestDatabase, type TestApp, type TestDatabase } from './helpers.js';

/** A device of a test: its id, secret and tenant. */
export interface TestDevice {
  id: string;
  secret: string;
  tenantId: string;
}

/** Creates a tenant directly in the store. */
export async function createTenant(db: Kysely<Database>, name = 'Tenant'): Promise<string> {
  const id = newId('ten');
  await db.insertInto('tenants').values({ id, name, created_at: Date.now() }).execute();
  return id;
}

/** Creates a device with a secret and labels directly in the store. */
export async function createDevice(db: Kysely<Database>, tenantId: string, labels: Record<string, string> = {}): Promise<TestDevice> {
  const id = newId('dev');
  const secret = newSecret('fld_');
  const now = Date.now();
  await db
    .insertInto('devices')
    .values({
      id,
      tenant_id: tenantId,
      name: id,
      labels: JSON.stringify(labels),
      metadata: '{}',
      secret_hash: hashSecret(secret),
      inventory: null,
      online: 0,
      last_seen_at: null,
      created_at: now,
      updated_at: now,
    })
    .execute();
  for (const [key, value] of Object.entries(labels)) {
    await db.insertInto('device_labels').values({ device_id: id, tenant_id: tenantId, key, value }).execute();
  }
  return { id, secret, tenantId };
}

/** Creates a user of the tenant with a role straight in the store, and signs them in. */
export async function signInWithRole(testApp: TestApp, tenantId: string, role: Role): Promise<Session> {
  const email = `${role}-${newId('u').slice(-8)}@example.com`;
  const password = 'a good long password';
  const now = Date.now();
  await testApp.store.db
    .insertInto('users')
    .values({ id: newId('usr'), tenant_id: tenantId, email, name: role, role, password_hash: await hashPassword(password), disabled: 0, created_at: now, updated_at: now })
    .execute();
  const login = await testApp.request({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password } });
  if (login.statusCode !== 200) throw new Error(`login failed: ${login.body}`);
  return login.json<Session>();
}

/** `Authorization: Basic …` of a device. */
export function basicAuth(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
}

/** A migrated store with a tenant, an ingest pipeline on it, and the events it published. */
export interface IngestFixture {
  store: Store;
  tenantId: string;
  bus: Bus;
  ingest: Ingest;
  /** Transactions (batches) the writer has been asked to commit. */
  transactions(): number;
  events: BusEvents['telemetry'][];
  close(): Promise<void>;
}

/** Opens a fresh store of the dialect with an ingest pipeline; `wrap` may decorate the writer. */
export async function createIngestFixture(
  dialect: DialectName,
  options: Partial<IngestOptions> = {},
  wrap: (writer: BatchWriter) => BatchWriter = (writer) => writer,
): Promise<IngestFixture> {
  const database: TestDatabase = await createTestDatabase(dialect);
  const log = createLogger(parseConfig({ flags: { logLevel: 'silent' } }));
  const store = await openStore({ dataDir: database.dataDir, databaseUrl: database.databaseUrl }, log);
  await store.migrate();
  const tenantId = await createTenant(store.db);
  const bus = createMemoryBus();
  const events: BusEvents['telemetry'][] = [];
  bus.subscribe('telemetry', (event) => events.push(event));
  let transactions = 0;
  const real = wrap(createBatchWriter(store, log));
  const writer: BatchWriter = {
    write(batch) {
      transactions++;
      return real.write(batch);
    },
    close: () => real.close(),
  };
  const ingest = createIngest({ writer, bus, log, options });
  return {
    store,
    tenantId,
    bus,
    ingest,
    transactions: () => transactions,
    events,
    async close() {
      await ingest.close();
      await store.close();
      await database.drop();
    },
  };
}

/** Every stored point of a device, oldest first, as [key, ts, value_num, value_text]. */
export async function storedPoints(db: Kysely<Database>, deviceId: string) {
  return db
    .selectFrom('telemetry_points as p')
    .innerJoin('telemetry_devices as td', 'td.ref', 'p.device_ref')
    .innerJoin('telemetry_keys as k', 'k.id', 'p.key_id')
    .select(['k.name as key', 'p.ts', 'p.value_num', 'p.value_text', 'p.value_type'])
    .where('td.device_id', '=', deviceId)
    .orderBy('p.ts')
    .orderBy('k.name')
    .execute();
}
