import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const alphabet = '0123456789abcdefghjkmnpqrstvwxyz';

/**
 * A new identifier: a prefix, 10 characters of time and 16 of randomness in Crockford base32,
 * so ids sort by creation and never collide (`dev_01hx…`).
 */
export function newId(prefix: string, now = Date.now()): string {
  let time = '';
  let rest = now;
  for (let index = 0; index < 10; index++) {
    time = alphabet[rest % 32] + time;
    rest = Math.floor(rest / 32);
  }
  const random = randomBytes(16);
  let tail = '';
  for (let index = 0; index < 16; index++) tail += alphabet[(random[index] as number) % 32];
  return `${prefix}_${time}${tail}`;
}

/** A random 256-bit secret in base64url, with a recognisable prefix (`flt_…`). */
export function newSecret(prefix: string): string {
  return `${prefix}${randomBytes(32).toString('base64url')}`;
}

/**
 * SHA-256 of a high-entropy secret. Right for random 256-bit tokens and device secrets: a slow
 * password hash there would only cap how fast devices can connect.
 */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Compares a presented secret to a stored digest in constant time. */
export function secretMatches(secret: string, storedHash: string): boolean {
  const presented = Buffer.from(hashSecret(secret), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return presented.length === stored.length && timingSafeEqual(presented, stored);
}
