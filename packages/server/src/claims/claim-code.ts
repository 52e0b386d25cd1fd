/**
 * Claim codes: 80 random bits as 16 Crockford base32 characters in groups of four
 * (`ABCD-EFGH-JKMN-PQRS`), easy to print, read aloud and type. Stored only as a digest of the
 * normalised form, so case, dashes and look-alike letters do not matter when it is typed back.
 */
import { randomBytes } from 'node:crypto';
import { hashSecret } from '../store/ids.js';

// Crockford's alphabet leaves out I, L, O and U: no look-alikes, no accidental words.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const CODE_LENGTH = 16;
const GROUP_LENGTH = 4;

/** A new random claim code, e.g. `7K2M-9Q4X-ABCD-EF01`. */
export function newClaimCode(): string {
  const bytes = randomBytes(10);
  let bits = 0n;
  for (const byte of bytes) bits = (bits << 8n) | BigInt(byte);
  let characters = '';
  for (let index = CODE_LENGTH - 1; index >= 0; index--) characters += ALPHABET[Number((bits >> BigInt(index * 5)) & 31n)];
  return (characters.match(new RegExp(`.{${GROUP_LENGTH}}`, 'g')) as string[]).join('-');
}

/**
 * The canonical form of a typed code: upper case, without dashes or spaces, with the letters
 * Crockford decodes as digits (O → 0, I and L → 1). Null when it cannot be a claim code.
 */
export function normaliseClaimCode(typed: string): string | null {
  const compact = typed
    .toUpperCase()
    .replace(/[\s-]/g, '')
    .replace(/O/g, '0')
    .replace(/[IL]/g, '1');
  if (compact.length !== CODE_LENGTH) return null;
  for (const character of compact) if (!ALPHABET.includes(character)) return null;
  return compact;
}

/** The stored digest of a code, or null when the text cannot be a claim code. */
export function claimCodeHash(typed: string): string | null {
  const normalised = normaliseClaimCode(typed);
  return normalised === null ? null : hashSecret(normalised);
}
