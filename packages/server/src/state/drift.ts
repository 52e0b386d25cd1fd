/**
 * Drift, defined once: in code for one state row (`driftOf`) and in SQL for lists that filter on
 * it (`inDriftSql`). A device is in drift when it has not reported applying its desired version
 * (nothing applied, or an older version) or reported that applying failed; version 0 (nothing
 * declared) is never drift.
 */
import type { StateDrift } from '@flotilla/protocol';
import { sql, type RawBuilder, type SqlBool } from 'kysely';
import type { DeviceStatesTable } from '../store/schema.js';

/** The columns of a state row that drift is computed from. */
export type DriftColumns = Pick<DeviceStatesTable, 'effective_version' | 'applied_version' | 'applied_status' | 'applied_error'>;

/** Whether a device is in drift, and why; a device without a state row is not. */
export function driftOf(row: DriftColumns | undefined): StateDrift {
  const desiredVersion = row?.effective_version ?? 0;
  const appliedVersion = row?.applied_version ?? null;
  const appliedStatus = row?.applied_status ?? null;
  let reason: string | null = null;
  if (appliedStatus === 'failed') {
    reason = `applying version ${appliedVersion} failed${row?.applied_error ? `: ${row.applied_error}` : ''}`;
  } else if (desiredVersion > 0 && appliedVersion === null) {
    reason = `the device has not reported applying any version; desired is ${desiredVersion}`;
  } else if (appliedVersion !== null && appliedVersion < desiredVersion) {
    reason = `applied version ${appliedVersion} is behind desired version ${desiredVersion}${appliedStatus === 'applying' ? ' (applying)' : ''}`;
  }
  return { inDrift: reason !== null, reason, desiredVersion, appliedVersion, appliedStatus };
}

/**
 * The same test as driftOf over the `device_states` row aliased `alias`, never null: a device
 * LEFT JOINed without a state row is not in drift. The text is the same on both dialects.
 */
export function inDriftSql(alias: string): RawBuilder<SqlBool> {
  const column = (name: string) => sql.ref(`${alias}.${name}`);
  return sql<SqlBool>`coalesce(${column('applied_status')} = 'failed' or (${column('effective_version')} > 0 and (${column('applied_version')} is null or ${column('applied_version')} < ${column('effective_version')})), false)`;
}
