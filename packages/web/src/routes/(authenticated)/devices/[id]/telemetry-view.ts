/** What the device page's telemetry section shows: time ranges, series for charts, values as text. */
import type { TelemetryPointItem } from '@flotilla/protocol';
import type { ChartAggregate, TimeRange } from '$lib/api/telemetry.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** The time ranges offered, each ending now. */
export const RANGE_PRESETS = [
  { id: '15m', label: '15m', ms: 15 * MINUTE },
  { id: '1h', label: '1h', ms: HOUR },
  { id: '6h', label: '6h', ms: 6 * HOUR },
  { id: '24h', label: '24h', ms: DAY },
  { id: '7d', label: '7d', ms: 7 * DAY },
  { id: '30d', label: '30d', ms: 30 * DAY },
] as const;

export type RangePresetId = (typeof RANGE_PRESETS)[number]['id'];
export type RangeChoice = RangePresetId | 'custom';

/** Ranges up to this long may be charted point by point; longer ones are aggregated. */
export const RAW_MAX_MS = 6 * HOUR;

/** How a chart reads its range: every point, or one aggregate per bucket. */
export type ChartMode = 'raw' | ChartAggregate;

export const MODE_LABELS: Record<ChartMode, string> = { raw: 'Raw points', avg: 'Average', min: 'Minimum', max: 'Maximum' };

/** The range of a preset ending at `now`. */
export function presetRange(id: RangePresetId, now = Date.now()): TimeRange {
  const preset = RANGE_PRESETS.find((candidate) => candidate.id === id) ?? RANGE_PRESETS[1];
  return { from: now - preset.ms, to: now };
}

/** The mode a range gets when the user has not chosen: raw for an hour or less, else averages. */
export function defaultMode(range: TimeRange): ChartMode {
  return range.to - range.from <= HOUR ? 'raw' : 'avg';
}

/** The mode to use: the chosen one, unless raw points were chosen for a range too long for them. */
export function effectiveMode(chosen: ChartMode, range: TimeRange): ChartMode {
  return chosen === 'raw' && range.to - range.from > RAW_MAX_MS ? 'avg' : chosen;
}

/** A stored value as a number for a chart: numbers, and booleans as 0/1; anything else is not charted. */
export function chartValue(value: unknown): number | null {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  return null;
}

/** Whether a value can be charted. */
export function isChartable(value: unknown): boolean {
  return chartValue(value) !== null;
}

/** One key's series: times (epoch ms, ascending) and values. */
export interface Series {
  xs: number[];
  ys: number[];
}

/** Splits raw points (by time, then key) into one series per wanted key; values that are not numbers are left out. */
export function seriesOfPoints(points: TelemetryPointItem[], keys: string[]): Record<string, Series> {
  const series: Record<string, Series> = Object.fromEntries(keys.map((key) => [key, { xs: [], ys: [] }]));
  for (const point of points) {
    const target = series[point.key];
    const value = chartValue(point.value);
    if (target && value !== null) {
      target.xs.push(point.ts);
      target.ys.push(value);
    }
  }
  return series;
}

/**
 * A series with live points added: kept in time order (a late point goes where it belongs, a
 * point at an existing time replaces it, as the server keeps one per time), and points before
 * `from` dropped so the window slides.
 */
export function appendPoints(series: Series, points: { ts: number; value: number }[], from: number): Series {
  const xs = [...series.xs];
  const ys = [...series.ys];
  for (const { ts, value } of points) {
    let index = xs.length;
    while (index > 0 && xs[index - 1]! > ts) index--;
    if (index > 0 && xs[index - 1] === ts) ys[index - 1] = value;
    else {
      xs.splice(index, 0, ts);
      ys.splice(index, 0, value);
    }
  }
  let start = 0;
  while (start < xs.length && xs[start]! < from) start++;
  return { xs: xs.slice(start), ys: ys.slice(start) };
}

const numberFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 3 });

/** A stored value as text: numbers in the reader's locale, objects and arrays as compact JSON. */
export function formatValue(value: unknown): string {
  if (typeof value === 'number') return numberFormat.format(value);
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 120 ? `${text.slice(0, 117)}…` : text;
}

/** A bucket size as words, e.g. 300000 → "5 min". */
export function formatBucket(ms: number): string {
  if (ms % DAY === 0) return `${ms / DAY} d`;
  if (ms % HOUR === 0) return `${ms / HOUR} h`;
  if (ms % MINUTE === 0) return `${ms / MINUTE} min`;
  return `${Math.round(ms / 1000)} s`;
}

/** An epoch-ms time as the value of a `datetime-local` input, in local time. */
export function toLocalInput(ms: number): string {
  const date = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** The value of a `datetime-local` input as epoch ms, or null when empty or not a time. */
export function fromLocalInput(text: string): number | null {
  if (!text) return null;
  const ms = new Date(text).getTime();
  return Number.isNaN(ms) ? null : ms;
}
