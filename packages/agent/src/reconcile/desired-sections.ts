/**
 * Reads the `apps` and `files` sections of a desired document into valid specs and per-part
 * problems, so one bad entry fails only its own part. Every reason names the path of what is
 * wrong (`apps/web/args/0: Expected string`).
 */
import { AppSpecSchema, FileSpecSchema, type AppSpec, type FileSpec, type JsonObject } from '@flotilla/protocol';
import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { isAbsolute, normalize } from 'node:path';

/** App names become directory names: letters, digits, `.`, `_`, `-`, not starting with a dot. */
export const APP_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** How many schema errors one reason lists. */
const MAX_LISTED_ERRORS = 5;

/** One section read: the valid entries, the invalid ones with their reason, or why the whole section is unusable. */
export interface Section<Spec> {
  valid: Map<string, Spec>;
  invalid: Map<string, string>;
  /** Set when the section is present but not an object; the agent then leaves that section as it is. */
  error?: string;
}

/** The schema errors of a value, each prefixed with its path, or undefined when it fits. */
export function schemaProblems(schema: TSchema, value: unknown, path: string): string | undefined {
  const problems: string[] = [];
  for (const error of Value.Errors(schema, value)) {
    problems.push(`${path}${error.path}: ${error.message}`);
    if (problems.length === MAX_LISTED_ERRORS) break;
  }
  return problems.length > 0 ? problems.join('; ') : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readSection<Spec>(state: JsonObject, key: string, checkEntry: (name: string, value: unknown) => string | undefined): Section<Spec> {
  const section: Section<Spec> = { valid: new Map(), invalid: new Map() };
  const raw = state[key];
  if (raw === undefined || raw === null) return section;
  if (!isObject(raw)) return { ...section, error: `${key}: must be an object keyed by ${key === 'apps' ? 'app name' : 'absolute path'}` };
  for (const [name, value] of Object.entries(raw)) {
    const problem = checkEntry(name, value);
    if (problem) section.invalid.set(name, problem);
    else section.valid.set(name, value as Spec);
  }
  return section;
}

/** The `apps` section: names checked against APP_NAME_PATTERN, specs against AppSpecSchema. */
export function readApps(state: JsonObject): Section<AppSpec> {
  return readSection<AppSpec>(state, 'apps', (name, value) => {
    if (!APP_NAME_PATTERN.test(name)) return `apps/${name}: the name must be 1 to 64 letters, digits, '.', '_' or '-', not starting with '.', '_' or '-'`;
    return schemaProblems(AppSpecSchema, value, `apps/${name}`);
  });
}

/** The `files` section: keys must be absolute, normalised paths; specs must fit FileSpecSchema. */
export function readFiles(state: JsonObject): Section<FileSpec> {
  return readSection<FileSpec>(state, 'files', (path, value) => {
    if (!isAbsolute(path)) return `files/${path}: the path must be absolute`;
    if (normalize(path) !== path || path.endsWith('/')) return `files/${path}: the path must be normalised (no '.', '..', '//' or trailing '/'), e.g. ${normalize(path).replace(/\/$/, '')}`;
    return schemaProblems(FileSpecSchema, value, `files/${path}`);
  });
}

/** JSON with object keys sorted, so equal specs compare equal whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isObject(value)) {
    const keys = Object.keys(value).filter((key) => value[key] !== undefined).sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
