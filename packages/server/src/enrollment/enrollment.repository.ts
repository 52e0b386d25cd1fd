import type { Kysely } from 'kysely';
import type { Database, EnrollmentTokensTable } from '../store/schema.js';

/** SQL of enrollment tokens. Pass a transaction to run several calls atomically. */
export function createEnrollmentRepository(db: Kysely<Database>) {
  return {
    async insert(row: EnrollmentTokensTable): Promise<void> {
      await db.insertInto('enrollment_tokens').values(row).execute();
    },

    /** Newest first; ids sort by creation time, so the id is the keyset. */
    async list(tenantId: string, beforeId: string | undefined, limit: number): Promise<EnrollmentTokensTable[]> {
      let query = db.selectFrom('enrollment_tokens').selectAll().where('tenant_id', '=', tenantId);
      if (beforeId) query = query.where('id', '<', beforeId);
      return query.orderBy('id', 'desc').limit(limit).execute();
    },

    async findById(tenantId: string, id: string): Promise<EnrollmentTokensTable | undefined> {
      return db.selectFrom('enrollment_tokens').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
    },

    /** Revokes a live token; false when it was revoked already or is not the tenant's. */
    async revoke(tenantId: string, id: string, now: number): Promise<boolean> {
      const result = await db
        .updateTable('enrollment_tokens')
        .set({ revoked_at: now })
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    /**
     * Takes one use of a live token: one conditional UPDATE, so concurrent enrollments cannot
     * together pass `max_uses` (PostgreSQL re-checks the condition on the row it waited for;
     * SQLite runs writers one at a time). Undefined when the token is unknown, expired,
     * revoked or used up.
     */
    async takeUse(tokenHash: string, now: number): Promise<EnrollmentTokensTable | undefined> {
      return db
        .updateTable('enrollment_tokens')
        .set((eb) => ({ uses: eb('uses', '+', 1) }))
        .where('token_hash', '=', tokenHash)
        .where('revoked_at', 'is', null)
        .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
        .where((eb) => eb.or([eb('max_uses', 'is', null), eb('uses', '<', eb.ref('max_uses'))]))
        .returningAll()
        .executeTakeFirst();
    },
  };
}

export type EnrollmentRepository = ReturnType<typeof createEnrollmentRepository>;
