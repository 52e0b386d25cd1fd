import type { Kysely } from 'kysely';
import type { Database, TenantsTable, UsersTable } from '../store/schema.js';

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

    async findByEmail(email: string): Promise<UsersTable | undefined> {
      return db.selectFrom('users').selectAll().where('email', '=', email.toLowerCase()).executeTakeFirst();
    },

    async insertUser(user: UsersTable): Promise<void> {
      await db.insertInto('users').values(user).execute();
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
