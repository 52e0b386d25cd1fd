import type { Kysely } from 'kysely';
import type { ApiTokensTable, Database, SessionsTable } from '../store/schema.js';

/** SQL of sessions (refresh tokens), API token look-ups and server-wide settings. */
export function createAuthRepository(db: Kysely<Database>) {
  return {
    async getSetting(key: string): Promise<string | undefined> {
      const row = await db.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirst();
      return row?.value;
    },

    /** Inserts a setting unless it exists; returns the value now stored (the first writer wins). */
    async ensureSetting(key: string, value: string): Promise<string> {
      await db
        .insertInto('settings')
        .values({ key, value, updated_at: Date.now() })
        .onConflict((conflict) => conflict.column('key').doNothing())
        .execute();
      return (await this.getSetting(key)) as string;
    },

    async putSetting(key: string, value: string): Promise<void> {
      await db
        .insertInto('settings')
        .values({ key, value, updated_at: Date.now() })
        .onConflict((conflict) => conflict.column('key').doUpdateSet({ value, updated_at: Date.now() }))
        .execute();
    },

    /** Deletes a setting; true only for the one caller that removed it. */
    async takeSetting(key: string): Promise<boolean> {
      const result = await db.deleteFrom('settings').where('key', '=', key).executeTakeFirst();
      return Number(result.numDeletedRows) === 1;
    },

    async insertSession(session: SessionsTable): Promise<void> {
      await db.insertInto('sessions').values(session).execute();
    },

    async findSessionByHash(tokenHash: string): Promise<SessionsTable | undefined> {
      return db.selectFrom('sessions').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
    },

    /** Revokes a live session; true only for the one caller that revoked it. */
    async revokeSession(id: string, now: number): Promise<boolean> {
      const result = await db
        .updateTable('sessions')
        .set({ revoked_at: now })
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    async revokeUserSessions(userId: string, now: number): Promise<void> {
      await db.updateTable('sessions').set({ revoked_at: now }).where('user_id', '=', userId).where('revoked_at', 'is', null).execute();
    },

    async findApiTokenByHash(tokenHash: string): Promise<ApiTokensTable | undefined> {
      return db.selectFrom('api_tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
    },

    async touchApiToken(id: string, now: number): Promise<void> {
      await db.updateTable('api_tokens').set({ last_used_at: now }).where('id', '=', id).execute();
    },
  };
}

export type AuthRepository = ReturnType<typeof createAuthRepository>;
