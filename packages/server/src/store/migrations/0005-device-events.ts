import { sql, type Kysely } from 'kysely';

// Device events: one row per event, from the device or from the server about it. `seq` is the
// insertion order (SQLite's rowid, a bigserial on PostgreSQL); lists run newest first by
// (ts, seq), so the indexes end in those two columns. Retention deletes by (tenant_id, ts).
// Like commands, a deleted device takes its events with it.

/** Placeholders compile to `$1` on PostgreSQL and `?` on SQLite; no query is run to find out. */
function isPostgres(db: Kysely<unknown>): boolean {
  return sql`select ${1}`.compile(db).sql.includes('$1');
}

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('device_events')
    .addColumn('seq', isPostgres(db) ? 'bigserial' : 'integer', (column) => column.primaryKey())
    .addColumn('tenant_id', 'text', (column) => column.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('device_id', 'text', (column) => column.notNull().references('devices.id').onDelete('cascade'))
    .addColumn('ts', 'bigint', (column) => column.notNull())
    .addColumn('kind', 'text', (column) => column.notNull())
    .addColumn('level', 'text', (column) => column.notNull())
    .addColumn('message', 'text', (column) => column.notNull())
    .addColumn('data', 'text', (column) => column.notNull())
    .addColumn('source', 'text', (column) => column.notNull())
    .addColumn('received_at', 'bigint', (column) => column.notNull())
    .execute();
  await db.schema.createIndex('device_events_device').on('device_events').columns(['device_id', 'ts', 'seq']).execute();
  await db.schema.createIndex('device_events_tenant').on('device_events').columns(['tenant_id', 'ts', 'seq']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('device_events').ifExists().execute();
}
