/** Commands: send to a device or to every device a selector chooses, list, follow, cancel. */
import type { BulkCommandBody, BulkCommandReply, Command, CommandStatus, Page, SendCommandBody } from '@flotilla/protocol';
import { api } from './api.js';
import type { Fetch } from './client.js';
import { listDevices } from './devices.js';

/** Filters and paging of a command list. */
export interface CommandQuery {
  status?: CommandStatus | '';
  name?: string;
  deviceId?: string;
  batchId?: string;
  cursor?: string | null;
  limit?: number;
}

/** Sends a command to one device; it waits queued until the device takes it. */
export function sendCommand(fetch: Fetch, deviceId: string, body: SendCommandBody): Promise<Command> {
  return api.request(fetch, `/devices/${encodeURIComponent(deviceId)}/commands`, { method: 'POST', body });
}

/** Sends one command to each device a selector chooses. */
export function sendBulkCommand(fetch: Fetch, body: BulkCommandBody): Promise<BulkCommandReply> {
  return api.request(fetch, '/commands', { method: 'POST', body });
}

/** A page of one device's commands, newest first. */
export function listDeviceCommands(fetch: Fetch, deviceId: string, query: Omit<CommandQuery, 'deviceId' | 'batchId'> = {}): Promise<Page<Command>> {
  return api.request(fetch, `/devices/${encodeURIComponent(deviceId)}/commands`, { query: { ...query } });
}

/** A page of the tenant's commands, newest first. */
export function listCommands(fetch: Fetch, query: CommandQuery = {}): Promise<Page<Command>> {
  return api.request(fetch, '/commands', { query: { ...query } });
}

/** One command with its result. */
export function getCommand(fetch: Fetch, id: string): Promise<Command> {
  return api.request(fetch, `/commands/${encodeURIComponent(id)}`);
}

/** Cancels a command the device has not acknowledged yet. */
export function cancelCommand(fetch: Fetch, id: string): Promise<Command> {
  return api.request(fetch, `/commands/${encodeURIComponent(id)}/cancel`, { method: 'POST' });
}

/**
 * How many devices a selector chooses, counting up to `atMost` (the API has no count, so the
 * device list is paged through; a bulk send is refused beyond 1,000 devices anyway).
 */
export async function countDevices(fetch: Fetch, selector: string, atMost: number): Promise<{ count: number; isMore: boolean }> {
  let count = 0;
  let cursor: string | undefined;
  do {
    const page = await listDevices(fetch, { selector, limit: 500, cursor });
    count += page.items.length;
    cursor = page.nextCursor ?? undefined;
  } while (cursor && count <= atMost);
  return { count: Math.min(count, atMost), isMore: count > atMost };
}
