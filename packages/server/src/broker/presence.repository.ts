/** The presence columns of devices: `online` and `last_seen_at`. */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../store/schema.js';

/** One device's presence to store; `online` undefined leaves the flag as it is. */
export interface PresenceChange {
  deviceId: string;
  online?: boolean;
  seenAt: number;
}

/** Creates the repository. */
export function createPresenceRepository(db: Kysely<Database>) {
  return {
    /** Marks every device offline; returns how many were online. */
    async markAllOffline(): Promise<number> {
      const result = await db.updateTable('devices').set({ online: 0 }).where('online', '=', 1).executeTakeFirst();
      return Number(result.numUpdatedRows);
    },

    /** Stores a batch of changes in one transaction; last_seen_at only moves forward. */
    async save(changes: readonly PresenceChange[]): Promise<void> {
      await db.transaction().execute(async (trx) => {
        for (const change of changes) {
          const at = sql<number>`cast(${change.seenAt} as bigint)`;
          const seen = sql<number>`case when last_seen_at is null or last_seen_at < ${at} then ${at} else last_seen_at end`;
          await trx
            .updateTable('devices')
            .set(change.online === undefined ? { last_seen_at: seen } : { online: change.online ? 1 : 0, last_seen_at: seen })
            .where('id', '=', change.deviceId)
            .execute();
        }
      });
    },
  };
}

/** The presence repository. */
export type PresenceRepository = ReturnType<typeof createPresenceRepository>;
