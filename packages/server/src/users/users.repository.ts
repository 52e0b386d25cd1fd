import type { Kysely } from 'kysely';
import type { Database, TenantsTable, UsersTable } from '../store/schema.js';

/** Columns of a user that can change after creation. */
export type UserChanges = Partial<Pick<UsersTable, 'name' | 'role' | 'password_hash' | 'disabled'>> & { updated_at: number };

/** SQL of users and tenants. */
export function createUsersRepository(db: Kysely<Database>) {
  return {
    async countAll(): Promise<number> {
      const row = await db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('count')).executeTakeFirstOrThrow();
      return Number(row.count);
    },

    async findById(id: string): Promise<UsersTable | undefined> {
      return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    },

    /** A user of the tenant; another tenant's user reads as absent. */
    async findInTenant(tenantId: string, id: string): Promise<UsersTable | undefined> {
      return db.selectFrom('users').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
    },

    async findByEmail(email: string): Promise<UsersTable | undefined> {
      return db.selectFrom('users').selectAll().where('email', '=', email.toLowerCase()).executeTakeFirst();
    },

    /** The tenant's users in creation order (ids sort by time), after `afterId` when given. */
    async listInTenant(tenantId: string, limit: number, afterId?: string): Promise<UsersTable[]> {
      let query = db.selectFrom('users').selectAll().where('tenant_id', '=', tenantId);
      if (afterId !== undefined) query = query.where('id', '>', afterId);
      return query.orderBy('id', 'asc').limit(limit).execute();
    },

    /** Admins of the tenant who are not disabled. */
    async countActiveAdmins(tenantId: string): Promise<number> {
      const row = await db
        .selectFrom('users')
        .select((eb) => eb.fn.countAll<number>().as('count'))
        .where('tenant_id', '=', tenantId)
        .where('role', '=', 'admin')
        .where('disabled', '=', 0)
        .executeTakeFirstOrThrow();
      return Number(row.count);
    },

    /**
     * Takes the tenant's row lock until the transaction ends. Changes that could remove the last
     * admin run one at a time per tenant this way: on PostgreSQL two concurrent demotions would
     * otherwise each count the other admin and both succeed. (SQLite runs one writer anyway.)
     */
    async lockTenant(tenantId: string): Promise<void> {
      await db
        .updateTable('tenants')
        .set((eb) => ({ name: eb.ref('name') }))
        .where('id', '=', tenantId)
        .execute();
    },

    async insertUser(user: UsersTable): Promise<void> {
      await db.insertInto('users').values(user).execute();
    },

    async updateUser(id: string, changes: UserChanges): Promise<void> {
      await db.updateTable('users').set(changes).where('id', '=', id).execute();
    },

    /** Deletes a user; their sessions go with them (foreign key cascade). */
    async deleteUser(id: string): Promise<void> {
      await db.deleteFrom('users').where('id', '=', id).execute();
    },

    async insertTenant(tenant: TenantsTable): Promise<void> {
      await db.insertInto('tenants').values(tenant).execute();
    },

    async findTenant(id: string): Promise<TenantsTable | undefined> {
      return db.selectFrom('tenants').selectAll().where('id', '=', id).executeTakeFirst();
    },
  };
}

export type UsersRepository = ReturnType<typeof createUsersRepository>;
