/**
 * Claim codes, the consumer flow: a maker creates devices with one printed code each; the device
 * enrolls with its code to get its credentials, and an owner claims it with the same code into
 * their own tenant. Enrolling and claiming may happen in either order, each exactly once.
 */
import type { ClaimCode, Device, Page } from '@flotilla/protocol';
import type { Kysely, Transaction } from 'kysely';
import type { Bus, DeviceChange } from '../bus/bus.js';
import { freeDeviceName, numberedDeviceNames } from '../devices/device-names.js';
import { toDevice } from '../devices/devices.mapper.js';
import { createDevicesRepository, type DevicesRepository } from '../devices/devices.repository.js';
import { DEVICE_SECRET_PREFIX, labelsOf, mapNameConflict, newDeviceRow } from '../devices/devices.service.js';
import { sortedLabels } from '../devices/merge-patch.js';
import type { EnrollmentResult } from '../enrollment/enrollment.service.js';
import { appError } from '../errors.js';
import type { Logger } from '../log.js';
import { retryOnUniqueViolation } from '../store/errors.js';
import { hashSecret, newId, newSecret } from '../store/ids.js';
import { iso, isoOrNull } from '../store/json.js';
import { decodeCursor, pageOf } from '../store/pagination.js';
import type { ClaimCodesTable, Database, DevicesTable } from '../store/schema.js';
import { claimCodeHash, newClaimCode } from './claim-code.js';
import { createClaimsRepository } from './claims.repository.js';
import type { ClaimBody, CreateClaimCodesBody } from './claims.schemas.js';

const DEFAULT_NAME_PREFIX = 'device';

function invalidCode() {
  return appError('CLAIM_CODE_INVALID', 'no device has this claim code; check it against the label on the device');
}

/** A claim_codes row as its maker sees it (never the hash, nor who claimed it). */
export function toClaimCode(row: ClaimCodesTable): ClaimCode {
  return {
    id: row.id,
    deviceId: row.device_id,
    createdAt: iso(row.created_at),
    enrolled: row.enrolled_at !== null,
    enrolledAt: isoOrNull(row.enrolled_at),
    claimed: row.claimed_at !== null,
    claimedAt: isoOrNull(row.claimed_at),
  };
}

/**
 * The code's device, wherever it lives now, locked so that a concurrent patch is not lost under
 * the move. A code whose device was deleted leads nowhere.
 */
async function deviceOfCode(devices: DevicesRepository, code: ClaimCodesTable): Promise<DevicesTable> {
  const device = await devices.lockAnyForUpdate(code.device_id);
  if (!device) throw invalidCode();
  return device;
}

/** The name a claimed device gets in its owner's tenant: the owner's choice, or its own name made free. */
async function ownerName(devices: DevicesRepository, ownerTenantId: string, device: DevicesTable, chosen: string | undefined): Promise<string> {
  if (chosen === undefined) {
    return device.tenant_id === ownerTenantId ? device.name : freeDeviceName(devices, ownerTenantId, device.name);
  }
  const holder = await devices.findByName(ownerTenantId, chosen);
  if (holder && holder.id !== device.id) throw appError('DEVICE_NAME_TAKEN', `another device of your tenant is named "${chosen}"`);
  return chosen;
}

/** Steps of a claim, in one transaction: take the code, move the device and its label rows. */
async function claimInTransaction(trx: Transaction<Database>, ownerTenantId: string, codeHash: string, input: ClaimBody): Promise<DevicesTable> {
  const now = Date.now();
  const claims = createClaimsRepository(trx);
  const code = await claims.markClaimed(codeHash, ownerTenantId, now);
  if (!code) {
    if (await claims.findByHash(codeHash)) throw appError('CLAIM_CODE_ALREADY_CLAIMED', 'this device has been claimed already');
    throw invalidCode();
  }
  const devices = createDevicesRepository(trx);
  const device = await deviceOfCode(devices, code);
  const name = await ownerName(devices, ownerTenantId, device, input.name);
  const labels = sortedLabels({ ...labelsOf(device), ...input.labels });
  const changes = { tenant_id: ownerTenantId, name, labels: JSON.stringify(labels), updated_at: now };
  await devices.update(device.id, changes);
  await devices.replaceLabels(device.id, ownerTenantId, labels);
  return { ...device, ...changes };
}

/** Steps of enrolling with a claim code, in one transaction: take the code, give the device its secret. */
async function enrollInTransaction(trx: Transaction<Database>, codeHash: string, name: string | undefined): Promise<EnrollmentResult> {
  const now = Date.now();
  const claims = createClaimsRepository(trx);
  const code = await claims.markEnrolled(codeHash, now);
  if (!code) {
    if (await claims.findByHash(codeHash)) throw appError('CLAIM_CODE_ALREADY_ENROLLED', 'a device has enrolled with this claim code already');
    throw invalidCode();
  }
  const devices = createDevicesRepository(trx);
  const device = await deviceOfCode(devices, code);
  // Once an owner has claimed the device, the name is theirs to choose, not the device's.
  const isRenaming = name !== undefined && name !== device.name && code.claimed_at === null;
  const deviceName = isRenaming ? await freeDeviceName(devices, device.tenant_id, name) : device.name;
  const secret = newSecret(DEVICE_SECRET_PREFIX);
  await devices.update(device.id, { secret_hash: hashSecret(secret), name: deviceName, updated_at: now });
  return { id: device.id, secret, name: deviceName, tenantId: device.tenant_id, via: { type: 'claim_code', id: code.id } };
}

/** Creates the claims service. */
export function createClaimsService({ db, log, bus }: { db: Kysely<Database>; log: Logger; bus?: Bus }) {
  const repository = createClaimsRepository(db);
  const changed = (tenantId: string, deviceId: string, change: DeviceChange) => bus?.publish('deviceChanged', { tenantId, deviceId, change, at: Date.now() });

  return {
    /** Makes `count` devices in the maker's tenant, each with a claim code shown only here. */
    async createCodes(makerTenantId: string, input: CreateClaimCodesBody): Promise<{ items: Array<{ deviceId: string; claimCode: string }> }> {
      const items = await retryOnUniqueViolation(() =>
        db.transaction().execute(async (trx) => {
          const now = Date.now();
          const devices = createDevicesRepository(trx);
          const names = await numberedDeviceNames(devices, makerTenantId, input.namePrefix ?? DEFAULT_NAME_PREFIX, input.count);
          const rows = names.map((name) => newDeviceRow({ tenantId: makerTenantId, name, labels: input.labels ?? {}, secretHash: null, now }));
          const codes = rows.map(() => newClaimCode());
          await devices.insert(rows, labelsOf);
          await createClaimsRepository(trx).insert(
            rows.map((row, index) => ({
              id: newId('clm', now),
              maker_tenant_id: makerTenantId,
              device_id: row.id,
              code_hash: claimCodeHash(codes[index] as string) as string,
              created_at: now,
              enrolled_at: null,
              claimed_at: null,
              claimed_tenant_id: null,
            })),
          );
          return rows.map((row, index) => ({ deviceId: row.id, claimCode: codes[index] as string }));
        }),
      );
      log.info({ tenantId: makerTenantId, count: items.length }, 'claim codes created');
      for (const item of items) changed(makerTenantId, item.deviceId, 'created');
      return { items };
    },

    async list(makerTenantId: string, query: { limit?: number; cursor?: string }): Promise<Page<ClaimCode>> {
      const limit = query.limit ?? 50;
      const beforeId = query.cursor ? decodeCursor(query.cursor)[1] : undefined;
      const rows = await repository.list(makerTenantId, beforeId, limit + 1);
      return pageOf(rows, limit, (row) => [null, row.id], toClaimCode);
    },

    /** Moves the device of a code into the owner's tenant; a code is claimed only once. */
    async claim(ownerTenantId: string, input: ClaimBody): Promise<Device> {
      const codeHash = claimCodeHash(input.code);
      if (!codeHash) throw invalidCode();
      const row = await mapNameConflict(input.name, () =>
        retryOnUniqueViolation(() => db.transaction().execute((trx) => claimInTransaction(trx, ownerTenantId, codeHash, input))),
      );
      log.info({ deviceId: row.id, tenantId: ownerTenantId }, 'device claimed');
      changed(ownerTenantId, row.id, 'moved');
      return toDevice(row);
    },

    /** Enrolls the device of a code: it gets its id and secret, once. */
    async enroll(code: string, name: string | undefined): Promise<EnrollmentResult> {
      const codeHash = claimCodeHash(code);
      if (!codeHash) throw invalidCode();
      const result = await retryOnUniqueViolation(() => db.transaction().execute((trx) => enrollInTransaction(trx, codeHash, name)));
      log.info({ deviceId: result.id, tenantId: result.tenantId, claimCodeId: result.via.id }, 'device enrolled');
      changed(result.tenantId, result.id, 'credentials');
      return result;
    },
  };
}

export type ClaimsService = ReturnType<typeof createClaimsService>;
