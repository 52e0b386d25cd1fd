/**
 * The latest value of each series, kept in memory on SQLite (ARCHITECTURE.md: "latest values:
 * in memory" in the one-process default). `telemetry_latest` stays the durable copy, written in
 * the ingest transaction; this mirrors it so that the fleet's latest values are read without
 * turning 30,000 rows into objects on every request (BENCHMARKS.md).
 *
 * It is coherent because on SQLite exactly one process writes: devices are loaded from the
 * table on first read, and the SQLite writer applies each batch after it commits, with the same
 * only-forward rule as the table. Several instances on PostgreSQL read the table instead.
 */
import type SQLite from 'better-sqlite3';
import type { LatestCandidate } from './batch-writer.js';
import { encodeValue } from './values.js';

/** A series' latest point, as stored, with its key's name. */
export interface CachedPoint {
  key: string;
  keyId: number;
  ts: number;
  num: number | null;
  text: string | null;
  type: number;
}

/** Latest points of one device, sorted by key name (as answers list them). */
export type DeviceLatest = CachedPoint[];

/** Past this many series cached, the cache starts over (and reloads what it is asked for). */
const MAX_SERIES = 2_000_000;

type LatestRow = { key_id: number; key: string; ts: number; value_num: number | null; value_text: string | null; value_type: number };

/** Creates the cache over an open, migrated SQLite database. */
export function createLatestCache(sqlite: SQLite.Database) {
  const devices = new Map<number, DeviceLatest>();
  let seriesCount = 0;
  const selectDevice = sqlite.prepare(
    `select l.key_id, k.name as key, l.ts, l.value_num, l.value_text, l.value_type
     from telemetry_latest l join telemetry_keys k on k.id = l.key_id where l.device_ref = ? order by k.name`,
  );

  function load(deviceRef: number): DeviceLatest {
    const rows = selectDevice.all(deviceRef) as LatestRow[];
    const latest = rows.map((row) => ({ key: row.key, keyId: row.key_id, ts: row.ts, num: row.value_num, text: row.value_text, type: row.value_type }));
    if (seriesCount + latest.length > MAX_SERIES) {
      devices.clear();
      seriesCount = 0;
    }
    devices.set(deviceRef, latest);
    seriesCount += latest.length;
    return latest;
  }

  return {
    /** Latest points of a device, loaded from the table the first time. */
    of(deviceRef: number): DeviceLatest {
      return devices.get(deviceRef) ?? load(deviceRef);
    },

    /** Applies a committed batch's newest points; devices not loaded yet are read later. */
    apply(candidates: Iterable<LatestCandidate>): void {
      for (const { deviceRef, keyId, point } of candidates) {
        const latest = devices.get(deviceRef);
        if (!latest) continue;
        const current = latest.find((entry) => entry.keyId === keyId);
        if (current && current.ts >= point.ts) continue;
        const value = encodeValue(point.value);
        if (current) {
          Object.assign(current, { ts: point.ts, num: value.num, text: value.text, type: value.type });
          continue;
        }
        latest.push({ key: point.key, keyId, ts: point.ts, num: value.num, text: value.text, type: value.type });
        latest.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
        seriesCount++;
      }
    },

    /** Drops a device (retention removed its telemetry). */
    forget(deviceRef: number): void {
      seriesCount -= devices.get(deviceRef)?.length ?? 0;
      devices.delete(deviceRef);
    },
  };
}

/** The cache's interface. */
export type LatestCache = ReturnType<typeof createLatestCache>;
