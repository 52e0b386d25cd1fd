import type { Kysely } from 'kysely';
import type { ClaimCodesTable, Database } from '../store/schema.js';

// Rows per INSERT, far below either dialect's limit on bound parameters.
const INSERT_CHUNK_ROWS = 500;

/** SQL of claim codes. Pass a transaction to run several calls atomically. */
export function createClaimsRepository(db: Kysely<Database>) {
  return {
    async insert(rows: ClaimCodesTable[]): Promise<void> {
      for (let start = 0; start < rows.length; start += INSERT_CHUNK_ROWS) {
        await db.insertInto('claim_codes').values(rows.slice(start, start + INSERT_CHUNK_ROWS)).execute();
      }
    },

    /** The maker's codes, newest first; ids sort by creation time, so the id is the keyset. */
    async list(makerTenantId: string, beforeId: string | undefined, limit: number): Promise<ClaimCodesTable[]> {
      let query = db.selectFrom('claim_codes').selectAll().where('maker_tenant_id', '=', makerTenantId);
      if (beforeId) query = query.where('id', '<', beforeId);
      return query.orderBy('id', 'desc').limit(limit).execute();
    },

    async findByHash(codeHash: string): Promise<ClaimCodesTable | undefined> {
      return db.selectFrom('claim_codes').selectAll().where('code_hash', '=', codeHash).executeTakeFirst();
    },

    /**
     * Marks a code as used by its device to enroll. Conditional, so of two racing enrollments
     * exactly one gets the row back; the row stays locked until the transaction ends.
     */
    async markEnrolled(codeHash: string, now: number): Promise<ClaimCodesTable | undefined> {
      return db
        .updateTable('claim_codes')
        .set({ enrolled_at: now })
        .where('code_hash', '=', codeHash)
        .where('enrolled_at', 'is', null)
        .returningAll()
        .executeTakeFirst();
    },

    /** Deletes the maker's unclaimed code of a device (the device is being deleted). */
    async deleteUnclaimedOf(makerTenantId: string, deviceId: string): Promise<void> {
      await db
        .deleteFrom('claim_codes')
        .where('maker_tenant_id', '=', makerTenantId)
        .where('device_id', '=', deviceId)
        .where('claimed_at', 'is', null)
        .execute();
    },

    /** Marks a code as claimed by a tenant; conditional like markEnrolled. */
    async markClaimed(codeHash: string, tenantId: string, now: number): Promise<ClaimCodesTable | undefined> {
      return db
        .updateTable('claim_codes')
        .set({ claimed_at: now, claimed_tenant_id: tenantId })
        .where('code_hash', '=', codeHash)
        .where('claimed_at', 'is', null)
        .returningAll()
        .executeTakeFirst();
    },
  };
}

export type ClaimsRepository = ReturnType<typeof createClaimsRepository>;
