/**
 * JSON merge patch (RFC 7386) for device metadata and labels. Results are built with
 * Object.fromEntries, so a key such as `__proto__` becomes an own property and never reaches a
 * prototype.
 */

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Applies `patch` to `target` (RFC 7386 §2): `null` removes a key, an object merges into the
 * object under the same key, any other value replaces. Neither argument is changed.
 */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const entries = new Map(Object.entries(isObject(target) ? target : {}));
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) entries.delete(key);
    else entries.set(key, applyMergePatch(entries.get(key), value));
  }
  return Object.fromEntries(entries);
}

/** Sets or removes labels: a string sets the label, `null` removes it. Keys come out sorted. */
export function mergeLabels(labels: Record<string, string>, patch: Record<string, string | null>): Record<string, string> {
  const entries = new Map(Object.entries(labels));
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) entries.delete(key);
    else entries.set(key, value);
  }
  return sortedLabels(Object.fromEntries(entries));
}

/** The same labels with keys in order, so stored and returned label documents are stable. */
export function sortedLabels(labels: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * How deeply a JSON value nests (a scalar is 0, `{}` is 1), counted without recursion so that a
 * hostile body cannot overflow the stack; counting stops once `limit` is passed.
 */
export function jsonDepth(value: unknown, limit: number): number {
  let deepest = 0;
  const pending: Array<[unknown, number]> = [[value, 0]];
  while (pending.length > 0) {
    const [current, depth] = pending.pop() as [unknown, number];
    if (typeof current !== 'object' || current === null) continue;
    const here = depth + 1;
    deepest = Math.max(deepest, here);
    if (deepest > limit) return deepest;
    for (const child of Object.values(current)) pending.push([child, here]);
  }
  return deepest;
}
