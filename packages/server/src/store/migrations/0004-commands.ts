import { sql, type Kysely } from 'kysely';

// Commands: one row per command to one device. `seq` is the insertion order (an integer primary
// key: SQLite's rowid, a bigserial on PostgreSQL), so a device's commands are delivered in the
// order they were created even when several share a millisecond or come from several instances.
// `timeout_at` is set when the device acknowledges, so the sweeper's two questions (past
// expiry? past timeout?) are both index range scans.

/** Placeholders compile to `$1` on PostgreSQL and `?` on SQLite; no query is run to find out. */
function isPostgres(db: Kysely<unknown>): boolean {
  return sql`select ${1}`.compile(db).sql.includes('$1');
}

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('commands')
    .addColumn('seq', isPostgres(db) ? 'bigserial' : 'integer', (column) => column.primaryKey())
    .addColumn('id', 'text', (column) => column.notNull().unique())
    .addColumn('tenant_id', 'text', (column) => column.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('device_id', 'text', (column) => column.notNull().references('devices.id').onDelete('cascade'))
    .addColumn('batch_id', 'text')
    .addColumn('name', 'text', (column) => column.notNull())
    .addColumn('params', 'text', (column) => column.notNull())
    .addColumn('status', 'text', (column) => column.notNull())
    .addColumn('timeout_ms', 'bigint', (column) => column.notNull())
    .addColumn('expires_at', 'bigint')
    .addColumn('timeout_at', 'bigint')
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'bigint', (column) => column.notNull())
    .addColumn('sent_at', 'bigint')
    .addColumn('acknowledged_at', 'bigint')
    .addColumn('finished_at', 'bigint')
    .addColumn('output', 'text')
    .addColumn('error', 'text')
    .execute();
  await db.schema.createIndex('commands_tenant').on('commands').columns(['tenant_id', 'seq']).execute();
  await db.schema.createIndex('commands_device').on('commands').columns(['device_id', 'seq']).execute();
  await db.schema.createIndex('commands_device_status').on('commands').columns(['device_id', 'status', 'seq']).execute();
  await db.schema.createIndex('commands_batch').on('commands').columns(['tenant_id', 'batch_id', 'seq']).execute();
  await db.schema.createIndex('commands_expiry').on('commands').columns(['status', 'expires_at']).execute();
  await db.schema.createIndex('commands_timeout').on('commands').columns(['status', 'timeout_at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('commands').ifExists().execute();
}
