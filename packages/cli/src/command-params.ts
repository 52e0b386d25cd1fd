/**
 * Params of commands as the CLI takes them: built from `--params JSON` and `--param key=value`,
 * checked against a well-known command's schema (from packages/protocol) before anything is
 * sent, and described for `cmd list-known`.
 */
import { wellKnownCommand, type WellKnownCommand } from '@flotilla/protocol';
import type { TSchema } from '@sinclair/typebox';
import { Value, ValueErrorType } from '@sinclair/typebox/value';
import { parseCommandParam, parseJsonObject } from './args.js';
import { usageError } from './errors.js';

/** The params of `--params` with every `--param` added; a key given twice is refused. */
export function buildParams(json: string | undefined, pairs: readonly string[]): Record<string, unknown> {
  const params = json === undefined ? {} : parseJsonObject(json, '--params');
  const fromPairs = new Set<string>();
  for (const pair of pairs) {
    const [key, value] = parseCommandParam(pair);
    if (fromPairs.has(key) || Object.hasOwn(params, key)) throw usageError(`param "${key}" is given twice`);
    fromPairs.add(key);
    Object.defineProperty(params, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return params;
}

/** Refuses params that a well-known command's schema rejects, naming the first bad param; custom commands take any. */
export function checkParams(name: string, params: Record<string, unknown>): void {
  const command = wellKnownCommand(name);
  if (!command) return;
  const error = Value.Errors(command.params, params).First();
  if (!error) return;
  const param = error.path.slice(1).split('/')[0] ?? '';
  const known = Object.keys(propertiesOf(command.params));
  if (error.type === ValueErrorType.ObjectAdditionalProperties) {
    throw usageError(`${name} has no param "${param}": ${known.length === 0 ? 'it takes none' : `it takes ${known.join(', ')}`}`);
  }
  if (error.type === ValueErrorType.ObjectRequiredProperty) throw usageError(`${name} needs the param "${param}" (--param ${param}=…)`);
  throw usageError(`${name}: param "${param}": ${lowerFirst(error.message)}, not ${JSON.stringify(error.value)}`);
}

/** One line per param of a well-known command: `delaySeconds?: integer 0-3600, default 5`. */
export function describeParams(command: WellKnownCommand): string[] {
  const required = new Set<string>((command.params as { required?: string[] }).required ?? []);
  return Object.entries(propertiesOf(command.params)).map(([param, schema]) => {
    const details = [String(schema.type ?? 'any')];
    if (schema.minimum !== undefined || schema.maximum !== undefined) details[0] += ` ${schema.minimum ?? ''}-${schema.maximum ?? ''}`;
    if (schema.default !== undefined) details.push(`default ${JSON.stringify(schema.default)}`);
    return `${param}${required.has(param) ? '' : '?'}: ${details.join(', ')}`;
  });
}

function propertiesOf(schema: TSchema): Record<string, TSchema> {
  return (schema as { properties?: Record<string, TSchema> }).properties ?? {};
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}
