/** Pure text formatting for human output: aligned tables, relative times, labels. */

/** A column of a table: its heading and how to get a cell's text from a row. */
export interface Column<Row> {
  heading: string;
  cell(row: Row): string;
}

const GAP = '  ';

/**
 * Lays rows out under upper-case headings, each column as wide as its widest cell, two spaces
 * apart. The last column is not padded, so lines carry no trailing spaces.
 */
export function formatTable<Row>(columns: readonly Column<Row>[], rows: readonly Row[]): string {
  const grid = [columns.map((column) => column.heading.toUpperCase()), ...rows.map((row) => columns.map((column) => oneLine(column.cell(row))))];
  const widths = columns.map((_, index) => Math.max(...grid.map((cells) => width(cells[index] ?? ''))));
  return grid
    .map((cells) =>
      cells
        .map((cell, index) => (index === cells.length - 1 ? cell : cell + ' '.repeat((widths[index] ?? 0) - width(cell))))
        .join(GAP)
        .trimEnd(),
    )
    .join('\n');
}

/** Lays out `label: value` pairs with the values aligned, for a single resource. */
export function formatDetails(pairs: readonly (readonly [string, string])[]): string {
  const labelWidth = Math.max(0, ...pairs.map(([label]) => width(label) + 1));
  return pairs
    .map(([label, value]) => {
      const [first = '', ...rest] = value.split('\n');
      const indent = ' '.repeat(labelWidth + 1);
      return [`${`${label}:`.padEnd(labelWidth)} ${first}`.trimEnd(), ...rest.map((line) => indent + line)].join('\n');
    })
    .join('\n');
}

// Code points, not UTF-16 units, so names with accents line up.
function width(text: string): number {
  return [...text].length;
}

// A newline or tab inside a cell would break the grid.
function oneLine(text: string): string {
  return text.replace(/[\t\r\n]+/g, ' ');
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * A time relative to now, short as kubectl's AGE: `45s ago`, `3m ago`, `5h ago`, `12d ago`,
 * `in 29d`. Null (never happened, never expires) shows as `-`.
 */
export function formatRelative(iso: string | null | undefined, now: number = Date.now()): string {
  if (!iso) return '-';
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return iso;
  const difference = now - at;
  if (Math.abs(difference) < SECOND) return 'just now';
  // Ages round down, as kubectl's do; what remains rounds to nearest, so a token made to last
  // 30d reads `in 30d` rather than `in 29d` a moment later.
  return difference > 0 ? `${formatSpan(difference, Math.floor)} ago` : `in ${formatSpan(-difference, Math.round)}`;
}

function formatSpan(milliseconds: number, round: (value: number) => number): string {
  if (milliseconds < MINUTE) return `${round(milliseconds / SECOND)}s`;
  if (milliseconds < HOUR) return `${round(milliseconds / MINUTE)}m`;
  if (milliseconds < 2 * DAY) return `${round(milliseconds / HOUR)}h`;
  return `${round(milliseconds / DAY)}d`;
}

/** Labels as `key=value,…` sorted by key, or `-` when there are none. */
export function formatLabels(labels: Readonly<Record<string, string>>): string {
  const keys = Object.keys(labels).sort();
  return keys.length === 0 ? '-' : keys.map((key) => `${key}=${labels[key]}`).join(',');
}

/** A timestamp with its relative time: `2026-05-01T10:00:00.000Z (3h ago)`, or `-`. */
export function formatTimestamp(iso: string | null | undefined, now: number = Date.now()): string {
  return iso ? `${iso} (${formatRelative(iso, now)})` : '-';
}

/** A telemetry value as text: numbers, booleans and strings as they are, JSON as compact JSON. */
export function formatValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null) return JSON.stringify(value);
  return String(value);
}

/** The local time of day of epoch milliseconds, `12:00:01`, for lines of a live stream. */
export function formatClock(ms: number): string {
  const at = new Date(ms);
  return [at.getHours(), at.getMinutes(), at.getSeconds()].map((part) => String(part).padStart(2, '0')).join(':');
}

/** Milliseconds in the largest unit that divides them: `30s`, `5m`, `1h`. */
export function formatDurationMs(milliseconds: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (milliseconds % size === 0) return `${milliseconds / size}${unit}`;
  }
  return `${milliseconds}ms`;
}
