/** The device registry. */
import type { Device, Labels, Page } from '@flotilla/protocol';
import { api } from './api.js';
import type { Fetch } from './client.js';

/** Columns the device list sorts by; `-` in front sorts descending. */
export type DeviceSortKey = 'name' | 'createdAt' | 'updatedAt' | 'lastSeenAt';
export type DeviceSort = DeviceSortKey | `-${DeviceSortKey}`;

/** The drift filter of the device list; empty for every device. */
export type DriftFilter = 'true' | 'false' | '';

/** Filters and paging of the device list. */
export interface DeviceQuery {
  selector?: string;
  q?: string;
  /** 'true': only devices in drift; 'false': only the others. */
  drift?: DriftFilter;
  sort?: DeviceSort;
  cursor?: string;
  limit?: number;
}

/** A page of devices matching the query. */
export function listDevices(fetch: Fetch, query: DeviceQuery = {}): Promise<Page<Device>> {
  return api.request<Page<Device>>(fetch, '/devices', { query: { ...query } });
}

/** One device. */
export function getDevice(fetch: Fetch, id: string): Promise<Device> {
  return api.request<Device>(fetch, `/devices/${encodeURIComponent(id)}`);
}

/** Registers a device; the answer holds its secret, which is never shown again. */
export function createDevice(
  fetch: Fetch,
  input: { name: string; labels?: Labels; metadata?: Record<string, unknown> },
): Promise<{ device: Device; secret: string }> {
  return api.request(fetch, '/devices', { method: 'POST', body: input });
}

/** Changes a device: labels and metadata merge, and a `null` value removes the key. */
export function updateDevice(
  fetch: Fetch,
  id: string,
  patch: { name?: string; labels?: Record<string, string | null>; metadata?: Record<string, unknown> },
): Promise<Device> {
  return api.request<Device>(fetch, `/devices/${encodeURIComponent(id)}`, { method: 'PATCH', body: patch });
}

/** Removes a device. */
export function deleteDevice(fetch: Fetch, id: string): Promise<void> {
  return api.request<void>(fetch, `/devices/${encodeURIComponent(id)}`, { method: 'DELETE' });
}

/** Gives a device a new secret; the old one stops working at once. */
export function rotateDeviceSecret(fetch: Fetch, id: string): Promise<{ secret: string }> {
  return api.request(fetch, `/devices/${encodeURIComponent(id)}/secret`, { method: 'POST' });
}
