/**
 * Parsers for what users type: labels, label changes, durations, counts, roles, JSON, command
 * params and server addresses. Each throws a usage error (exit 2) that quotes the bad input.
 */
import { labelKeyProblem, labelValueProblem, ROLES, type Role } from '@flotilla/protocol';
import { usageError } from './errors.js';

/** Parses `key=value` into its parts, checking both against the label rules. */
export function parseLabel(text: string): [string, string] {
  const separator = text.indexOf('=');
  if (separator <= 0) throw usageError(`malformed label "${text}": expected key=value`);
  const key = text.slice(0, separator);
  const value = text.slice(separator + 1);
  const problem = labelKeyProblem(key) ?? labelValueProblem(value);
  if (problem) throw usageError(`malformed label "${text}": ${problem}`);
  return [key, value];
}

/** Parses repeated `key=value` into labels; a key given twice is a mistake worth reporting. */
export function parseLabels(texts: readonly string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const text of texts) {
    const [key, value] = parseLabel(text);
    if (key in labels) throw usageError(`label "${key}" is given twice`);
    labels[key] = value;
  }
  return labels;
}

/**
 * Parses label changes in kubectl's style: `key=value` sets a label, `key-` removes it. The
 * result is the merge patch the API takes, where `null` removes.
 */
export function parseLabelChanges(texts: readonly string[]): Record<string, string | null> {
  if (texts.length === 0) throw usageError('give at least one change: key=value sets a label, key- removes it');
  const changes: Record<string, string | null> = {};
  for (const text of texts) {
    let key: string;
    let value: string | null;
    if (!text.includes('=') && text.endsWith('-')) {
      key = text.slice(0, -1);
      value = null;
      const problem = labelKeyProblem(key);
      if (problem) throw usageError(`malformed label removal "${text}": ${problem}`);
    } else {
      if (!text.includes('=')) throw usageError(`malformed label change "${text}": expected key=value to set or key- to remove`);
      [key, value] = parseLabel(text);
    }
    if (key in changes) throw usageError(`label "${key}" is changed twice`);
    changes[key] = value;
  }
  return changes;
}

/** Collects a repeatable option's values, for commander. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

const secondsPerUnit: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/** Parses a lifetime such as `90s`, `15m`, `24h`, `30d` or `2w` into whole seconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+)(s|m|h|d|w)$/.exec(text.trim());
  const seconds = match ? Number(match[1]) * (secondsPerUnit[match[2] as string] as number) : 0;
  if (!match || seconds <= 0 || !Number.isSafeInteger(seconds)) {
    throw usageError(`malformed duration "${text}": expected a number and a unit, such as 90s, 15m, 24h, 30d or 2w`);
  }
  return seconds;
}

/** Parses a duration for the named option (`--timeout 30s`) into milliseconds, at most `maxMs`. */
export function parseDurationMs(text: string, name: string, maxMs: number): number {
  let milliseconds: number;
  try {
    milliseconds = parseDuration(text) * 1000;
  } catch {
    throw usageError(`${name} must be a number and a unit, such as 30s, 15m, 2h or 7d, not "${text}"`);
  }
  if (milliseconds > maxMs) throw usageError(`${name} must be at most ${maxMs / 86_400_000}d, not "${text}"`);
  return milliseconds;
}

/** Parses a whole number, negative too, from `min` to `max` for the named option. */
export function parseInteger(text: string, name: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^-?\d+$/.test(text.trim()) || value < min || value > max) throw usageError(`${name} must be a whole number from ${min} to ${max}, not "${text}"`);
  return value;
}

/** Parses a whole number of at least 1 (optionally at most `max`) for the named option. */
export function parsePositiveInteger(text: string, name: string, max = Number.MAX_SAFE_INTEGER): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || value < 1 || value > max) {
    throw usageError(`${name} must be a whole number from 1 to ${max}, not "${text}"`);
  }
  return value;
}

/** Parses a role name. */
export function parseRole(text: string): Role {
  const role = ROLES.find((candidate) => candidate === text);
  if (!role) throw usageError(`unknown role "${text}": expected ${ROLES.join(', ')}`);
  return role;
}

/** Parses a JSON object for the named option (`--metadata '{"rack":4}'`). */
export function parseJsonObject(text: string, name: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw usageError(`${name} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw usageError(`${name} must be a JSON object such as {"rack":4}`);
  return value as Record<string, unknown>;
}

/**
 * Parses a command param `key=value`. The value is taken as JSON where it parses (`5`, `true`,
 * `null`, `[1,2]`, `"05"`), else as the string it is (`app=web`).
 */
export function parseCommandParam(text: string): [string, unknown] {
  const separator = text.indexOf('=');
  if (separator <= 0) throw usageError(`malformed --param "${text}": expected key=value, e.g. delaySeconds=10`);
  const raw = text.slice(separator + 1);
  try {
    return [text.slice(0, separator), JSON.parse(raw) as unknown];
  } catch {
    return [text.slice(0, separator), raw];
  }
}

/** Checks a server address and drops a trailing slash: `http://host:8080`. */
export function parseServerUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw usageError(`malformed server address "${text}": expected a URL such as http://localhost:8080`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw usageError(`server address "${text}" must start with http:// or https://`);
  if (url.search || url.hash) throw usageError(`server address "${text}" must not carry a query or fragment`);
  return url.toString().replace(/\/+$/, '');
}

/**
 * Parses a point in time for the named option: a duration back from `now` (`1h`, `7d`), an ISO
 * 8601 time, or epoch milliseconds. Answers epoch milliseconds, which the telemetry API takes.
 */
export function parseTimeOption(text: string, name: string, now: number = Date.now()): number {
  const trimmed = text.trim();
  if (/^0*[1-9]\d*(s|m|h|d|w)$/.test(trimmed)) return now - parseDuration(trimmed) * 1000;
  const at = /^\d{4}-\d{2}-\d{2}/.test(trimmed) ? Date.parse(trimmed) : /^\d{10,}$/.test(trimmed) ? Number(trimmed) : Number.NaN;
  if (!Number.isFinite(at)) throw usageError(`${name} must be a duration back from now such as 1h or 7d, or an ISO 8601 time, not "${text}"`);
  return at;
}

/** Splits a comma-separated list (`--keys temp,hum`), dropping blanks and repeats. */
export function parseList(text: string): string[] {
  return [...new Set(text.split(',').map((item) => item.trim()).filter((item) => item !== ''))];
}
