import { sql, type Kysely } from 'kysely';

// Telemetry storage: narrow point rows keyed by (device, key, time), with devices and keys
// interned to integers so a row is about 30 bytes on SQLite. PostgreSQL stores points in a
// TimescaleDB hypertable when the extension can be created, else in a table partitioned by
// month (partitions are created by telemetry/partitions.ts ahead of time and on demand).
// The chosen layout is recorded in `settings` under `telemetry.layout`.

type Dialect = 'sqlite' | 'postgres';

/** Placeholders compile to `$1` on PostgreSQL and `?` on SQLite; no query is run to find out. */
function dialectOf(db: Kysely<unknown>): Dialect {
  return sql`select ${1}`.compile(db).sql.includes('$1') ? 'postgres' : 'sqlite';
}

export async function up(db: Kysely<unknown>): Promise<void> {
  const dialect = dialectOf(db);
  const serial = dialect === 'postgres' ? 'serial' : 'integer';

  await db.schema
    .createTable('telemetry_keys')
    .addColumn('id', serial, (column) => column.primaryKey())
    .addColumn('name', 'text', (column) => column.notNull().unique())
    .execute();
  await db.schema
    .createTable('telemetry_devices')
    .addColumn('ref', serial, (column) => column.primaryKey())
    .addColumn('device_id', 'text', (column) => column.notNull().unique())
    .execute();

  const layout = dialect === 'sqlite' ? 'sqlite' : (await tryTimescale(db)) ? 'hypertable' : 'partitioned';
  await createPointsTable(db, 'telemetry_points', layout);
  await createPointsTable(db, 'telemetry_latest', dialect === 'sqlite' ? 'sqlite' : 'plain');
  if (layout === 'hypertable') {
    // A week per chunk: retention drops whole chunks, and a 7-day query touches one or two.
    await sql`select create_hypertable('telemetry_points', 'ts', chunk_time_interval => ${sql.lit(7 * 86_400_000)}::bigint)`.execute(db);
  }

  await db.schema
    .createTable('telemetry_retention')
    .addColumn('tenant_id', 'text', (column) => column.primaryKey().references('tenants.id').onDelete('cascade'))
    .addColumn('retention_days', 'integer', (column) => column.notNull())
    .addColumn('updated_at', 'bigint', (column) => column.notNull())
    .execute();
  await db.schema
    .createTable('telemetry_rejections')
    .addColumn('device_id', 'text', (column) => column.primaryKey().references('devices.id').onDelete('cascade'))
    .addColumn('tenant_id', 'text', (column) => column.notNull())
    .addColumn('count', 'integer', (column) => column.notNull())
    .addColumn('last_at', 'bigint', (column) => column.notNull())
    .addColumn('last_reason', 'text', (column) => column.notNull())
    .execute();

  await sql`insert into settings (key, value, updated_at) values ('telemetry.layout', ${layout}, ${Date.now()})`.execute(db);
}

type Layout = 'sqlite' | 'hypertable' | 'partitioned' | 'plain';

async function createPointsTable(db: Kysely<unknown>, name: string, layout: Layout): Promise<void> {
  const isLatest = name === 'telemetry_latest';
  let table = db.schema
    .createTable(name)
    .addColumn('device_ref', 'integer', (column) => column.notNull())
    .addColumn('key_id', 'integer', (column) => column.notNull())
    .addColumn('ts', 'bigint', (column) => column.notNull())
    .addColumn('value_num', 'double precision')
    .addColumn('value_text', 'text')
    .addColumn('value_type', 'smallint', (column) => column.notNull())
    .addPrimaryKeyConstraint(`${name}_pk`, isLatest ? ['device_ref', 'key_id'] : ['device_ref', 'key_id', 'ts']);
  // WITHOUT ROWID keeps one b-tree per table instead of a rowid table plus a key index:
  // 28 instead of 49 bytes a point, and one insert instead of two (BENCHMARKS.md).
  if (layout === 'sqlite') table = table.modifyEnd(sql`without rowid`);
  if (layout === 'partitioned') table = table.modifyEnd(sql`partition by range (ts)`);
  await table.execute();
}

/**
 * Creates the TimescaleDB extension when the server offers it and has it preloaded. The
 * attempt runs under a savepoint, so a refusal (missing privilege) leaves the migration's
 * transaction usable and the native partitioned layout is used instead.
 */
async function tryTimescale(db: Kysely<unknown>): Promise<boolean> {
  const available = await sql<{ ok: number }>`
    select 1 as ok from pg_available_extensions
    where name = 'timescaledb' and current_setting('shared_preload_libraries') like '%timescaledb%'`.execute(db);
  if (available.rows.length === 0) return false;
  await sql`savepoint telemetry_timescale`.execute(db);
  try {
    await sql`create extension if not exists timescaledb`.execute(db);
    await sql`release savepoint telemetry_timescale`.execute(db);
    return true;
  } catch {
    await sql`rollback to savepoint telemetry_timescale`.execute(db);
    return false;
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['telemetry_rejections', 'telemetry_retention', 'telemetry_latest', 'telemetry_points', 'telemetry_devices', 'telemetry_keys']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
  await sql`delete from settings where key = 'telemetry.layout'`.execute(db);
}
