/**
 * Opens the store: SQLite (better-sqlite3, WAL) in the data directory by default, or PostgreSQL
 * when a database URL is configured. Both run the same migrations and the same queries.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql, type MigrationProvider } from 'kysely';
import pg from 'pg';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { migrations } from './migrations/index.js';
import { startCheckpointer } from './sqlite-checkpointer.js';
import type { Database } from './schema.js';

/** Which SQL dialect the store speaks. */
export type DialectName = 'sqlite' | 'postgres';

/** An open store: the query builder, its dialect, and how to close it. */
export interface Store {
  db: Kysely<Database>;
  dialect: DialectName;
  /**
   * The better-sqlite3 handle on SQLite (null on PostgreSQL), for hot paths that measure faster
   * with prepared statements than through the query builder (telemetry ingest). Code using it
   * must not start a transaction while `inTransaction` is true: Kysely may hold one open.
   */
  sqlite: SQLite.Database | null;
  /** Runs pending migrations; safe to call from several instances at once. */
  migrate(): Promise<void>;
  /** True when the database answers a trivial query. */
  isReady(): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * Waits until Kysely holds no transaction open on the SQLite connection, so a transaction of
 * prepared statements started right after runs on its own instead of nesting as a savepoint.
 */
export async function whenNoTransaction(sqlite: SQLite.Database): Promise<void> {
  while (sqlite.inTransaction) await sleep(1);
}

/** Thrown when the database cannot be opened; the message says which setting to look at. */
export class StoreOpenError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreOpenError';
  }
}

const INT8_OID = 20;

/** Opens the configured database. */
export async function openStore(config: Pick<Config, 'dataDir' | 'databaseUrl'>, log: Logger): Promise<Store> {
  if (config.databaseUrl) return openPostgres(config.databaseUrl, log);
  return openSqlite(config.dataDir, log);
}

function openSqlite(dataDir: string, log: Logger): Store {
  const file = join(dataDir, 'flotilla.db');
  let sqlite: SQLite.Database;
  try {
    mkdirSync(dataDir, { recursive: true });
    sqlite = new SQLite(file);
  } catch (error) {
    throw new StoreOpenError(`cannot open SQLite database ${file} (FLOTILLA_DATA_DIR): ${(error as Error).message}`, { cause: error });
  }
  // WAL lets readers run beside the writer; synchronous=NORMAL in WAL mode survives a killed
  // process (only an OS crash may lose the last commits), which is the durability we promise.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  const checkpointer = startCheckpointer(sqlite, file, log);
  log.info({ file }, 'store opened (sqlite)');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  // The checkpointer's connection closes first, so ours is the last and folds the WAL back in.
  return createStore(db, 'sqlite', sqlite, () => checkpointer.stop());
}

async function openPostgres(url: string, log: Logger): Promise<Store> {
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    // bigint columns hold epoch milliseconds, well inside Number's exact range.
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  pool.on('error', (error) => log.error({ err: error }, 'postgres pool error'));
  try {
    const client = await pool.connect();
    client.release();
  } catch (error) {
    await pool.end().catch(() => undefined);
    const where = safeUrl(url);
    throw new StoreOpenError(`cannot connect to PostgreSQL at ${where} (FLOTILLA_DATABASE_URL): ${(error as Error).message}`, { cause: error });
  }
  log.info({ url: safeUrl(url) }, 'store opened (postgres)');
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return createStore(db, 'postgres', null);
}

function safeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}

const provider: MigrationProvider = { getMigrations: async () => migrations };

async function currentSchema(db: Kysely<Database>): Promise<string> {
  const result = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
  const schema = result.rows[0]?.schema;
  if (!schema) throw new StoreOpenError('PostgreSQL has no current schema: check search_path (FLOTILLA_DATABASE_URL)');
  return schema;
}

function createStore(db: Kysely<Database>, dialect: DialectName, sqlite: SQLite.Database | null, beforeClose = async () => {}): Store {
  return {
    db,
    dialect,
    sqlite,
    async migrate() {
      // Kysely looks for its migration tables in every schema unless told which one; another
      // schema's tables (another app, or a parallel test) would make it skip creating ours.
      const migrationTableSchema = dialect === 'postgres' ? await currentSchema(db) : undefined;
      const { error, results } = await new Migrator({ db, provider, migrationTableSchema }).migrateToLatest();
      const failed = results?.find((result) => result.status === 'Error');
      if (error) {
        const which = failed ? ` (migration ${failed.migrationName})` : '';
        throw new StoreOpenError(`database migration failed${which}: ${(error as Error).message}`, { cause: error });
      }
    },
    async isReady() {
      try {
        await sql`select 1`.execute(db);
        return true;
      } catch {
        return false;
      }
    },
    async close() {
      await beforeClose();
      await db.destroy();
    },
  };
}
