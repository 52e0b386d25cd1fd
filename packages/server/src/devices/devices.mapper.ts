import type { Device } from '@flotilla/protocol';
import { driftOf, type DriftColumns } from '../state/drift.js';
import { iso, isoOrNull, parseJsonObject } from '../store/json.js';
import type { DevicesTable } from '../store/schema.js';

/** A devices row LEFT JOINed with the drift columns of its state row (null without one). */
export type DeviceWithStateRow = DevicesTable & { [Column in keyof DriftColumns]: DriftColumns[Column] | null };

/** The drift columns of a joined row, or undefined when the device has no state row yet. */
function stateOf(row: DevicesTable | DeviceWithStateRow): DriftColumns | undefined {
  if (!('effective_version' in row) || row.effective_version === null) return undefined;
  return { effective_version: row.effective_version, applied_version: row.applied_version, applied_status: row.applied_status, applied_error: row.applied_error };
}

/**
 * A devices row as the API shows it (never the secret hash). A row without the joined state
 * columns (a device just created or claimed) shows no drift: it has no desired state yet.
 */
export function toDevice(row: DevicesTable | DeviceWithStateRow): Device {
  return {
    id: row.id,
    name: row.name,
    labels: parseJsonObject<Record<string, string>>(row.labels) ?? {},
    metadata: parseJsonObject(row.metadata) ?? {},
    online: row.online === 1,
    lastSeenAt: isoOrNull(row.last_seen_at),
    inventory: parseJsonObject(row.inventory),
    drift: driftOf(stateOf(row)),
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}
