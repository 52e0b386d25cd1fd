/**
 * Users of a tenant: listing, creating, changing and deleting them, keeping at least one
 * active admin per tenant, and ending the sessions of users who lose access.
 */
import type { Page, User } from '@flotilla/protocol';
import type { Kysely } from 'kysely';
import { hashPassword } from '../auth/passwords.js';
import { appError } from '../errors.js';
import type { Logger } from '../log.js';
import { isUniqueViolation } from '../store/errors.js';
import { newId } from '../store/ids.js';
import { decodeCursor, pageOf } from '../store/pagination.js';
import type { Database, UsersTable } from '../store/schema.js';
import { createTokensRepository } from '../tokens/tokens.repository.js';
import { toUser } from './users.mapper.js';
import { createUsersRepository, type UserChanges } from './users.repository.js';
import type { CreateUserBody, PatchUserBody, UserListQuery } from './users.schemas.js';

interface Dependencies {
  db: Kysely<Database>;
  /** Ends every session of a user (the auth service's endSessions). */
  endSessions: (userId: string) => Promise<void>;
  log: Logger;
}

function isActiveAdmin(user: Pick<UsersTable, 'role' | 'disabled'>): boolean {
  return user.role === 'admin' && user.disabled === 0;
}

/** Creates the users service. */
export function createUsersService({ db, endSessions, log }: Dependencies) {
  const users = createUsersRepository(db);

  /**
   * Runs a change to one user of the tenant in a transaction holding the tenant lock, and
   * refuses it with LAST_ADMIN when it would leave the tenant without an active admin.
   */
  async function changeUser(
    tenantId: string,
    id: string,
    change: (repository: ReturnType<typeof createUsersRepository>, trx: Kysely<Database>, user: UsersTable) => Promise<UsersTable | null>,
  ): Promise<{ before: UsersTable; after: UsersTable | null }> {
    return db.transaction().execute(async (trx) => {
      const repository = createUsersRepository(trx);
      await repository.lockTenant(tenantId);
      const before = await repository.findInTenant(tenantId, id);
      if (!before) throw appError('USER_NOT_FOUND', `no user ${id} in your tenant`);
      const after = await change(repository, trx, before);
      const losesAdmin = isActiveAdmin(before) && (after === null || !isActiveAdmin(after));
      // Counted after the change, inside the lock, so the count is the one that will be committed.
      if (losesAdmin && (await repository.countActiveAdmins(tenantId)) === 0) {
        throw appError('LAST_ADMIN', 'this is the last active admin of the tenant; make another user admin first');
      }
      return { before, after };
    });
  }

  return {
    /** The tenant's users in creation order. */
    async list(tenantId: string, query: UserListQuery): Promise<Page<User>> {
      const limit = query.limit ?? 50;
      const afterId = query.cursor ? decodeCursor(query.cursor)[1] : undefined;
      const rows = await users.listInTenant(tenantId, limit + 1, afterId);
      return pageOf(rows, limit, (row) => [null, row.id], toUser);
    },

    async get(tenantId: string, id: string): Promise<User> {
      const row = await users.findInTenant(tenantId, id);
      if (!row) throw appError('USER_NOT_FOUND', `no user ${id} in your tenant`);
      return toUser(row);
    },

    /** Creates a user who can sign in at once. Emails are unique across the whole server. */
    async create(tenantId: string, input: CreateUserBody): Promise<User> {
      const now = Date.now();
      const email = input.email.toLowerCase();
      const row: UsersTable = {
        id: newId('usr', now),
        tenant_id: tenantId,
        email,
        name: input.name ?? email.split('@')[0] ?? email,
        role: input.role,
        password_hash: await hashPassword(input.password),
        disabled: 0,
        created_at: now,
        updated_at: now,
      };
      try {
        await users.insertUser(row);
      } catch (error) {
        if (isUniqueViolation(error)) throw appError('USER_EMAIL_TAKEN', `a user with email ${email} exists already`);
        throw error;
      }
      log.info({ userId: row.id, tenantId, role: row.role }, 'user created');
      return toUser(row);
    },

    /** Changes name, role, password or disabled. Disabling or a new password ends the user's sessions. */
    async update(tenantId: string, id: string, patch: PatchUserBody): Promise<User> {
      // Hashed before the transaction: scrypt takes tens of milliseconds and needs no lock.
      const passwordHash = patch.password !== undefined ? await hashPassword(patch.password) : undefined;
      const changes: UserChanges = { updated_at: Date.now() };
      if (patch.name !== undefined) changes.name = patch.name;
      if (patch.role !== undefined) changes.role = patch.role;
      if (passwordHash !== undefined) changes.password_hash = passwordHash;
      if (patch.disabled !== undefined) changes.disabled = patch.disabled ? 1 : 0;
      const { before, after } = await changeUser(tenantId, id, async (repository, _trx, user) => {
        await repository.updateUser(user.id, changes);
        return { ...user, ...changes };
      });
      const updated = after as UsersTable;
      if (passwordHash !== undefined || (before.disabled === 0 && updated.disabled === 1)) await endSessions(id);
      log.info({ userId: id, tenantId, fields: Object.keys(patch) }, 'user updated');
      return toUser(updated);
    },

    /** Deletes a user: their sessions end and the API tokens they created are revoked. */
    async remove(tenantId: string, id: string): Promise<void> {
      await changeUser(tenantId, id, async (repository, trx, user) => {
        await repository.deleteUser(user.id);
        await createTokensRepository(trx).revokeAllOfUser(user.id, Date.now());
        return null;
      });
      // No endSessions here: the user's sessions rows went with the user (foreign key cascade).
      log.info({ userId: id, tenantId }, 'user deleted');
    },
  };
}

export type UsersService = ReturnType<typeof createUsersService>;
