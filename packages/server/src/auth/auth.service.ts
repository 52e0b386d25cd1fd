/**
 * Sessions and first-run setup: the setup token, login, refresh-token rotation, logout, and
 * turning an Authorization header (session JWT or API token) into a principal.
 */
import { randomBytes } from 'node:crypto';
import { roleAtLeast, type Me, type Role, type Session } from '@flotilla/protocol';
import { SignJWT, jwtVerify } from 'jose';
import type { Kysely } from 'kysely';
import type { Config } from '../config.js';
import { appError } from '../errors.js';
import type { Logger } from '../log.js';
import { hashSecret, newId, newSecret, secretMatches } from '../store/ids.js';
import type { Database, UsersTable } from '../store/schema.js';
import { toUser } from '../users/users.mapper.js';
import { createUsersRepository } from '../users/users.repository.js';
import { createAuthRepository } from './auth.repository.js';
import { decoyPasswordHash, hashPassword, verifyPassword } from './passwords.js';
import type { Principal } from './principal.js';

const JWT_SECRET_KEY = 'jwt_secret';
const SETUP_TOKEN_KEY = 'setup_token_hash';
/** Prefix of API tokens, so a token is recognisable in logs and secret scanners. */
export const API_TOKEN_PREFIX = 'flt_';
const REFRESH_TOKEN_PREFIX = 'flr_';
const API_TOKEN_TOUCH_INTERVAL_MS = 60_000;

/** What the first-run setup form sends. */
export interface SetupInput {
  token: string;
  email: string;
  password: string;
  name?: string;
  tenantName: string;
}

interface Dependencies {
  db: Kysely<Database>;
  config: Pick<Config, 'accessTokenTtlMs' | 'refreshTokenTtlMs' | 'setupToken'>;
  log: Logger;
}

/** Creates the auth service. Call `start()` once before serving requests. */
export function createAuthService({ db, config, log }: Dependencies) {
  const repository = createAuthRepository(db);
  const users = createUsersRepository(db);
  let jwtKey: Uint8Array | undefined;

  async function issueSession(user: UsersTable): Promise<Session> {
    const now = Date.now();
    const accessToken = await new SignJWT({ tid: user.tenant_id, typ: 'access' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(user.id)
      .setIssuedAt(Math.floor(now / 1000))
      .setExpirationTime(Math.floor((now + config.accessTokenTtlMs) / 1000))
      .sign(jwtKey as Uint8Array);
    const refreshToken = newSecret(REFRESH_TOKEN_PREFIX);
    await repository.insertSession({
      id: newId('ses'),
      tenant_id: user.tenant_id,
      user_id: user.id,
      token_hash: hashSecret(refreshToken),
      created_at: now,
      expires_at: now + config.refreshTokenTtlMs,
      revoked_at: null,
    });
    return { accessToken, refreshToken, expiresIn: Math.floor(config.accessTokenTtlMs / 1000), user: toUser(user) };
  }

  async function principalFromJwt(token: string): Promise<Principal | null> {
    try {
      const { payload } = await jwtVerify(token, jwtKey as Uint8Array, { algorithms: ['HS256'] });
      if (payload.typ !== 'access' || typeof payload.sub !== 'string') return null;
      const user = await users.findById(payload.sub);
      if (!user || user.disabled === 1) return null;
      return { kind: 'session', userId: user.id, tenantId: user.tenant_id, role: user.role as Role, tokenId: null };
    } catch {
      return null;
    }
  }

  async function principalFromApiToken(token: string): Promise<Principal | null> {
    const row = await repository.findApiTokenByHash(hashSecret(token));
    const now = Date.now();
    if (!row || row.revoked_at !== null || (row.expires_at !== null && row.expires_at <= now)) return null;
    const user = await users.findById(row.user_id);
    if (!user || user.disabled === 1) return null;
    if (row.last_used_at === null || now - row.last_used_at > API_TOKEN_TOUCH_INTERVAL_MS) await repository.touchApiToken(row.id, now);
    // A token never acts above its user's current role, so demoting a user also demotes their tokens.
    const role = roleAtLeast(user.role as Role, row.role as Role) ? (row.role as Role) : (user.role as Role);
    return { kind: 'token', userId: user.id, tenantId: row.tenant_id, role, tokenId: row.id };
  }

  return {
    /** Loads the signing key and, while no user exists, arms the setup token and logs it. */
    async start(): Promise<void> {
      const secret = await repository.ensureSetting(JWT_SECRET_KEY, randomBytes(32).toString('base64url'));
      jwtKey = Buffer.from(secret, 'base64url');
      if ((await users.countAll()) > 0) return;
      const token = config.setupToken ?? newSecret('fls_');
      await repository.putSetting(SETUP_TOKEN_KEY, hashSecret(token));
      if (config.setupToken) log.warn('first-run setup pending: create the first admin with the FLOTILLA_SETUP_TOKEN you set');
      else log.warn({ setupToken: token }, `first-run setup pending: open the dashboard or POST /api/v1/setup with setup token ${token}`);
    },

    async isSetupPending(): Promise<boolean> {
      return (await users.countAll()) === 0;
    },

    /** Creates the first tenant and admin. Only one call ever succeeds. */
    async completeSetup(input: SetupInput): Promise<Session> {
      const storedHash = await repository.getSetting(SETUP_TOKEN_KEY);
      if (!storedHash) throw appError('SETUP_ALREADY_DONE', 'setup has been done; sign in instead');
      if (!secretMatches(input.token, storedHash)) throw appError('SETUP_TOKEN_INVALID', 'the setup token does not match the one the server printed at start');
      const passwordHash = await hashPassword(input.password);
      const now = Date.now();
      const user: UsersTable = {
        id: newId('usr'),
        tenant_id: newId('ten'),
        email: input.email.toLowerCase(),
        name: input.name ?? input.email.split('@')[0] ?? input.email,
        role: 'admin',
        password_hash: passwordHash,
        disabled: 0,
        created_at: now,
        updated_at: now,
      };
      await db.transaction().execute(async (trx) => {
        // Deleting the token row is the lock: of two racing setups, one deletes it, one does not.
        if (!(await createAuthRepository(trx).takeSetting(SETUP_TOKEN_KEY))) throw appError('SETUP_ALREADY_DONE');
        const trxUsers = createUsersRepository(trx);
        await trxUsers.insertTenant({ id: user.tenant_id, name: input.tenantName, created_at: now });
        await trxUsers.insertUser(user);
      });
      log.info({ userId: user.id, tenantId: user.tenant_id }, 'first-run setup done');
      return issueSession(user);
    },

    /** The user and tenant an email belongs to, if any (for auditing failed sign-ins). */
    async accountOf(email: string): Promise<{ userId: string; tenantId: string } | null> {
      const user = await users.findByEmail(email);
      return user ? { userId: user.id, tenantId: user.tenant_id } : null;
    },

    /** Checks email and password; spends the same time whether or not the account exists. */
    async login(email: string, password: string): Promise<{ session: Session; user: UsersTable }> {
      const user = await users.findByEmail(email);
      const isMatch = await verifyPassword(password, user?.password_hash ?? (await decoyPasswordHash()));
      if (!user || !isMatch) throw appError('INVALID_CREDENTIALS', 'wrong email or password');
      if (user.disabled === 1) throw appError('INVALID_CREDENTIALS', 'this account is disabled');
      return { session: await issueSession(user), user };
    },

    /** Swaps a refresh token for a new session. A reused (already rotated) token ends every session of its user. */
    async refresh(refreshToken: string): Promise<Session> {
      const session = await repository.findSessionByHash(hashSecret(refreshToken));
      const now = Date.now();
      if (!session) throw appError('REFRESH_TOKEN_INVALID');
      if (session.revoked_at !== null) {
        await repository.revokeUserSessions(session.user_id, now);
        log.warn({ userId: session.user_id }, 'revoked refresh token reused; all sessions of the user ended');
        throw appError('REFRESH_TOKEN_INVALID');
      }
      if (session.expires_at <= now) throw appError('REFRESH_TOKEN_INVALID', 'the refresh token has expired; sign in again');
      const user = await users.findById(session.user_id);
      if (!user || user.disabled === 1) throw appError('REFRESH_TOKEN_INVALID');
      if (!(await repository.revokeSession(session.id, now))) throw appError('REFRESH_TOKEN_INVALID');
      return issueSession(user);
    },

    /** Ends the session of a refresh token; says whose it was (for the audit log), or null when unknown. */
    async logout(refreshToken: string): Promise<{ userId: string; tenantId: string } | null> {
      const session = await repository.findSessionByHash(hashSecret(refreshToken));
      if (!session) return null;
      await repository.revokeSession(session.id, Date.now());
      return { userId: session.user_id, tenantId: session.tenant_id };
    },

    /** Ends every session of a user (on disable, delete or password change). */
    async endSessions(userId: string): Promise<void> {
      await repository.revokeUserSessions(userId, Date.now());
    },

    /** The principal behind an Authorization header, or null. */
    async authenticate(authorization: string | undefined): Promise<Principal | null> {
      const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
      const token = match?.[1];
      if (!token) return null;
      return token.startsWith(API_TOKEN_PREFIX) ? principalFromApiToken(token) : principalFromJwt(token);
    },

    async me(principal: Principal): Promise<Me> {
      const user = await users.findById(principal.userId);
      const tenant = await users.findTenant(principal.tenantId);
      if (!user || !tenant) throw appError('UNAUTHENTICATED');
      return { user: { ...toUser(user), role: principal.role }, tenant: { id: tenant.id, name: tenant.name }, via: principal.kind };
    },
  };
}

export type AuthService = ReturnType<typeof createAuthService>;
