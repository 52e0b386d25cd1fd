/**
 * The saved session: `credentials.json` in $FLOTILLA_CONFIG_DIR, else in
 * $XDG_CONFIG_HOME/flotilla or ~/.config/flotilla. Readable by its owner only, as it holds tokens.
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { CliError } from './errors.js';

/** What `flotilla login` saves. */
export interface SavedSession {
  server: string;
  accessToken: string;
  refreshToken: string;
  /** When the access token expires, ISO 8601. */
  expiresAt: string;
}

/** Reads, writes and removes the saved session. */
export interface CredentialsStore {
  readonly path: string;
  load(): SavedSession | null;
  save(session: SavedSession): void;
  /** Removes the file; false when there was none. */
  remove(): boolean;
}

/** Where the credentials file lives for this environment. */
export function credentialsPath(env: Readonly<Record<string, string | undefined>>, home: string = homedir()): string {
  if (env.FLOTILLA_CONFIG_DIR) return join(env.FLOTILLA_CONFIG_DIR, 'credentials.json');
  const configHome = env.XDG_CONFIG_HOME || join(home, '.config');
  return join(configHome, 'flotilla', 'credentials.json');
}

/** A store over the file at `path`. */
export function createCredentialsStore(path: string): CredentialsStore {
  return {
    path,
    load() {
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw new CliError(`cannot read ${path}: ${(error as Error).message}`, 'CREDENTIALS_UNREADABLE');
      }
      const session = parseSavedSession(text);
      if (!session) throw new CliError(`${path} is damaged: run flotilla login to replace it`, 'CREDENTIALS_UNREADABLE');
      return session;
    },
    save(session) {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      // Write beside and rename, so a crash never leaves half a file, and the tokens are never
      // readable by others, not even for a moment.
      const temporary = `${path}.${process.pid}.tmp`;
      writeFileSync(temporary, `${JSON.stringify(session, null, 2)}\n`, { mode: 0o600 });
      chmodSync(temporary, 0o600);
      renameSync(temporary, path);
    },
    remove() {
      try {
        rmSync(path);
        return true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
        throw new CliError(`cannot remove ${path}: ${(error as Error).message}`, 'CREDENTIALS_UNREADABLE');
      }
    },
  };
}

/** The saved session in `text`, or null when it is not one. */
export function parseSavedSession(text: string): SavedSession | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const record = value as Record<string, unknown>;
  const fields = ['server', 'accessToken', 'refreshToken', 'expiresAt'] as const;
  if (!fields.every((field) => typeof record[field] === 'string' && record[field] !== '')) return null;
  if (Number.isNaN(Date.parse(record.expiresAt as string))) return null;
  return { server: record.server as string, accessToken: record.accessToken as string, refreshToken: record.refreshToken as string, expiresAt: record.expiresAt as string };
}
