/** Desired state of one device: its own layer, the effective document, history, and drift. */
import type { DeviceState, Page, StateDiff, StateDriftItem, StateRevision } from '@flotilla/protocol';
import { api } from './api.js';
import type { Fetch } from './client.js';

function statePath(deviceId: string, rest = ''): string {
  return `/devices/${encodeURIComponent(deviceId)}/state${rest}`;
}

/** A device's layer, effective document with provenance, reported document and drift. */
export function getDeviceState(fetch: Fetch, deviceId: string): Promise<DeviceState> {
  return api.request<DeviceState>(fetch, statePath(deviceId));
}

/**
 * Replaces the device's own layer's document (its schema stays); a new revision.
 * `{"$secret":true}` keeps a stored secret. With `expectedRevision`, a layer saved by someone
 * else meanwhile refuses the write (STATE_REVISION_CONFLICT).
 */
export function putDeviceState(fetch: Fetch, deviceId: string, input: { state: Record<string, unknown>; message?: string }, expectedRevision?: number): Promise<DeviceState> {
  return api.request<DeviceState>(fetch, statePath(deviceId), { method: 'PUT', body: input, ifMatch: expectedRevision });
}

/** A page of the device layer's revisions, newest first. */
export function getDeviceStateHistory(fetch: Fetch, deviceId: string, cursor?: string | null): Promise<Page<StateRevision>> {
  return api.request(fetch, statePath(deviceId, '/history'), { query: { cursor, limit: 20 } });
}

/** What changed between two revisions of the device layer (0 is the empty start). */
export function getDeviceStateDiff(fetch: Fetch, deviceId: string, from: number, to: number): Promise<StateDiff> {
  return api.request(fetch, statePath(deviceId, '/diff'), { query: { from, to } });
}

/** Makes a new revision of the device layer with an old one's content. */
export function revertDeviceState(fetch: Fetch, deviceId: string, revision: number, message?: string): Promise<DeviceState> {
  return api.request(fetch, statePath(deviceId, '/revert'), { method: 'POST', body: { revision, message } });
}

/** Devices in drift per page of the Drift view. */
export const DRIFT_PAGE_SIZE = 100;

/** A page of devices in drift (behind their desired version, or failed to apply it), by id. */
export function listDrift(fetch: Fetch, query: { selector?: string; cursor?: string | null; limit?: number } = {}): Promise<Page<StateDriftItem>> {
  return api.request(fetch, '/state/drift', { query: { ...query } });
}
