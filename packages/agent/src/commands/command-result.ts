/**
 * Turning what a handler did into a CommandResult the server will keep: failures carry their
 * reason (and output, when there is some), and no result grows past MAX_COMMAND_RESULT_BYTES.
 */
import { MAX_COMMAND_RESULT_BYTES, type CommandResult } from '@flotilla/protocol';
import { AgentError, errorMessage } from '../errors.js';

/** The longest `error` the protocol allows in a result. */
const MAX_ERROR_CHARS = 8192;

/** Thrown by a handler that ends `failed` but has output worth reporting (a shell's exit code and output). */
export class CommandFailure extends Error {
  constructor(
    message: string,
    readonly output?: unknown,
  ) {
    super(message);
    this.name = 'CommandFailure';
  }
}

/** Bytes of a result as the agent will send it. */
export function resultBytes(result: CommandResult): number {
  return Buffer.byteLength(JSON.stringify(result));
}

/** A failed result with a reason cut to what the protocol allows. */
export function failed(error: string, output?: unknown): CommandResult {
  const result: CommandResult = { status: 'failed', error: error.length > MAX_ERROR_CHARS ? `${error.slice(0, MAX_ERROR_CHARS - 1)}…` : error };
  if (output !== undefined) result.output = output;
  return result;
}

/** The failed result for anything a handler threw. */
export function failedFrom(error: unknown): CommandResult {
  if (error instanceof CommandFailure) return failed(error.message, error.output);
  if (error instanceof AgentError) return failed(error.detail);
  return failed(errorMessage(error));
}

/** The result unchanged when it fits; otherwise a failure that says how large the output was. */
export function boundedResult(result: CommandResult): CommandResult {
  const bytes = resultBytes(result);
  if (bytes <= MAX_COMMAND_RESULT_BYTES) return result;
  const reason = `the output is ${bytes} bytes of JSON; a result may have at most ${MAX_COMMAND_RESULT_BYTES}`;
  return failed(result.status === 'failed' && result.error ? `${result.error}; ${reason}` : reason);
}
