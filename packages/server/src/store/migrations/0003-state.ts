import type { Kysely } from 'kysely';

// Desired and reported state. Documents are JSON text with secrets sealed (state/secrets.ts).
// A device's tenant is its devices row's: state rows carry none, so a device that moves to
// another tenant cannot take a tenant id of its old owner along.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('profiles')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('tenant_id', 'text', (column) => column.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('name', 'text', (column) => column.notNull())
    .addColumn('selector', 'text', (column) => column.notNull())
    .addColumn('priority', 'integer', (column) => column.notNull())
    .addColumn('document', 'text', (column) => column.notNull())
    .addColumn('schema', 'text')
    .addColumn('revision', 'integer', (column) => column.notNull())
    .addColumn('created_at', 'bigint', (column) => column.notNull())
    .addColumn('updated_at', 'bigint', (column) => column.notNull())
    .addUniqueConstraint('profiles_tenant_name', ['tenant_id', 'name'])
    .execute();

  await db.schema
    .createTable('profile_revisions')
    .addColumn('profile_id', 'text', (column) => column.notNull().references('profiles.id').onDelete('cascade'))
    .addColumn('revision', 'integer', (column) => column.notNull())
    .addColumn('name', 'text', (column) => column.notNull())
    .addColumn('selector', 'text', (column) => column.notNull())
    .addColumn('priority', 'integer', (column) => column.notNull())
    .addColumn('document', 'text', (column) => column.notNull())
    .addColumn('schema', 'text')
    .addColumn('author_type', 'text', (column) => column.notNull())
    .addColumn('author_id', 'text')
    .addColumn('author_name', 'text', (column) => column.notNull())
    .addColumn('message', 'text', (column) => column.notNull())
    .addColumn('created_at', 'bigint', (column) => column.notNull())
    .addPrimaryKeyConstraint('profile_revisions_pk', ['profile_id', 'revision'])
    .execute();

  await db.schema
    .createTable('device_states')
    .addColumn('device_id', 'text', (column) => column.primaryKey().references('devices.id').onDelete('cascade'))
    .addColumn('layer', 'text', (column) => column.notNull().defaultTo('{}'))
    .addColumn('layer_schema', 'text')
    .addColumn('layer_revision', 'integer', (column) => column.notNull().defaultTo(0))
    .addColumn('effective', 'text', (column) => column.notNull().defaultTo('{}'))
    .addColumn('effective_hash', 'text', (column) => column.notNull().defaultTo(''))
    .addColumn('effective_version', 'integer', (column) => column.notNull().defaultTo(0))
    .addColumn('reported', 'text', (column) => column.notNull().defaultTo('{}'))
    .addColumn('reported_version', 'integer', (column) => column.notNull().defaultTo(0))
    .addColumn('reported_at', 'bigint')
    .addColumn('applied_version', 'integer')
    .addColumn('applied_status', 'text')
    .addColumn('applied_error', 'text')
    .addColumn('rejected_count', 'integer', (column) => column.notNull().defaultTo(0))
    .addColumn('rejected_at', 'bigint')
    .addColumn('rejected_reason', 'text')
    .execute();

  await db.schema
    .createTable('device_state_revisions')
    .addColumn('device_id', 'text', (column) => column.notNull().references('devices.id').onDelete('cascade'))
    .addColumn('revision', 'integer', (column) => column.notNull())
    .addColumn('document', 'text', (column) => column.notNull())
    .addColumn('schema', 'text')
    .addColumn('author_type', 'text', (column) => column.notNull())
    .addColumn('author_id', 'text')
    .addColumn('author_name', 'text', (column) => column.notNull())
    .addColumn('message', 'text', (column) => column.notNull())
    .addColumn('created_at', 'bigint', (column) => column.notNull())
    .addPrimaryKeyConstraint('device_state_revisions_pk', ['device_id', 'revision'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['device_state_revisions', 'device_states', 'profile_revisions', 'profiles']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
