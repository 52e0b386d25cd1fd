import type { Kysely } from 'kysely';
import type { ApiTokensTable, Database } from '../store/schema.js';

/** SQL of API tokens as the admin manages them (authentication reads them in auth.repository). */
export function createTokensRepository(db: Kysely<Database>) {
  return {
    async insert(token: ApiTokensTable): Promise<void> {
      await db.insertInto('api_tokens').values(token).execute();
    },

    /** The tenant's tokens that still work at `now`, newest first (ids sort by time). */
    async listLive(tenantId: string, now: number, limit: number, beforeId?: string): Promise<ApiTokensTable[]> {
      let query = db
        .selectFrom('api_tokens')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('revoked_at', 'is', null)
        .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]));
      if (beforeId !== undefined) query = query.where('id', '<', beforeId);
      return query.orderBy('id', 'desc').limit(limit).execute();
    },

    /** Revokes a token of the tenant; false when there is none to revoke. */
    async revoke(tenantId: string, id: string, now: number): Promise<boolean> {
      const result = await db
        .updateTable('api_tokens')
        .set({ revoked_at: now })
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    /** Revokes every token a user created, when the user is deleted. */
    async revokeAllOfUser(userId: string, now: number): Promise<void> {
      await db.updateTable('api_tokens').set({ revoked_at: now }).where('user_id', '=', userId).where('revoked_at', 'is', null).execute();
    },
  };
}

export type TokensRepository = ReturnType<typeof createTokensRepository>;
