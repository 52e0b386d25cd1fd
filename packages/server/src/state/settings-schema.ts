/**
 * JSON Schemas that layers declare for the `settings` section of the effective document. Every
 * schema of every layer a device has must accept its effective settings; secrets are checked as
 * strings, whatever their value.
 */
import type { JsonObject, StateSource } from '@flotilla/protocol';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { appError, type FieldError } from '../errors.js';
import { canonicalJson, isMergeable, mapSecrets } from './documents.js';

// ajv-formats ships CommonJS with a default export object.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

/** The largest schema accepted, in bytes of JSON. */
export const MAX_SCHEMA_BYTES = 64 * 1024;
const CACHE_SIZE = 256;
const SECRET_PLACEHOLDER = '********';

/** A schema with the layer that declared it. */
export interface DeclaredSchema {
  source: StateSource;
  schema: JsonObject;
}

function describe(source: StateSource): string {
  return source.type === 'profile' ? `profile ${source.name}` : 'the device layer';
}

/** Compiles and caches schemas; checks settings against them. */
export function createSettingsSchemas() {
  const ajv = addFormats(new Ajv({ allErrors: true, strict: false }));
  const cache = new Map<string, ValidateFunction>();

  function compile(schema: JsonObject, field: string): ValidateFunction {
    const text = canonicalJson(schema);
    const cached = cache.get(text);
    if (cached) return cached;
    if (Buffer.byteLength(text) > MAX_SCHEMA_BYTES) throw appError('STATE_TOO_LARGE', `${field} is over ${MAX_SCHEMA_BYTES} bytes`);
    let validate: ValidateFunction;
    try {
      validate = ajv.compile(schema);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw appError('STATE_SCHEMA_INVALID', `${field} is not a valid JSON Schema: ${message}`, [{ field, message }]);
    }
    if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value as string);
    cache.set(text, validate);
    return validate;
  }

  return {
    /** Refuses a schema that does not compile, naming `field`. */
    check(schema: JsonObject, field: string): void {
      compile(schema, field);
    },

    /** Field errors of the effective document's settings against each schema (none: valid). */
    violations(effective: JsonObject, schemas: readonly DeclaredSchema[]): FieldError[] {
      if (schemas.length === 0) return [];
      const withPlaceholders = mapSecrets(effective, () => SECRET_PLACEHOLDER);
      const settings = isMergeable(withPlaceholders.settings) ? withPlaceholders.settings : (withPlaceholders.settings ?? {});
      const errors: FieldError[] = [];
      for (const { source, schema } of schemas) {
        const validate = compile(schema, 'schema');
        if (validate(settings)) continue;
        for (const issue of validate.errors ?? []) {
          const params = issue.params as Record<string, unknown>;
          const missing = issue.keyword === 'required' && typeof params.missingProperty === 'string' ? `/${params.missingProperty}` : '';
          errors.push({ field: `/settings${issue.instancePath}${missing}`, message: `${issue.message ?? 'is invalid'} (schema of ${describe(source)})` });
        }
      }
      return errors;
    },
  };
}

export type SettingsSchemas = ReturnType<typeof createSettingsSchemas>;
