/**
 * The key that seals desired-state secrets: `FLOTILLA_SECRET_KEY`, or else `secret.key` in the
 * data directory, made (mode 0600) at first start. The database remembers a fingerprint of the
 * key its secrets were sealed with, so a server started with another key (a second instance on
 * the same PostgreSQL, a lost data directory) stops at start-up instead of failing to decrypt.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { Database } from '../store/schema.js';

/** The name of the key file in the data directory. */
export const SECRET_KEY_FILE = 'secret.key';
const FINGERPRINT_SETTING = 'state.secret_key_fingerprint';

/** Thrown when no usable key is at hand; the message says what to set. */
export class SecretKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretKeyError';
  }
}

function decodeKey(text: string): Buffer {
  const value = text.trim();
  return /^[0-9a-fA-F]{64}$/.test(value) ? Buffer.from(value, 'hex') : Buffer.from(value, 'base64');
}

function fingerprintOf(key: Buffer): string {
  return createHash('sha256').update('flotilla state secret key\n').update(key).digest('hex').slice(0, 32);
}

async function storedFingerprint(db: Kysely<Database>): Promise<string | null> {
  const row = await db.selectFrom('settings').select('value').where('key', '=', FINGERPRINT_SETTING).executeTakeFirst();
  return row?.value ?? null;
}

/** Writes a new key file (mode 0600); a server starting beside this one may have written it first. */
function makeKeyFile(file: string, dataDir: string): Buffer {
  const key = randomBytes(32);
  mkdirSync(dataDir, { recursive: true });
  try {
    writeFileSync(file, `${key.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
    return key;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return decodeKey(readFileSync(file, 'utf8'));
  }
}

/** Loads (or at first start makes) the key, and checks it against the database's fingerprint. */
export async function loadSecretKey({ config, db, log }: { config: Pick<Config, 'secretKey' | 'dataDir' | 'databaseUrl'>; db: Kysely<Database>; log: Logger }): Promise<Buffer> {
  const file = join(config.dataDir, SECRET_KEY_FILE);
  const known = await storedFingerprint(db);
  let key: Buffer;
  let source: string;
  if (config.secretKey) {
    key = decodeKey(config.secretKey);
    source = 'FLOTILLA_SECRET_KEY';
  } else if (existsSync(file)) {
    key = decodeKey(readFileSync(file, 'utf8'));
    source = file;
    if (key.length !== 32) throw new SecretKeyError(`${file} does not hold a 32-byte key (64 hex characters); restore it, or set FLOTILLA_SECRET_KEY`);
  } else {
    if (known) {
      const where = config.databaseUrl ? 'this PostgreSQL database' : 'this database';
      throw new SecretKeyError(
        `${where} holds secrets sealed with a key this server does not have: set FLOTILLA_SECRET_KEY (--secret-key) to the key the other instances use, or put their ${SECRET_KEY_FILE} in ${config.dataDir}`,
      );
    }
    key = makeKeyFile(file, config.dataDir);
    source = file;
    log.info({ file }, 'secret key ready; keep it with backups of the database');
    if (config.databaseUrl) log.warn({ file }, 'other instances on this database need the same key: set FLOTILLA_SECRET_KEY to the contents of this file');
  }
  const fingerprint = fingerprintOf(key);
  if (known === null) {
    await db.insertInto('settings').values({ key: FINGERPRINT_SETTING, value: fingerprint, updated_at: Date.now() }).onConflict((conflict) => conflict.column('key').doNothing()).execute();
  }
  const expected = known ?? (await storedFingerprint(db));
  if (expected !== fingerprint) {
    throw new SecretKeyError(`the secret key from ${source} is not the one this database's secrets were sealed with: set FLOTILLA_SECRET_KEY (--secret-key) to that key`);
  }
  return key;
}
