import type { Device } from '@flotilla/protocol';
import { iso, isoOrNull, parseJsonObject } from '../store/json.js';
import type { DevicesTable } from '../store/schema.js';

/** A devices row as the API shows it (never the secret hash). */
export function toDevice(row: DevicesTable): Device {
  return {
    id: row.id,
    name: row.name,
    labels: parseJsonObject<Record<string, string>>(row.labels) ?? {},
    metadata: parseJsonObject(row.metadata) ?? {},
    online: row.online === 1,
    lastSeenAt: isoOrNull(row.last_seen_at),
    inventory: parseJsonObject(row.inventory),
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}
