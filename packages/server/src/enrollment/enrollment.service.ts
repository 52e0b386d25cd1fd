/**
 * Enrollment tokens (`fle_…`) and enrolling a device with one: the device registers itself and
 * gets its id and secret, in the token's tenant and with the token's labels.
 */
import type { EnrollmentToken, Page } from '@flotilla/protocol';
import type { Kysely } from 'kysely';
import type { Bus } from '../bus/bus.js';
import { freeDeviceName, shortId } from '../devices/device-names.js';
import { createDevicesRepository } from '../devices/devices.repository.js';
import { DEVICE_SECRET_PREFIX, labelsOf, newDeviceRow } from '../devices/devices.service.js';
import { sortedLabels } from '../devices/merge-patch.js';
import { appError } from '../errors.js';
import type { Logger } from '../log.js';
import { retryOnUniqueViolation } from '../store/errors.js';
import { hashSecret, newId, newSecret } from '../store/ids.js';
import { isoOrNull, iso, parseJsonObject } from '../store/json.js';
import { decodeCursor, pageOf } from '../store/pagination.js';
import type { Database, EnrollmentTokensTable } from '../store/schema.js';
import { createEnrollmentRepository } from './enrollment.repository.js';
import { DEFAULT_TOKEN_LIFETIME_SECONDS, type CreateEnrollmentTokenBody } from './enrollment.schemas.js';

/** Prefix of enrollment tokens, so a leaked one is recognisable. */
export const ENROLLMENT_TOKEN_PREFIX = 'fle_';

/** A device that has just enrolled: what it is told, and where it now lives. */
export interface EnrollmentResult {
  id: string;
  secret: string;
  name: string;
  tenantId: string;
  /** The enrollment token or claim code it used. */
  via: { type: 'enrollment_token' | 'claim_code'; id: string };
}

/** An enrollment_tokens row as the API shows it (never the hash). */
export function toEnrollmentToken(row: EnrollmentTokensTable): EnrollmentToken {
  return {
    id: row.id,
    name: row.name,
    labels: parseJsonObject<Record<string, string>>(row.labels) ?? {},
    expiresAt: isoOrNull(row.expires_at),
    maxUses: row.max_uses,
    uses: row.uses,
    createdAt: iso(row.created_at),
    revokedAt: isoOrNull(row.revoked_at),
  };
}

/** Creates the enrollment service. */
export function createEnrollmentService({ db, log, bus }: { db: Kysely<Database>; log: Logger; bus?: Bus }) {
  const repository = createEnrollmentRepository(db);

  return {
    async list(tenantId: string, query: { limit?: number; cursor?: string }): Promise<Page<EnrollmentToken>> {
      const limit = query.limit ?? 50;
      const beforeId = query.cursor ? decodeCursor(query.cursor)[1] : undefined;
      const rows = await repository.list(tenantId, beforeId, limit + 1);
      return pageOf(rows, limit, (row) => [null, row.id], toEnrollmentToken);
    },

    /** Creates a token; the token itself is returned once and only its digest is kept. */
    async create(tenantId: string, createdBy: string | null, input: CreateEnrollmentTokenBody): Promise<EnrollmentToken & { token: string }> {
      const now = Date.now();
      const token = newSecret(ENROLLMENT_TOKEN_PREFIX);
      const id = newId('enr', now);
      const lifetimeSeconds = input.expiresInSeconds === undefined ? DEFAULT_TOKEN_LIFETIME_SECONDS : input.expiresInSeconds;
      const row: EnrollmentTokensTable = {
        id,
        tenant_id: tenantId,
        name: input.name ?? `enrollment-${shortId(id)}`,
        token_hash: hashSecret(token),
        labels: JSON.stringify(sortedLabels(input.labels ?? {})),
        expires_at: lifetimeSeconds === null ? null : now + lifetimeSeconds * 1000,
        max_uses: input.maxUses ?? null,
        uses: 0,
        created_by: createdBy,
        created_at: now,
        revoked_at: null,
      };
      await repository.insert(row);
      return { ...toEnrollmentToken(row), token };
    },

    /** Revokes a token; revoking a revoked token is fine, another tenant's is not found. */
    async revoke(tenantId: string, id: string): Promise<void> {
      if (await repository.revoke(tenantId, id, Date.now())) return;
      if (!(await repository.findById(tenantId, id))) throw appError('ENROLLMENT_TOKEN_NOT_FOUND', `no enrollment token ${id} in your tenant`);
    },

    /**
     * Enrolls a device with a token, in one transaction: take a use of the token, pick a free
     * name, create the device with the token's labels. A name taken concurrently repeats it all.
     */
    async enroll(token: string, name: string | undefined): Promise<EnrollmentResult> {
      const tokenHash = hashSecret(token);
      const result = await retryOnUniqueViolation(() =>
        db.transaction().execute(async (trx) => {
          const now = Date.now();
          const tokenRow = await createEnrollmentRepository(trx).takeUse(tokenHash, now);
          if (!tokenRow) throw appError('ENROLLMENT_TOKEN_INVALID', 'the enrollment token is unknown, expired, revoked or used up');
          const devices = createDevicesRepository(trx);
          const id = newId('dev', now);
          const deviceName = await freeDeviceName(devices, tokenRow.tenant_id, name ?? `device-${shortId(id)}`);
          const secret = newSecret(DEVICE_SECRET_PREFIX);
          const labels = parseJsonObject<Record<string, string>>(tokenRow.labels) ?? {};
          const row = newDeviceRow({ id, tenantId: tokenRow.tenant_id, name: deviceName, labels, secretHash: hashSecret(secret), now });
          await devices.insert([row], labelsOf);
          return { id, secret, name: deviceName, tenantId: tokenRow.tenant_id, via: { type: 'enrollment_token' as const, id: tokenRow.id } };
        }),
      );
      log.info({ deviceId: result.id, tenantId: result.tenantId, enrollmentTokenId: result.via.id }, 'device enrolled');
      bus?.publish('deviceChanged', { tenantId: result.tenantId, deviceId: result.id, change: 'created', at: Date.now() });
      return result;
    },
  };
}

export type EnrollmentService = ReturnType<typeof createEnrollmentService>;
