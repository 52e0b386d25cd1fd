/**
 * The SQLite batch writer written with Kysely instead of prepared statements, for the benchmark
 * only: it shows what the query builder costs on the ingest path (BENCHMARKS.md). Same rows,
 * same transaction, multi-row INSERTs of 500 rows (3,000 parameters) each.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../packages/server/src/store/schema.js';
import { keepNewest, type BatchWriter, type LatestCandidate } from '../packages/server/src/telemetry/batch-writer.js';
import { encodeValue } from '../packages/server/src/telemetry/values.js';

const ROWS_PER_INSERT = 500;

/** A Kysely batch writer over an already interned set of devices and keys. */
export function createKyselyBatchWriter(db: Kysely<Database>): BatchWriter {
  const devices = new Map<string, number>();
  const keys = new Map<string, number>();

  async function intern(trx: Kysely<Database>, table: 'telemetry_devices' | 'telemetry_keys', name: string): Promise<number> {
    const cache = table === 'telemetry_devices' ? devices : keys;
    const known = cache.get(name);
    if (known !== undefined) return known;
    if (table === 'telemetry_devices') {
      await trx.insertInto('telemetry_devices').values({ device_id: name }).onConflict((conflict) => conflict.doNothing()).execute();
      const row = await trx.selectFrom('telemetry_devices').select('ref').where('device_id', '=', name).executeTakeFirstOrThrow();
      cache.set(name, row.ref);
      return row.ref;
    }
    await trx.insertInto('telemetry_keys').values({ name }).onConflict((conflict) => conflict.doNothing()).execute();
    const row = await trx.selectFrom('telemetry_keys').select('id').where('name', '=', name).executeTakeFirstOrThrow();
    cache.set(name, row.id);
    return row.id;
  }

  return {
    async write(batch) {
      await db.transaction().execute(async (trx) => {
        const rows = [];
        const latest = new Map<number, LatestCandidate>();
        for (const submission of batch) {
          const deviceRef = devices.get(submission.deviceId) ?? (await intern(trx, 'telemetry_devices', submission.deviceId));
          for (const point of submission.points) {
            const keyId = keys.get(point.key) ?? (await intern(trx, 'telemetry_keys', point.key));
            const value = encodeValue(point.value);
            rows.push({ device_ref: deviceRef, key_id: keyId, ts: point.ts, value_num: value.num, value_text: value.text, value_type: value.type });
            keepNewest(latest, deviceRef, keyId, point);
          }
        }
        for (let first = 0; first < rows.length; first += ROWS_PER_INSERT) {
          await trx.insertInto('telemetry_points').values(rows.slice(first, first + ROWS_PER_INSERT)).onConflict((conflict) => conflict.doNothing()).execute();
        }
        for (const { deviceRef, keyId, point } of latest.values()) {
          const value = encodeValue(point.value);
          await trx
            .insertInto('telemetry_latest')
            .values({ device_ref: deviceRef, key_id: keyId, ts: point.ts, value_num: value.num, value_text: value.text, value_type: value.type })
            .onConflict((conflict) =>
              conflict
                .columns(['device_ref', 'key_id'])
                .doUpdateSet((eb) => ({ ts: eb.ref('excluded.ts'), value_num: eb.ref('excluded.value_num'), value_text: eb.ref('excluded.value_text'), value_type: eb.ref('excluded.value_type') }))
                .where('excluded.ts', '>', (eb) => eb.ref('telemetry_latest.ts')),
            )
            .execute();
        }
      });
    },
    close: async () => undefined,
  };
}
