import type { Migration } from 'kysely';
import * as initial from './0001-initial.js';

/** Every migration in order. One set serves SQLite and PostgreSQL; new ones are appended. */
export const migrations: Record<string, Migration> = {
  '0001-initial': initial,
};
