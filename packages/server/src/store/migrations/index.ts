import type { Migration } from 'kysely';
import * as initial from './0001-initial.js';
import * as telemetry from './0002-telemetry.js';
import * as state from './0003-state.js';
import * as commands from './0004-commands.js';
import * as deviceEvents from './0005-device-events.js';

/** Every migration in order. One set serves SQLite and PostgreSQL; new ones are appended. */
export const migrations: Record<string, Migration> = {
  '0001-initial': initial,
  '0002-telemetry': telemetry,
  '0003-state': state,
  '0004-commands': commands,
  '0005-device-events': deviceEvents,
};
