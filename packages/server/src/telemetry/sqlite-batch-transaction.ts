/**
 * The SQLite batch transaction: prepared better-sqlite3 statements run synchronously inside one
 * transaction. Going through Kysely instead costs a compiled query and a promise per row, which
 * measured several times slower (BENCHMARKS.md); this is the one hot path that skips it. It runs
 * in the writer's worker thread (sqlite-batch-writer.ts).
 */
import type SQLite from 'better-sqlite3';
import { InternCache, keepNewest, lastSeenByDevice, type LatestCandidate, type TelemetrySubmission } from './batch-writer.js';
import { encodeValue } from './values.js';

/**
 * Prepares the batch transaction on an open, migrated SQLite connection. The function returned
 * writes a batch synchronously in one transaction and returns the newest point of each series
 * it wrote; it throws (having rolled back) when the transaction fails.
 */
export function createSqliteBatchTransaction(sqlite: SQLite.Database): (batch: readonly TelemetrySubmission[]) => LatestCandidate[] {
  const statements = prepare(sqlite);
  const keys = new InternCache();
  const devices = new InternCache();

  const internKey = (name: string): number => {
    const known = keys.get(name);
    if (known !== undefined) return known;
    statements.insertKey.run(name);
    const id = statements.selectKey.get(name) as number;
    keys.stage(name, id);
    return id;
  };
  const internDevice = (deviceId: string): number => {
    const known = devices.get(deviceId);
    if (known !== undefined) return known;
    statements.insertDevice.run(deviceId);
    const ref = statements.selectDevice.get(deviceId) as number;
    devices.stage(deviceId, ref);
    return ref;
  };

  const writeAll = sqlite.transaction((batch: readonly TelemetrySubmission[]) => {
    const latest = new Map<number, LatestCandidate>();
    for (const submission of batch) {
      const deviceRef = internDevice(submission.deviceId);
      for (const point of submission.points) {
        const keyId = internKey(point.key);
        const value = encodeValue(point.value);
        statements.insertPoint.run(deviceRef, keyId, point.ts, value.num, value.text, value.type);
        keepNewest(latest, deviceRef, keyId, point);
      }
    }
    for (const { deviceRef, keyId, point } of latest.values()) {
      const value = encodeValue(point.value);
      statements.upsertLatest.run(deviceRef, keyId, point.ts, value.num, value.text, value.type);
    }
    for (const [deviceId, seenAt] of lastSeenByDevice(batch)) statements.touchDevice.run(seenAt, deviceId, seenAt);
    return latest;
  });

  return (batch) => {
    let latest: Map<number, LatestCandidate>;
    try {
      latest = writeAll(batch);
    } catch (error) {
      keys.rollback();
      devices.rollback();
      throw error;
    }
    keys.commit();
    devices.commit();
    return [...latest.values()];
  };
}

function prepare(sqlite: SQLite.Database) {
  return {
    insertPoint: sqlite.prepare(
      `insert into telemetry_points (device_ref, key_id, ts, value_num, value_text, value_type)
       values (?, ?, ?, ?, ?, ?) on conflict do nothing`,
    ),
    upsertLatest: sqlite.prepare(
      `insert into telemetry_latest (device_ref, key_id, ts, value_num, value_text, value_type)
       values (?, ?, ?, ?, ?, ?)
       on conflict (device_ref, key_id) do update set
         ts = excluded.ts, value_num = excluded.value_num, value_text = excluded.value_text, value_type = excluded.value_type
       where excluded.ts > telemetry_latest.ts`,
    ),
    insertKey: sqlite.prepare('insert into telemetry_keys (name) values (?) on conflict (name) do nothing'),
    selectKey: sqlite.prepare('select id from telemetry_keys where name = ?').pluck(),
    insertDevice: sqlite.prepare('insert into telemetry_devices (device_id) values (?) on conflict (device_id) do nothing'),
    selectDevice: sqlite.prepare('select ref from telemetry_devices where device_id = ?').pluck(),
    touchDevice: sqlite.prepare('update devices set last_seen_at = ? where id = ? and (last_seen_at is null or last_seen_at < ?)'),
  };
}
