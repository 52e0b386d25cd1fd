import type { EventLevel, EventSource, StoredEvent } from '@flotilla/protocol';
import { iso, parseJsonObject } from '../store/json.js';
import type { EventRow } from './events.repository.js';

/** An events row as the API shows it. */
export function toStoredEvent(row: EventRow): StoredEvent {
  return {
    id: String(row.seq),
    deviceId: row.device_id,
    ts: iso(row.ts),
    kind: row.kind,
    level: row.level as EventLevel,
    message: row.message,
    data: parseJsonObject(row.data) ?? {},
    source: row.source as EventSource,
  };
}
