/**
 * Secrets in desired-state documents. What a person writes, `{"$secret":"s3cret"}`, is stored
 * sealed with AES-256-GCM as `{"$secret":{"sealed":"v1.<iv>.<tag>.<ciphertext>"}}`; every read
 * but the device's own sees `{"$secret":true}`; the device gets the plain string in place of the
 * whole object. Writing `{"$secret":true}` back keeps what is stored at that path.
 *
 *   const box = createSecretBox(key);
 *   const stored = sealDocument(input, previousStored, box);   // on write
 *   redactDocument(stored);                                    // API, history, git, previews
 *   revealDocument(effective, box);                            // for the device only
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { isSecretRef, SECRET_KEY, type JsonObject, type JsonValue } from '@flotilla/protocol';
import { appError } from '../errors.js';
import { isSecretNode, mapSecrets, valueAt } from './documents.js';

const SEALED_PREFIX = 'v1';
const IV_BYTES = 12;

/** A secret as stored. */
type SealedSecret = { [SECRET_KEY]: { sealed: string } };

/** Encrypts and decrypts secret strings with one 256-bit key. */
export interface SecretBox {
  seal(plaintext: string): SealedSecret;
  open(secret: SealedSecret): string;
}

/** Creates the box around a 32-byte key. */
export function createSecretBox(key: Buffer): SecretBox {
  if (key.length !== 32) throw new Error('the secret key must be 32 bytes');
  return {
    seal(plaintext) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      const parts = [iv, cipher.getAuthTag(), ciphertext].map((part) => part.toString('base64url'));
      return { [SECRET_KEY]: { sealed: [SEALED_PREFIX, ...parts].join('.') } };
    },
    open(secret) {
      const [prefix, iv = '', tag = '', ciphertext = ''] = secret[SECRET_KEY].sealed.split('.');
      if (prefix !== SEALED_PREFIX) throw new Error(`unknown sealed secret format ${prefix}`);
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
    },
  };
}

/** True for a secret as stored. */
export function isSealedSecret(value: unknown): value is SealedSecret {
  if (!isSecretNode(value)) return false;
  const inner = (value as Record<string, unknown>)[SECRET_KEY];
  return Object.keys(value as object).length === 1 && typeof inner === 'object' && inner !== null && typeof (inner as { sealed?: unknown }).sealed === 'string';
}

/** The field name of a JSON Pointer in error answers: `body/state/settings/password`. */
export function fieldOf(prefix: string, pointer: string): string {
  return `${prefix}${pointer}`;
}

/**
 * Turns a document as written into the stored form: each `{"$secret":"…"}` is sealed, each
 * `{"$secret":true}` takes the sealed value `previous` has at the same path. Anything else
 * under `$secret`, or `true` where nothing is stored, is refused naming the path.
 */
export function sealDocument(input: JsonObject, previous: JsonObject, box: SecretBox, fieldPrefix = 'body/state'): JsonObject {
  return mapSecrets(input, (node, path) => {
    if (!isSecretRef(node)) {
      throw appError('STATE_DOCUMENT_INVALID', `${fieldOf(fieldPrefix, path)} must be {"$secret":"<value>"} or {"$secret":true}, with no other key`, [
        { field: fieldOf(fieldPrefix, path), message: 'is not a secret marker' },
      ]);
    }
    const value = node[SECRET_KEY];
    if (typeof value === 'string') return box.seal(value);
    const kept = valueAt(previous, path);
    if (!isSealedSecret(kept)) {
      throw appError('STATE_SECRET_MISSING', `${fieldOf(fieldPrefix, path)} keeps a secret with {"$secret":true}, but no secret is stored there`, [
        { field: fieldOf(fieldPrefix, path), message: 'has no stored secret to keep' },
      ]);
    }
    return kept;
  });
}

const REDACTED = { [SECRET_KEY]: true } as const;

/** The document as everyone but its device sees it: each secret is `{"$secret":true}`. */
export function redactDocument(document: JsonObject): JsonObject {
  return mapSecrets(document, () => ({ ...REDACTED }));
}

/** The document for its device: each secret is its plain string. */
export function revealDocument(document: JsonObject, box: SecretBox): JsonObject {
  return mapSecrets(document, (node) => (isSealedSecret(node) ? box.open(node) : null) as JsonValue);
}
