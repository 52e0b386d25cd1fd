/**
 * The reported state the agent owns: `inventory`, `applied`, `apps` and `agent` (offline buffer
 * counters). Changes go as JSON merge patches when connected; after every (re)connect the whole
 * document goes once, so nothing changed while offline is missed. Patches null the keys that
 * disappeared, so the server's document matches the agent's.
 */
import type { JsonObject, JsonValue } from '@flotilla/protocol';
import type { Logger } from 'pino';

/** Sends a merge patch of the reported document; resolves once stored. */
export type ReportState = (patch: JsonObject) => Promise<void>;

export interface ReportedState {
  /** Replaces one section; sent at once when connected. */
  set(section: string, value: JsonValue): void;
  /** Sends the whole document (after a connect). */
  sendAll(): void;
}

export function createReportedState(send: ReportState, isConnected: () => boolean, log: Logger): ReportedState {
  const sections = new Map<string, JsonValue>();
  /** Sections changed since they were last stored by the server. */
  const dirty = new Set<string>();
  /** Sections the server holds, as it holds them: a removed key needs an explicit null. */
  const stored = new Map<string, JsonValue>();
  let isSending = false;

  function patchFor(section: string): JsonValue {
    return mergePatch(stored.get(section), sections.get(section) ?? null);
  }

  async function flush(): Promise<void> {
    if (isSending || !isConnected() || dirty.size === 0) return;
    isSending = true;
    const sending = [...dirty];
    dirty.clear();
    const patch: JsonObject = {};
    // The values as sent: newer ones set while this send is in flight go in the next patch.
    const sent = new Map(sending.map((section) => [section, sections.get(section) ?? null]));
    for (const section of sending) patch[section] = patchFor(section);
    try {
      // What a previous run of the agent reported is unknown: clear those sections first.
      const unknownToUs = sending.filter((section) => !stored.has(section));
      if (unknownToUs.length > 0) await send(Object.fromEntries(unknownToUs.map((section) => [section, null])));
      await send(patch);
      log.debug({ sections: sending }, 'reported state sent');
      for (const [section, value] of sent) stored.set(section, value);
    } catch (error) {
      for (const section of sending) dirty.add(section);
      log.debug({ err: error }, 'reported state not sent; will send after the next connect');
    } finally {
      isSending = false;
    }
    if (dirty.size > 0 && isConnected()) setImmediate(() => void flush());
  }

  return {
    set(section, value) {
      if (JSON.stringify(sections.get(section)) === JSON.stringify(value)) return;
      // A copy: the caller may change its object later, and the change must be seen as one.
      sections.set(section, structuredClone(value));
      dirty.add(section);
      void flush();
    },
    sendAll() {
      for (const section of sections.keys()) dirty.add(section);
      void flush();
    },
  };
}

/**
 * The RFC 7396 merge patch that turns `before` into `after`: keys gone from an object become
 * null, or the server would keep them (an app's `pid` after it stopped).
 */
export function mergePatch(before: JsonValue | undefined, after: JsonValue): JsonValue {
  if (!isObject(before) || !isObject(after)) return after;
  const patch: JsonObject = {};
  for (const [key, value] of Object.entries(after)) {
    if (JSON.stringify(before[key]) === JSON.stringify(value)) continue;
    patch[key] = mergePatch(before[key], value);
  }
  for (const key of Object.keys(before)) if (!(key in after)) patch[key] = null;
  return patch;
}

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
