/**
 * The PostgreSQL batch writer. Each table gets one statement per batch whatever its size: the
 * columns travel as arrays and `unnest` turns them back into rows, so the statement text and
 * parameter count stay constant. New devices and keys are interned first, in their own short
 * statements, so the batch transaction only appends.
 */
import { sql, type Kysely } from 'kysely';
import type { Logger } from '../log.js';
import type { Database } from '../store/schema.js';
import {
  InternCache,
  keepNewest,
  lastSeenByDevice,
  type BatchWriter,
  type LatestCandidate,
  type TelemetrySubmission,
} from './batch-writer.js';
import { createPartitions, isMissingPartition, readLayout, type TelemetryLayout } from './partitions.js';
import { encodeValue } from './values.js';

/** Column arrays of a set of point rows. */
interface Columns {
  refs: number[];
  keyIds: number[];
  times: number[];
  nums: (number | null)[];
  texts: (string | null)[];
  types: number[];
}

/** Creates the writer over an open, migrated PostgreSQL store. */
export function createPostgresBatchWriter(db: Kysely<Database>, log: Logger): BatchWriter {
  const keys = new InternCache();
  const devices = new InternCache();
  const partitions = createPartitions(db);
  let layout: TelemetryLayout | null = null;

  return {
    async write(batch) {
      layout ??= await readLayout(db);
      await intern(db, devices, keys, batch);
      const points = emptyColumns();
      const latest = new Map<number, LatestCandidate>();
      for (const submission of batch) {
        const deviceRef = devices.get(submission.deviceId) as number;
        for (const point of submission.points) {
          const keyId = keys.get(point.key) as number;
          push(points, deviceRef, keyId, point.ts, point.value);
          keepNewest(latest, deviceRef, keyId, point);
        }
      }
      if (layout === 'partitioned') await partitions.ensureFor(points.times);
      // Rows locked in one order by every instance cannot deadlock each other.
      const newest = [...latest.values()].sort((a, b) => a.deviceRef - b.deviceRef || a.keyId - b.keyId);
      const latestColumns = emptyColumns();
      for (const { deviceRef, keyId, point } of newest) push(latestColumns, deviceRef, keyId, point.ts, point.value);
      const seen = [...lastSeenByDevice(batch)].sort(([a], [b]) => (a < b ? -1 : 1));
      const commit = () =>
        db.transaction().execute(async (trx) => {
          await insertPoints(trx, points);
          await upsertLatest(trx, latestColumns);
          if (seen.length > 0) await touchDevices(trx, seen);
        });
      try {
        await commit();
      } catch (error) {
        // Retention may have dropped the month of a late point after we last saw it exist.
        if (layout !== 'partitioned' || !isMissingPartition(error)) throw error;
        partitions.forgetKnown();
        await partitions.ensureFor(points.times);
        await commit();
      }
      log.trace({ points: points.refs.length }, 'batch written');
    },
    // The pool is the store's, closed with it.
    close: async () => undefined,
  };
}

function emptyColumns(): Columns {
  return { refs: [], keyIds: [], times: [], nums: [], texts: [], types: [] };
}

function push(columns: Columns, deviceRef: number, keyId: number, ts: number, value: Parameters<typeof encodeValue>[0]): void {
  const encoded = encodeValue(value);
  columns.refs.push(deviceRef);
  columns.keyIds.push(keyId);
  columns.times.push(ts);
  columns.nums.push(encoded.num);
  columns.texts.push(encoded.text);
  columns.types.push(encoded.type);
}

function rows(columns: Columns) {
  return sql`select * from unnest(
    ${columns.refs}::integer[], ${columns.keyIds}::integer[], ${columns.times}::bigint[],
    ${columns.nums}::double precision[], ${columns.texts}::text[], ${columns.types}::smallint[])`;
}

async function insertPoints(db: Kysely<Database>, columns: Columns): Promise<void> {
  await sql`insert into telemetry_points (device_ref, key_id, ts, value_num, value_text, value_type)
    ${rows(columns)} on conflict do nothing`.execute(db);
}

async function upsertLatest(db: Kysely<Database>, columns: Columns): Promise<void> {
  await sql`insert into telemetry_latest (device_ref, key_id, ts, value_num, value_text, value_type)
    ${rows(columns)}
    on conflict (device_ref, key_id) do update set
      ts = excluded.ts, value_num = excluded.value_num, value_text = excluded.value_text, value_type = excluded.value_type
    where excluded.ts > telemetry_latest.ts`.execute(db);
}

async function touchDevices(db: Kysely<Database>, seen: [string, number][]): Promise<void> {
  const ids = seen.map(([id]) => id);
  const times = seen.map(([, at]) => at);
  await sql`update devices set last_seen_at = seen.at
    from unnest(${ids}::text[], ${times}::bigint[]) as seen(id, at)
    where devices.id = seen.id and (devices.last_seen_at is null or devices.last_seen_at < seen.at)`.execute(db);
}

/** Interns the batch's unknown devices and keys; ids are cached only once committed. */
async function intern(db: Kysely<Database>, devices: InternCache, keys: InternCache, batch: readonly TelemetrySubmission[]): Promise<void> {
  const newDevices = new Set<string>();
  const newKeys = new Set<string>();
  for (const submission of batch) {
    if (devices.get(submission.deviceId) === undefined) newDevices.add(submission.deviceId);
    for (const point of submission.points) if (keys.get(point.key) === undefined) newKeys.add(point.key);
  }
  if (newDevices.size > 0) {
    const ids = [...newDevices].sort();
    await sql`insert into telemetry_devices (device_id) select * from unnest(${ids}::text[]) on conflict (device_id) do nothing`.execute(db);
    const found = await db.selectFrom('telemetry_devices').select(['ref', 'device_id']).where(sql<boolean>`device_id = any(${ids}::text[])`).execute();
    for (const row of found) devices.stage(row.device_id, row.ref);
    devices.commit();
  }
  if (newKeys.size > 0) {
    const names = [...newKeys].sort();
    await sql`insert into telemetry_keys (name) select * from unnest(${names}::text[]) on conflict (name) do nothing`.execute(db);
    const found = await db.selectFrom('telemetry_keys').select(['id', 'name']).where(sql<boolean>`name = any(${names}::text[])`).execute();
    for (const row of found) keys.stage(row.name, row.id);
    keys.commit();
  }
}
