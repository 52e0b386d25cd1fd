/**
 * Params of a command: those of a well-known command are checked against its schema in
 * packages/protocol (defaults filled in, so the device receives them); a custom command takes
 * any JSON object up to MAX_COMMAND_PARAMS_BYTES.
 */
import { MAX_COMMAND_PARAMS_BYTES, WELL_KNOWN_COMMANDS, wellKnownCommand } from '@flotilla/protocol';
import { Ajv, type ValidateFunction } from 'ajv';
import { appError } from '../errors.js';
import { validationProblem } from '../http/problem.js';

const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false });
const validators = new Map<string, ValidateFunction>(Object.values(WELL_KNOWN_COMMANDS).map((command) => [command.name, ajv.compile(command.params)]));

/** The params to store for a command: checked, with a well-known command's defaults applied. */
export function checkCommandParams(name: string, params: Record<string, unknown> | undefined, field = 'body/params'): Record<string, unknown> {
  const checked = structuredClone(params ?? {});
  const validate = wellKnownCommand(name) ? validators.get(name) : undefined;
  if (validate && !validate(checked)) throw validationProblem(field, validate.errors ?? [], `${field} does not fit the ${name} command`);
  const bytes = Buffer.byteLength(JSON.stringify(checked));
  if (bytes > MAX_COMMAND_PARAMS_BYTES) {
    const message = `must be at most ${MAX_COMMAND_PARAMS_BYTES} bytes of JSON; this is ${bytes}`;
    throw appError('VALIDATION_FAILED', `${field} ${message}`, [{ field, message }]);
  }
  return checked;
}
