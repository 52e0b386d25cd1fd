/**
 * The presence columns of devices: `online` and `last_seen_at`. A batch of changes is one
 * transaction: on SQLite a prepared statement run per device (compiling a query per connect
 * showed in the connect benchmark), on PostgreSQL one UPDATE over unnest'ed arrays.
 */
import { sql, type Kysely } from 'kysely';
import { whenNoTransaction, type Store } from '../store/database.js';
import type { Database } from '../store/schema.js';

/** One device's presence to store; `online` undefined leaves the flag as it is. */
export interface PresenceChange {
  deviceId: string;
  online?: boolean;
  seenAt: number;
}

/** Where presence is stored. */
export interface PresenceRepository {
  /** Marks every device offline; returns how many were online. */
  markAllOffline(): Promise<number>;
  /** Stores a batch of changes in one transaction; last_seen_at only moves forward. */
  save(changes: readonly PresenceChange[]): Promise<void>;
}

/** The repository of the store's dialect. */
export function createPresenceRepository(store: Pick<Store, 'db' | 'sqlite'>): PresenceRepository {
  const markAllOffline = async () => {
    const result = await store.db.updateTable('devices').set({ online: 0 }).where('online', '=', 1).executeTakeFirst();
    return Number(result.numUpdatedRows);
  };
  if (!store.sqlite) return { markAllOffline, save: (changes) => savePostgres(store.db, changes) };

  const sqlite = store.sqlite;
  const update = sqlite.prepare(
    'update devices set online = coalesce(?, online), last_seen_at = max(coalesce(last_seen_at, 0), ?) where id = ?',
  );
  const saveAll = sqlite.transaction((changes: readonly PresenceChange[]) => {
    for (const change of changes) update.run(change.online === undefined ? null : Number(change.online), change.seenAt, change.deviceId);
  });
  return {
    markAllOffline,
    async save(changes) {
      await whenNoTransaction(sqlite);
      saveAll(changes);
    },
  };
}

async function savePostgres(db: Kysely<Database>, changes: readonly PresenceChange[]): Promise<void> {
  const ids = changes.map((change) => change.deviceId);
  const online = changes.map((change) => (change.online === undefined ? null : Number(change.online)));
  const seen = changes.map((change) => change.seenAt);
  await sql`update devices set online = coalesce(v.online, devices.online),
      last_seen_at = greatest(coalesce(devices.last_seen_at, 0), v.seen_at)
    from unnest(${ids}::text[], ${online}::int[], ${seen}::bigint[]) as v(id, online, seen_at)
    where devices.id = v.id`.execute(db);
}
