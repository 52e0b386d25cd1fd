/**
 * Text for desired-state documents: a document as an indented tree (with the layer that set each
 * value), and changes between two documents as a unified-style diff of paths, coloured on a
 * terminal. Secrets show as `(secret)`: the API never sends their values.
 */
import { isSecretRef, type StateChange, type StateSource } from '@flotilla/protocol';
import { isPlainObject } from './documents.js';

/** One line of a document tree: the indented `key: value` and where the value came from. */
export interface TreeRow {
  text: string;
  source: string;
}

const INDENT = '  ';

/** A value on one line: a secret as `(secret)`, anything else as compact JSON. */
export function formatJson(value: unknown): string {
  if (isSecretRef(value)) return '(secret)';
  return JSON.stringify(value) ?? 'undefined';
}

/** Who set a value: `device` or `profile <name>`. */
export function formatSource(source: StateSource | undefined): string {
  if (!source) return '-';
  return source.type === 'device' ? 'device' : `profile ${source.name}`;
}

/**
 * The rows of a document as a tree: an object with keys is a heading line and its keys
 * follow, indented; every other value is a leaf with the source `provenance` gives its
 * JSON Pointer (RFC 6901).
 */
export function documentTree(document: Readonly<Record<string, unknown>>, provenance: Readonly<Record<string, StateSource>> = {}, path = '', depth = 0): TreeRow[] {
  const rows: TreeRow[] = [];
  for (const [key, value] of Object.entries(document)) {
    const here = `${path}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    const indent = INDENT.repeat(depth);
    if (isPlainObject(value) && Object.keys(value).length > 0) {
      rows.push({ text: `${indent}${key}:`, source: '' });
      rows.push(...documentTree(value, provenance, here, depth + 1));
    } else rows.push({ text: `${indent}${key}: ${formatJson(value)}`, source: formatSource(provenance[here]) });
  }
  return rows;
}

const RED = '\u001b[31m';
const GREEN = '\u001b[32m';
const BOLD = '\u001b[1m';
const RESET = '\u001b[0m';

/**
 * Changes as diff lines: `- path: old` for what went, `+ path: new` for what came, both for a
 * change; `---`/`+++` headers name the two sides when given. Red and green when `colors`.
 */
export function formatChanges(changes: readonly StateChange[], sides: { from: string; to: string } | null, colors: boolean): string[] {
  const paint = (color: string, text: string) => (colors ? `${color}${text}${RESET}` : text);
  const lines = sides ? [paint(BOLD, `--- ${sides.from}`), paint(BOLD, `+++ ${sides.to}`)] : [];
  for (const change of changes) {
    if (change.op !== 'added') lines.push(paint(RED, `- ${change.path}: ${formatJson(change.from)}`));
    if (change.op !== 'removed') lines.push(paint(GREEN, `+ ${change.path}: ${formatJson(change.to)}`));
  }
  return lines;
}
