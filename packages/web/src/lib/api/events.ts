/** Device events: what happened on a device, from the device itself or noticed by the server. */
import type { EventLevel, EventPage, EventSource } from '@flotilla/protocol';
import { api } from './api.js';
import type { Fetch } from './client.js';

/** Filters and paging of an event list; empty values are left out of the query. */
export interface EventQuery {
  /** ISO 8601; `from` is included, `to` is not. */
  from?: string;
  to?: string;
  /** A kind, or a prefix ending in `*` (`app.*`). */
  kind?: string;
  /** This level and above. */
  level?: EventLevel | '';
  source?: EventSource | '';
  cursor?: string | null;
  limit?: number;
}

/** A page of one device's events, newest first. */
export function listDeviceEvents(fetch: Fetch, deviceId: string, query: EventQuery = {}): Promise<EventPage> {
  return api.request(fetch, `/devices/${encodeURIComponent(deviceId)}/events`, { query: { ...query } });
}

/** A page of the tenant's events, of the devices a label selector chooses, newest first. */
export function listEvents(fetch: Fetch, query: EventQuery & { selector?: string } = {}): Promise<EventPage> {
  return api.request(fetch, '/events', { query: { ...query } });
}
