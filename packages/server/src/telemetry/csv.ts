/**
 * CSV export of telemetry (RFC 4180): raw points as `time,key,value`, aggregates as
 * `time,key,<agg>`. Raw exports stream page by page, so a long range never sits in memory.
 */
import type { TelemetryAggregateReply } from '@flotilla/protocol';
import type { PointsQuery, TelemetryService } from './telemetry.service.js';

const EXPORT_PAGE = 5000;

/** A field quoted when it needs to be; JSON values are written as their JSON text. */
export function csvField(value: unknown): string {
  const text = typeof value === 'string' ? value : typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function line(ts: number, key: string, value: unknown): string {
  return `${new Date(ts).toISOString()},${csvField(key)},${csvField(value)}\r\n`;
}

/** Every raw point of the query, as CSV lines, the header first. Fails before the first line on bad input. */
export async function rawCsv(service: TelemetryService, tenantId: string, deviceId: string, query: PointsQuery): Promise<AsyncIterable<string>> {
  const now = Date.now();
  const firstPage = await service.pointsPage(tenantId, deviceId, { ...query, limit: EXPORT_PAGE }, now);
  return (async function* lines() {
    yield 'time,key,value\r\n';
    let page = firstPage;
    for (;;) {
      yield page.items.map((item) => line(item.ts, item.key, item.value)).join('');
      if (!page.nextCursor) return;
      page = await service.pointsPage(tenantId, deviceId, { ...query, limit: EXPORT_PAGE, cursor: page.nextCursor }, now);
    }
  })();
}

/** An aggregate answer as CSV text, ordered by time then key. */
export function aggregateCsv(reply: TelemetryAggregateReply): string {
  const rows = reply.series.flatMap((series) => series.points.map((point) => ({ key: series.key, ...point })));
  rows.sort((a, b) => a.ts - b.ts || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return `time,key,${reply.agg}\r\n${rows.map((row) => line(row.ts, row.key, row.value)).join('')}`;
}
