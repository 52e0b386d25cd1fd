/**
 * API tokens (`flt_…`) for scripts and integrations: listing the live ones, creating one (the
 * token is shown once, only its hash is stored) and revoking. Authentication with a token is
 * the auth service's (principalFromApiToken).
 */
import { roleAtLeast, type ApiToken, type Page } from '@flotilla/protocol';
import { API_TOKEN_PREFIX } from '../auth/auth.service.js';
import type { Principal } from '../auth/principal.js';
import { appError } from '../errors.js';
import type { Logger } from '../log.js';
import { hashSecret, newId, newSecret } from '../store/ids.js';
import { decodeCursor, pageOf } from '../store/pagination.js';
import type { ApiTokensTable } from '../store/schema.js';
import { toApiToken } from './tokens.mapper.js';
import type { TokensRepository } from './tokens.repository.js';
import type { CreatedToken, CreateTokenBody, TokenListQuery } from './tokens.schemas.js';

/** How many characters after `flt_` are kept, so people can tell their tokens apart. */
const PREFIX_LENGTH = 8;

/** Creates the API tokens service. */
export function createTokensService({ repository, log }: { repository: TokensRepository; log: Logger }) {
  return {
    /** The tenant's tokens that are neither revoked nor expired, newest first. */
    async list(tenantId: string, query: TokenListQuery): Promise<Page<ApiToken>> {
      const limit = query.limit ?? 50;
      const beforeId = query.cursor ? decodeCursor(query.cursor)[1] : undefined;
      const rows = await repository.listLive(tenantId, Date.now(), limit + 1, beforeId);
      return pageOf(rows, limit, (row) => [null, row.id], toApiToken);
    },

    /** Creates a token acting for the creator's user, with a role no higher than the creator's. */
    async create(creator: Principal, input: CreateTokenBody): Promise<CreatedToken> {
      if (!roleAtLeast(creator.role, input.role)) {
        throw appError('ROLE_TOO_HIGH', `a token may have at most your role, ${creator.role}; you asked for ${input.role}`);
      }
      const now = Date.now();
      const token = newSecret(API_TOKEN_PREFIX);
      const row: ApiTokensTable = {
        id: newId('tok', now),
        tenant_id: creator.tenantId,
        user_id: creator.userId,
        name: input.name,
        role: input.role,
        prefix: token.slice(API_TOKEN_PREFIX.length, API_TOKEN_PREFIX.length + PREFIX_LENGTH),
        token_hash: hashSecret(token),
        created_at: now,
        expires_at: input.expiresInSeconds !== undefined ? now + input.expiresInSeconds * 1000 : null,
        last_used_at: null,
        revoked_at: null,
      };
      await repository.insert(row);
      log.info({ tokenId: row.id, tenantId: row.tenant_id, role: row.role }, 'api token created');
      return { ...toApiToken(row), token };
    },

    /** Revokes a token of the tenant; requests with it are refused from now on. */
    async revoke(tenantId: string, id: string): Promise<void> {
      if (!(await repository.revoke(tenantId, id, Date.now()))) throw appError('API_TOKEN_NOT_FOUND', `no live API token ${id} in your tenant`);
      log.info({ tokenId: id, tenantId }, 'api token revoked');
    },
  };
}

export type TokensService = ReturnType<typeof createTokensService>;
