import type { Kysely } from 'kysely';
import type { Database, ProfileRevisionsTable, ProfilesTable } from '../store/schema.js';

/** Columns of a profile that an update changes. */
export type ProfileChanges = Pick<ProfilesTable, 'name' | 'selector' | 'priority' | 'document' | 'schema' | 'revision' | 'updated_at'>;

/** SQL of profiles and their revisions. Pass a transaction to run several calls atomically. */
export function createProfilesRepository(db: Kysely<Database>) {
  return {
    /** A page of the tenant's profiles by name, after `afterName`. */
    async list(tenantId: string, afterName: string | undefined, limit: number): Promise<ProfilesTable[]> {
      let query = db.selectFrom('profiles').selectAll().where('tenant_id', '=', tenantId);
      if (afterName !== undefined) query = query.where('name', '>', afterName);
      return query.orderBy('name').limit(limit).execute();
    },

    /** Every profile of the tenant: what a device's effective document is merged from. */
    async all(tenantId: string): Promise<ProfilesTable[]> {
      return db.selectFrom('profiles').selectAll().where('tenant_id', '=', tenantId).orderBy('name').execute();
    },

    async findById(tenantId: string, id: string): Promise<ProfilesTable | undefined> {
      return db.selectFrom('profiles').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
    },

    /** Reads a profile and takes PostgreSQL's row lock (a no-op UPDATE), so writers queue up. */
    async lockForUpdate(tenantId: string, id: string): Promise<ProfilesTable | undefined> {
      return db
        .updateTable('profiles')
        .set((eb) => ({ revision: eb.ref('revision') }))
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
    },

    async insert(row: ProfilesTable): Promise<void> {
      await db.insertInto('profiles').values(row).execute();
    },

    async update(id: string, changes: ProfileChanges): Promise<void> {
      await db.updateTable('profiles').set(changes).where('id', '=', id).execute();
    },

    async delete(id: string): Promise<void> {
      await db.deleteFrom('profiles').where('id', '=', id).execute();
    },

    async insertRevision(row: ProfileRevisionsTable): Promise<void> {
      await db.insertInto('profile_revisions').values(row).execute();
    },

    /** Revisions newest first, below `beforeRevision`. */
    async revisions(profileId: string, beforeRevision: number | undefined, limit: number): Promise<ProfileRevisionsTable[]> {
      let query = db.selectFrom('profile_revisions').selectAll().where('profile_id', '=', profileId);
      if (beforeRevision !== undefined) query = query.where('revision', '<', beforeRevision);
      return query.orderBy('revision', 'desc').limit(limit).execute();
    },

    async revision(profileId: string, revision: number): Promise<ProfileRevisionsTable | undefined> {
      return db.selectFrom('profile_revisions').selectAll().where('profile_id', '=', profileId).where('revision', '=', revision).executeTakeFirst();
    },
  };
}

export type ProfilesRepository = ReturnType<typeof createProfilesRepository>;
