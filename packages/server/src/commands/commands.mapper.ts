import type { Command, CommandMessage, CommandStatus } from '@flotilla/protocol';
import { iso, isoOrNull, parseJsonObject } from '../store/json.js';
import type { NewCommandRow } from './commands.repository.js';

function parseOutput(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

/** A commands row as the API shows it, with its device's name (null once the device left the tenant). */
export function toCommand(row: NewCommandRow, deviceName: string | null): Command {
  return {
    id: row.id,
    deviceId: row.device_id,
    deviceName,
    batchId: row.batch_id,
    name: row.name,
    params: parseJsonObject(row.params) ?? {},
    status: row.status as CommandStatus,
    timeoutMs: row.timeout_ms,
    expiresAt: isoOrNull(row.expires_at),
    createdBy: row.created_by,
    createdAt: iso(row.created_at),
    sentAt: isoOrNull(row.sent_at),
    acknowledgedAt: isoOrNull(row.acknowledged_at),
    finishedAt: isoOrNull(row.finished_at),
    output: parseOutput(row.output),
    error: row.error,
  };
}

/** A commands row as its device receives it (MQTT and HTTP alike). */
export function toCommandMessage(row: NewCommandRow): CommandMessage {
  return {
    id: row.id,
    name: row.name,
    params: parseJsonObject(row.params) ?? {},
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    timeoutMs: row.timeout_ms,
  };
}
