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
  /** The layer revision the document was edited from; the server refuses the write if it moved on. */
  expectedRevision?: number;
}

/**
 * Writes the device layer: a merge patch with PATCH, or a whole document with PUT. Both keep
 * the layer's schema unless one is given (null removes it).
 */
export async function writeLayer(client: ApiClient, deviceId: string, { document, schema, message, isMerge, expectedRevision }: LayerWrite): Promise<DeviceState> {
  const path = statePath(deviceId);
  const body = { state: document, ...(schema !== undefined ? { schema } : {}), ...(message !== undefined ? { message } : {}) };
  const options = { ifMatch: expectedRevision };
  return isMerge ? client.patch<DeviceState>(path, body, options) : client.put<DeviceState>(path, body, options);
}
