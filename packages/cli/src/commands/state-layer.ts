/** Reading and writing a device's own layer of desired state, for `state set` and `state edit`. */
import type { DeviceState } from '@flotilla/protocol';
import type { ApiClient } from '../client.js';
import { segment } from './shared.js';

/** The API path of a device's state. */
export const statePath = (deviceId: string) => `/devices/${segment(deviceId)}/state`;

/** What a write of the device layer carries. */
export interface LayerWrite {
  document: Record<string, unknown>;
  /** The settings schema: null for none, undefined to keep the current one. */
  schema: Record<string, unknown> | null | undefined;
  message: string | undefined;
  isMerge: boolean;
}

/**
 * Writes the device layer: a merge patch with PATCH, or a whole document with PUT. PUT replaces
 * the schema too, so the current one is sent along unless a new one was given.
 */
export async function writeLayer(client: ApiClient, deviceId: string, { document, schema, message, isMerge }: LayerWrite): Promise<DeviceState> {
  const path = statePath(deviceId);
  const extra = { ...(message !== undefined ? { message } : {}) };
  if (isMerge) return client.patch<DeviceState>(path, { state: document, ...(schema !== undefined ? { schema } : {}), ...extra });
  const kept = schema === undefined ? (await client.get<DeviceState>(path)).layer.schema : schema;
  return client.put<DeviceState>(path, { state: document, ...(kept ? { schema: kept } : {}), ...extra });
}
