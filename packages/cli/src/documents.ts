/**
 * JSON documents the user hands the CLI (a desired-state layer, a profile, a settings schema):
 * read from a file or from stdin, checked to be one JSON object, with an error that names where
 * the bad input came from.
 */
import { readFile } from 'node:fs/promises';
import { isSecretRef } from '@flotilla/protocol';
import { usageError } from './errors.js';

/** Where `-` reads from. */
const STDIN = '-';

/** A JSON object as the CLI reads and sends it. */
export type JsonDocument = Record<string, unknown>;

/** Reads a JSON object from `path`, or from stdin when it is `-`; `name` is the option it came from. */
export async function readJsonObject(path: string, name: string): Promise<JsonDocument> {
  const source = path === STDIN ? 'stdin' : path;
  let text: string;
  try {
    text = path === STDIN ? await readStdin() : await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
    throw usageError(`${name}: cannot read ${source}: ${reason}`);
  }
  return parseJsonObjectText(text, `${name} ${source}`);
}

/** Parses text that must hold one JSON object; `what` names it in the error. */
export function parseJsonObjectText(text: string, what: string): JsonDocument {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw usageError(`${what} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw usageError(`${what} must hold a JSON object, such as {"settings":{"interval":30}}`);
  return value as JsonDocument;
}

async function readStdin(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) text += String(chunk);
  return text;
}

/**
 * Applies a JSON merge patch (RFC 7386) as the server does for state documents: `null`
 * removes, an object merges into an object, anything else (a secret included) replaces.
 */
export function applyMergePatch(target: JsonDocument, patch: JsonDocument): JsonDocument {
  const result: JsonDocument = { ...target };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else if (isPlainObject(value)) {
      const existing = Object.hasOwn(result, key) ? result[key] : undefined;
      setKey(result, key, applyMergePatch(isPlainObject(existing) ? existing : {}, value));
    } else setKey(result, key, value);
  }
  return result;
}

// An assignment to `__proto__` would change the prototype instead of setting the key.
function setKey(target: JsonDocument, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** True for an object whose keys merge one by one: not an array, not a secret. */
export function isPlainObject(value: unknown): value is JsonDocument {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !isSecretRef(value);
}
