/** Type guards from the protocol's TypeBox schemas, so answers are checked against the contract. */
import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

/** A guard that says whether a value matches the schema. */
export function checkWith<T>(schema: TSchema): (value: unknown) => value is T {
  return (value: unknown): value is T => Value.Check(schema, value);
}

/** The first mismatch of a value against the schema, as `path: message`; null when it matches. */
export function firstError(schema: TSchema, value: unknown): string | null {
  const first = Value.Errors(schema, value).First();
  return first ? `${first.path || '/'}: ${first.message}` : null;
}
