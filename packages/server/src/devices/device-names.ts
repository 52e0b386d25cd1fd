/**
 * Picking free device names for devices that name themselves (enrollment) or come in batches
 * (claim codes). The caller inserts the name in the same transaction and retries on a unique
 * violation, since another writer may take the name in between.
 */
import type { DevicesRepository } from './devices.repository.js';

const MAX_NAME_LENGTH = 128;
// Every candidate starts with this much of the base, so one LIKE query finds all that are taken.
const STEM_LENGTH = 100;

function withSuffix(base: string, suffix: string): string {
  return `${base.slice(0, MAX_NAME_LENGTH - suffix.length)}${suffix}`;
}

/** The first of `base`, `base-2`, `base-3`… that no device of the tenant has. */
export async function freeDeviceName(devices: DevicesRepository, tenantId: string, base: string): Promise<string> {
  const taken = new Set(await devices.namesStartingWith(tenantId, base.slice(0, STEM_LENGTH)));
  for (let number = 1; ; number++) {
    const candidate = number === 1 ? base : withSuffix(base, `-${number}`);
    if (!taken.has(candidate)) return candidate;
  }
}

/** `count` names `prefix-<n>`, numbered on from the highest such name the tenant has. */
export async function numberedDeviceNames(devices: DevicesRepository, tenantId: string, prefix: string, count: number): Promise<string[]> {
  const numbered = new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-(\\d{1,9})$`);
  let highest = 0;
  for (const name of await devices.namesStartingWith(tenantId, `${prefix}-`)) {
    const match = numbered.exec(name);
    if (match) highest = Math.max(highest, Number(match[1]));
  }
  return Array.from({ length: count }, (_, index) => `${prefix}-${highest + index + 1}`);
}

/** The random tail of an id, short enough for a default name (`device-7k2m9q4x`). */
export function shortId(id: string): string {
  return id.slice(-8);
}
