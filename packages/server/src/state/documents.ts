/**
 * Desired-state documents: merging layers with provenance, merge patches, structured diffs and
 * content hashes. A secret (`{"$secret":…}` in any form) is a leaf everywhere here: it is
 * replaced whole, never merged into. Paths are JSON Pointers (RFC 6901). Keys are set as own
 * properties, so `__proto__` in a document stays an ordinary key.
 */
import { createHash } from 'node:crypto';
import { SECRET_KEY, type JsonObject, type JsonValue, type StateChange, type StateSource } from '@flotilla/protocol';

/** One layer of a device's desired state, lowest first when merged. */
export interface StateLayer {
  source: StateSource;
  document: JsonObject;
}

/** True for an object holding a secret, as written, stored or redacted. */
export function isSecretNode(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.hasOwn(value, SECRET_KEY);
}

/** True for a JSON object that merges key by key (not an array, not a secret). */
export function isMergeable(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !isSecretNode(value);
}

/** Sets an own, enumerable property (a plain assignment of `__proto__` would change the prototype). */
export function setKey(target: JsonObject, key: string, value: JsonValue): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** An own property's value; never one inherited (`__proto__` reads Object.prototype otherwise). */
export function ownValue(target: JsonObject, key: string): JsonValue | undefined {
  return Object.hasOwn(target, key) ? target[key] : undefined;
}

/** The JSON Pointer of `key` under `parent` (RFC 6901 §3: `~` is `~0`, `/` is `~1`). */
export function childPointer(parent: string, key: string): string {
  return `${parent}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
}

function clone<T extends JsonValue>(value: T): T {
  return structuredClone(value);
}

/**
 * Applies a JSON merge patch (RFC 7386) with secrets as leaves: `null` removes a key, an object
 * merges into the object under the same key, anything else replaces. Neither argument changes.
 */
export function applyStatePatch(target: JsonObject, patch: JsonObject): JsonObject {
  const result: JsonObject = {};
  for (const [key, value] of Object.entries(target)) setKey(result, key, value);
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else if (isMergeable(value)) {
      const existing = ownValue(result, key);
      setKey(result, key, applyStatePatch(isMergeable(existing) ? existing : {}, value));
    }
    else setKey(result, key, clone(value));
  }
  return result;
}

/** Drops the provenance of `path` and of everything under it. */
function forget(provenance: Map<string, StateSource>, path: string): void {
  const prefix = `${path}/`;
  for (const key of provenance.keys()) if (key === path || key.startsWith(prefix)) provenance.delete(key);
}

function mergeLayerInto(target: JsonObject, layer: JsonObject, path: string, source: StateSource, provenance: Map<string, StateSource>): void {
  for (const [key, value] of Object.entries(layer)) {
    const here = childPointer(path, key);
    const isPresent = Object.hasOwn(target, key);
    const existing = ownValue(target, key);
    if (value === null) {
      if (isPresent) forget(provenance, here);
      delete target[key];
    } else if (isMergeable(value)) {
      let into = existing;
      if (!isMergeable(into)) {
        if (isPresent) forget(provenance, here);
        into = {};
        setKey(target, key, into);
        provenance.set(here, source);
      }
      mergeLayerInto(into, value, here, source, provenance);
    } else {
      if (isMergeable(existing)) forget(provenance, here);
      setKey(target, key, clone(value));
      provenance.set(here, source);
    }
  }
}

/** Each leaf (and empty object) of a document with its JSON Pointer. */
function leaves(document: JsonObject, path = '', found: string[] = []): string[] {
  for (const [key, value] of Object.entries(document)) {
    const here = childPointer(path, key);
    if (isMergeable(value) && Object.keys(value).length > 0) leaves(value, here, found);
    else found.push(here);
  }
  return found;
}

/**
 * Merges layers, lowest first: objects merge deeply, scalars, lists and secrets are replaced,
 * `null` removes a key. Returns the document and the layer that set each of its values.
 */
export function mergeLayers(layers: readonly StateLayer[]): { document: JsonObject; provenance: Record<string, StateSource> } {
  const document: JsonObject = {};
  const sources = new Map<string, StateSource>();
  for (const layer of layers) mergeLayerInto(document, layer.document, '', layer.source, sources);
  const provenance: Record<string, StateSource> = {};
  for (const path of leaves(document)) {
    const source = sources.get(path);
    if (source) provenance[path] = source;
  }
  return { document, provenance };
}

function isDeepEqual(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

function diffInto(from: JsonObject, to: JsonObject, path: string, changes: StateChange[]): void {
  for (const [key, value] of Object.entries(from)) {
    const here = childPointer(path, key);
    if (!Object.hasOwn(to, key)) changes.push({ path: here, op: 'removed', from: value });
    else if (isMergeable(value) && isMergeable(ownValue(to, key))) diffInto(value, to[key] as JsonObject, here, changes);
    else if (!isDeepEqual(value, ownValue(to, key))) changes.push({ path: here, op: 'changed', from: value, to: ownValue(to, key) });
  }
  for (const [key, value] of Object.entries(to)) {
    if (!Object.hasOwn(from, key)) changes.push({ path: childPointer(path, key), op: 'added', to: value });
  }
}

/** What changed from one document to another: a whole added or removed subtree is one change. */
export function diffDocuments(from: JsonObject, to: JsonObject): StateChange[] {
  const changes: StateChange[] = [];
  diffInto(from, to, '', changes);
  return changes;
}

/** JSON with object keys sorted, so equal documents have equal text whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** SHA-256 of a document's canonical JSON: equal content, equal hash. */
export function documentHash(document: JsonObject): string {
  return createHash('sha256').update(canonicalJson(document)).digest('hex');
}

/** A copy of the document with each secret node replaced by `replace(node, path)`. */
export function mapSecrets(document: JsonObject, replace: (node: JsonObject, path: string) => JsonValue, path = ''): JsonObject {
  const result: JsonObject = {};
  for (const [key, value] of Object.entries(document)) {
    const here = childPointer(path, key);
    if (isSecretNode(value)) setKey(result, key, replace(value as JsonObject, here));
    else if (Array.isArray(value)) setKey(result, key, mapArraySecrets(value, replace, here));
    else if (isMergeable(value)) setKey(result, key, mapSecrets(value, replace, here));
    else setKey(result, key, value);
  }
  return result;
}

function mapArraySecrets(values: JsonValue[], replace: (node: JsonObject, path: string) => JsonValue, path: string): JsonValue[] {
  return values.map((value, index) => {
    const here = `${path}/${index}`;
    if (isSecretNode(value)) return replace(value as JsonObject, here);
    if (Array.isArray(value)) return mapArraySecrets(value, replace, here);
    if (isMergeable(value)) return mapSecrets(value, replace, here);
    return value;
  });
}

/** The value at a JSON Pointer, or undefined. */
export function valueAt(document: JsonValue, pointer: string): JsonValue | undefined {
  if (pointer === '') return document;
  let current: JsonValue | undefined = document;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (typeof current !== 'object' || current === null) return undefined;
    current = Array.isArray(current) ? current[Number(key)] : Object.hasOwn(current, key) ? current[key] : undefined;
  }
  return current;
}
