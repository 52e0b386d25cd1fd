/**
 * The device's credentials in the state directory: written once at enrollment (mode 0600,
 * atomically), read at every start so a restart reuses them instead of enrolling again.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync, accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { AgentError } from '../errors.js';

/** What `credentials.json` holds. */
export const StoredCredentialsSchema = Type.Object(
  {
    deviceId: Type.String({ minLength: 1 }),
    secret: Type.String({ minLength: 1 }),
    name: Type.String(),
    /** The server it enrolled with, so a restart without --server or mDNS finds it again. */
    server: Type.String({ minLength: 1 }),
    enrolledAt: Type.Integer(),
  },
  { additionalProperties: true },
);
export type StoredCredentials = Static<typeof StoredCredentialsSchema>;

export const CREDENTIALS_FILE = 'credentials.json';

/** Creates the state directory (mode 0700) and checks it is writable. */
export function ensureStateDir(stateDir: string): void {
  try {
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    accessSync(stateDir, constants.W_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new AgentError('STATE_DIR_UNUSABLE', `${stateDir}: ${code}; choose another with --state-dir or FLOTILLA_AGENT_STATE_DIR`);
  }
}

/** The stored credentials, or null when the device has not enrolled yet. */
export function readCredentials(stateDir: string): StoredCredentials | null {
  const path = join(stateDir, CREDENTIALS_FILE);
  if (!existsSync(path)) return null;
  const advice = `delete ${path} and enroll again with --enroll-token or --claim-code`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new AgentError('CREDENTIALS_CORRUPT', `${path} is not JSON (${(error as Error).message}); ${advice}`);
  }
  const firstError = Value.Errors(StoredCredentialsSchema, parsed).First();
  if (firstError) throw new AgentError('CREDENTIALS_CORRUPT', `${path}: ${firstError.path || 'document'} ${firstError.message}; ${advice}`);
  return parsed as StoredCredentials;
}

/** Writes the credentials atomically with mode 0600: a crash leaves the old file or the new one. */
export function writeCredentials(stateDir: string, credentials: StoredCredentials): void {
  const path = join(stateDir, CREDENTIALS_FILE);
  const temporary = `${path}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  // The mode of an existing temporary file is kept by writeFileSync; set it explicitly.
  chmodSync(temporary, 0o600);
  renameSync(temporary, path);
}
