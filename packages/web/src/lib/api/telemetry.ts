/** One device's telemetry: its latest values, raw points and aggregates over a range, CSV export. */
import type { Device, Page, TelemetryAggregateReply, TelemetryLatestItem, TelemetryPointItem } from '@flotilla/protocol';
import { api } from './api.js';
import type { Fetch } from './client.js';

/** Aggregates the dashboard charts. */
export type ChartAggregate = 'avg' | 'min' | 'max';

/** The latest value of one key. */
export interface LatestValue {
  ts: number;
  value: unknown;
}

/** The latest value of every key of a device. */
export async function getLatestValues(fetch: Fetch, device: Pick<Device, 'id'>): Promise<Record<string, LatestValue>> {
  const page: Page<TelemetryLatestItem> = await api.request(fetch, '/telemetry/latest', { query: { devices: device.id } });
  return page.items[0]?.values ?? {};
}

/** A time range in epoch milliseconds, `[from, to)`. */
export interface TimeRange {
  from: number;
  to: number;
}

/** Raw points read at most for a chart; beyond this the dashboard asks for an aggregate. */
export const RAW_POINT_LIMIT = 20_000;

/** Raw points of some keys over a range, oldest first, following pages up to `RAW_POINT_LIMIT`. */
export async function getRawPoints(
  fetch: Fetch,
  deviceId: string,
  keys: string[],
  range: TimeRange,
): Promise<{ points: TelemetryPointItem[]; isTruncated: boolean }> {
  const points: TelemetryPointItem[] = [];
  let cursor: string | null = null;
  do {
    const page: Page<TelemetryPointItem> = await api.request(fetch, `/devices/${encodeURIComponent(deviceId)}/telemetry`, {
      query: { keys: keys.join(','), from: range.from, to: range.to, limit: 10_000, cursor },
    });
    points.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor && points.length < RAW_POINT_LIMIT);
  return { points, isTruncated: cursor !== null };
}

/** Aggregates of some keys per time bucket the server picks (100–500 over the range). */
export function getAggregates(
  fetch: Fetch,
  deviceId: string,
  keys: string[],
  range: TimeRange,
  agg: ChartAggregate,
): Promise<TelemetryAggregateReply> {
  return api.request(fetch, `/devices/${encodeURIComponent(deviceId)}/telemetry`, {
    query: { keys: keys.join(','), from: range.from, to: range.to, agg, bucket: 'auto' },
  });
}

/** The query of a CSV export: raw points, or aggregates when `agg` is given. */
export function csvQuery(keys: string[], range: TimeRange, agg: ChartAggregate | null): Record<string, string | number | undefined> {
  return { keys: keys.join(','), from: range.from, to: range.to, agg: agg ?? undefined, bucket: agg ? 'auto' : undefined };
}

/** The address of a device's CSV export (it needs the Bearer token, see `downloadCsv`). */
export function csvUrl(deviceId: string, query: Record<string, string | number | undefined>): string {
  return api.url(`/devices/${encodeURIComponent(deviceId)}/telemetry.csv`, query);
}

/**
 * Downloads a device's telemetry as a CSV file. The export needs the session's token, which a
 * plain link cannot send, so the file is fetched and handed to the browser as a blob.
 */
export async function downloadCsv(fetch: Fetch, deviceId: string, query: Record<string, string | number | undefined>, filename: string): Promise<void> {
  const blob = await api.requestBlob(fetch, `/devices/${encodeURIComponent(deviceId)}/telemetry.csv`, { query });
  const href = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = href;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(href), 10_000);
}
