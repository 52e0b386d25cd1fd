/**
 * How device events read in the dashboard: the kind filter checked as it is typed, the level
 * filter, badges, and live `deviceEvent`s turned into list rows and merged at the top.
 */
import { EVENT_LEVELS, type EventLevel, type LiveServerMessage, type StoredEvent } from '@flotilla/protocol';

/** A live `deviceEvent`. */
export type LiveDeviceEvent = Extract<LiveServerMessage, { type: 'deviceEvent' }>;

/** What a list shows: a kind or a prefix ending in `*`, and the lowest level. */
export interface EventFilter {
  kind: string;
  level: EventLevel | '';
}

// The server's own rule for `kind` (packages/protocol EventsQuerySchema), plus `*` only at the end.
const kindFilterPattern = /^[a-z*][a-z0-9._:/*-]{0,63}$/;

/** What is wrong with a typed kind filter, or null when the server will take it (empty means any kind). */
export function kindFilterProblem(text: string): string | null {
  const kind = text.trim();
  if (kind === '') return null;
  if (!kindFilterPattern.test(kind)) return 'use lower-case letters, digits and ._:/- (at most 64), e.g. app.crashed or app.*';
  if (kind.slice(0, -1).includes('*')) return '* may only end a prefix, e.g. app.*';
  return null;
}

/** True when an event's level is `minimum` or above; an empty minimum takes every level. */
export function isAtLeast(level: EventLevel, minimum: EventLevel | ''): boolean {
  return minimum === '' || EVENT_LEVELS.indexOf(level) >= EVENT_LEVELS.indexOf(minimum);
}

/** True when a kind matches a filter: equal, or starting with the prefix before a final `*`. */
export function matchesKind(kind: string, filter: string): boolean {
  const wanted = filter.trim();
  if (wanted === '') return true;
  return wanted.endsWith('*') ? kind.startsWith(wanted.slice(0, -1)) : kind === wanted;
}

/** True when an event belongs in a list shown with this filter. */
export function matchesFilter(event: Pick<StoredEvent, 'kind' | 'level'>, filter: EventFilter): boolean {
  return matchesKind(event.kind, filter.kind) && isAtLeast(event.level, filter.level);
}

/**
 * A live event as a list row. The stream carries no stored id, so the row gets a local one;
 * older servers left level, message and source out of their own notices.
 */
export function rowOfLiveEvent(event: LiveDeviceEvent, localId: string): StoredEvent {
  return {
    id: localId,
    deviceId: event.deviceId,
    ts: new Date(event.at).toISOString(),
    kind: event.kind,
    level: event.level ?? 'info',
    message: event.message ?? '',
    data: event.data,
    source: event.source ?? 'server',
  };
}

function isSameEvent(a: StoredEvent, b: StoredEvent): boolean {
  return a.deviceId === b.deviceId && a.ts === b.ts && a.kind === b.kind && a.source === b.source && a.message === b.message;
}

/**
 * The list with a live row added in time order (newest first). A row the list already holds
 * (read by a load that raced the stream) is not added twice.
 */
export function addLiveRow(rows: readonly StoredEvent[], row: StoredEvent): StoredEvent[] {
  if (rows.some((existing) => isSameEvent(existing, row))) return [...rows];
  const at = rows.findIndex((existing) => existing.ts <= row.ts);
  return at === -1 ? [...rows, row] : [...rows.slice(0, at), row, ...rows.slice(at)];
}

/** The colour of a level badge. */
export function levelTone(level: EventLevel): '' | 'accent' | 'warning' | 'danger' {
  if (level === 'error') return 'danger';
  if (level === 'warn') return 'warning';
  if (level === 'info') return 'accent';
  return '';
}

/** True when an event has data worth opening. */
export function hasData(event: Pick<StoredEvent, 'data'>): boolean {
  return Object.keys(event.data).length > 0;
}
