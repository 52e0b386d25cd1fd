/** Parses a JSON object column; a corrupt value reads as empty rather than failing a whole list. */
export function parseJsonObject<T extends object = Record<string, unknown>>(text: string | null): T | null {
  if (text === null) return null;
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as T) : null;
  } catch {
    return null;
  }
}

/** An epoch-millisecond column as an ISO timestamp, keeping null. */
export function isoOrNull(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

/** An epoch-millisecond column as an ISO timestamp. */
export function iso(ms: number): string {
  return new Date(ms).toISOString();
}
