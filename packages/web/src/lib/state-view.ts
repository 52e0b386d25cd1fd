/**
 * How desired-state documents read in the dashboard: JSON typed by hand with the place of its
 * mistake, each value with the layer that set it, diffs as rows, and drift as a badge.
 */
import { isSecretRef, type JsonObject, type StateChange, type StateDrift, type StateSource } from '@flotilla/protocol';

/** A document typed into an editor: the object, or what is wrong with the text. */
export type ParsedDocument = { document: JsonObject; problem: null } | { document: null; problem: string };

/** Parses an editor's text as a JSON object; the problem names the line and column when it can. */
export function parseDocument(text: string): ParsedDocument {
  if (text.trim() === '') return { document: null, problem: 'Write a JSON object; {} is an empty one.' };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { document: null, problem: describeSyntaxError(text) };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { document: null, problem: `The document must be a JSON object ({…}), not ${Array.isArray(value) ? 'an array' : value === null ? 'null' : `a ${typeof value}`}.` };
  }
  return { document: value as JsonObject, problem: null };
}

/**
 * Where JSON.parse gave up and why, as a line and column. Browsers word the error differently and
 * most leave out the position, so the text is scanned again here to find the first bad character.
 */
function describeSyntaxError(text: string): string {
  const position = jsonErrorPosition(text);
  const before = text.slice(0, position);
  const line = before.split('\n').length;
  const column = before.length - before.lastIndexOf('\n');
  const found = position >= text.length ? 'the text ends too early' : `unexpected ${JSON.stringify(text[position])}`;
  return `Not valid JSON at line ${line}, column ${column}: ${found}.`;
}

const JSON_NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const JSON_STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;

/** The index of the first character where `text` stops being JSON (its length when it ends early). */
export function jsonErrorPosition(text: string): number {
  let at = 0;
  const space = () => {
    while (at < text.length && ' \t\n\r'.includes(text[at]!)) at++;
  };
  const match = (pattern: RegExp): boolean => {
    pattern.lastIndex = at;
    if (!pattern.test(text)) return false;
    at = pattern.lastIndex;
    return true;
  };
  const value = (): boolean => {
    space();
    const char = text[at];
    if (char === '{' || char === '[') {
      const close = char === '{' ? '}' : ']';
      at++;
      space();
      if (text[at] === close) {
        at++;
        return true;
      }
      for (;;) {
        if (char === '{') {
          space();
          if (!match(JSON_STRING)) return false;
          space();
          if (text[at] !== ':') return false;
          at++;
        }
        if (!value()) return false;
        space();
        if (text[at] === close) {
          at++;
          return true;
        }
        if (text[at] !== ',') return false;
        at++;
      }
    }
    if (char === '"') return match(JSON_STRING);
    const literal = ['true', 'false', 'null'].find((word) => text.startsWith(word, at));
    if (literal) {
      at += literal.length;
      return true;
    }
    return match(JSON_NUMBER);
  };
  if (value()) space();
  return at;
}

/** The text an editor starts with: the document, indented. */
export function documentText(document: Record<string, unknown>): string {
  return JSON.stringify(document, null, 2);
}

/** Who set a value: a profile's name, or "device" for the device's own layer. */
export function sourceLabel(source: StateSource): string {
  return source.type === 'profile' ? source.name : 'device';
}

function sameSource(a: StateSource, b: StateSource): boolean {
  return a.type === b.type && (a.type === 'device' || (b.type === 'profile' && a.id === b.id));
}

/** One line of the effective document as a tree: a key, its value or children, and its layer. */
export interface StateTreeRow {
  path: string;
  key: string;
  depth: number;
  kind: 'object' | 'value' | 'secret';
  /** The value as JSON; empty for an object with children. */
  text: string;
  /** The layer that set it; for an object, the one layer that set everything under it, if only one did. */
  source: StateSource | null;
}

/** A key as one segment of a JSON Pointer (RFC 6901 §3). */
function pointerSegment(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

function isBranch(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !isSecretRef(value) && Object.keys(value).length > 0;
}

/**
 * The effective document as rows of a tree, in document order, each with the layer that set it
 * (`provenance` maps JSON Pointers of leaves to layers, as the API gives it).
 */
export function stateTree(document: Record<string, unknown>, provenance: Record<string, StateSource>): StateTreeRow[] {
  const rows: StateTreeRow[] = [];
  const walk = (node: Record<string, unknown>, parent: string, depth: number): (StateSource | null)[] => {
    const sources: (StateSource | null)[] = [];
    for (const [key, value] of Object.entries(node)) {
      const path = `${parent}/${pointerSegment(key)}`;
      if (isBranch(value)) {
        const row: StateTreeRow = { path, key, depth, kind: 'object', text: '', source: null };
        rows.push(row);
        const below = walk(value, path, depth + 1);
        const first = below[0] ?? null;
        row.source = first && below.every((source) => source !== null && sameSource(source, first)) ? first : null;
        sources.push(...below);
      } else {
        const source = provenance[path] ?? null;
        rows.push({ path, key, depth, kind: isSecretRef(value) ? 'secret' : 'value', text: formatJsonValue(value), source });
        sources.push(source);
      }
    }
    return sources;
  };
  walk(document, '', 0);
  return rows;
}

/** A value as it reads in the dashboard: JSON, with secrets hidden. */
export function formatJsonValue(value: unknown): string {
  if (value === undefined) return '';
  if (isSecretRef(value)) return '•••• secret';
  return JSON.stringify(value);
}

/** One row of a diff: a path, what happened to it, and its values before and after. */
export interface DiffRow {
  path: string;
  op: StateChange['op'];
  from: string;
  to: string;
}

/** Every leaf under a value, as [pointer, value]; a value that is not an object is its own leaf. */
function leavesOf(value: unknown, path: string): [string, unknown][] {
  if (!isBranch(value)) return [[path, value]];
  return Object.entries(value).flatMap(([key, child]) => leavesOf(child, `${path}/${pointerSegment(key)}`));
}

/**
 * The changes of a diff as rows: an added or removed object is shown as each value it held, so
 * a first revision reads as its settings rather than one line holding everything.
 */
export function diffRows(changes: readonly StateChange[]): DiffRow[] {
  return changes.flatMap((change): DiffRow[] => {
    if (change.op === 'changed') return [{ path: change.path, op: 'changed', from: formatJsonValue(change.from), to: formatJsonValue(change.to) }];
    const side = change.op === 'added' ? change.to : change.from;
    return leavesOf(side, change.path).map(([path, value]) => ({
      path,
      op: change.op,
      from: change.op === 'removed' ? formatJsonValue(value) : '',
      to: change.op === 'added' ? formatJsonValue(value) : '',
    }));
  });
}

/** How a drift badge reads. */
export interface DriftSummary {
  tone: 'success' | 'accent' | 'warning' | 'danger';
  text: string;
  /** Why the device is in drift, as the server says it. */
  reason: string | null;
}

/** A device's drift as a badge: in sync, applying, behind by N versions, or failed. */
export function driftSummary(drift: StateDrift): DriftSummary {
  const { reason } = drift;
  if (drift.appliedStatus === 'failed') return { tone: 'danger', text: 'Failed', reason };
  if (drift.appliedStatus === 'applying') return { tone: 'accent', text: 'Applying', reason };
  if (!drift.inDrift) return { tone: 'success', text: 'In sync', reason };
  const behind = drift.desiredVersion - (drift.appliedVersion ?? 0);
  return { tone: 'warning', text: `Behind by ${behind}`, reason };
}

/** One part of the desired state (an app, a file) as the device reported applying it. */
export interface AppliedPart {
  part: string;
  status: string;
  error: string | null;
}

/** The parts of `applied.parts` in a reported document, by name. */
export function appliedParts(reported: Record<string, unknown>): AppliedPart[] {
  const applied = reported.applied;
  const parts = isBranch(applied) ? applied.parts : null;
  if (!isBranch(parts)) return [];
  return Object.entries(parts)
    .map(([part, value]) => {
      const entry = isBranch(value) ? value : {};
      return { part, status: typeof entry.status === 'string' ? entry.status : 'unknown', error: typeof entry.error === 'string' ? entry.error : null };
    })
    .sort((a, b) => a.part.localeCompare(b.part));
}
