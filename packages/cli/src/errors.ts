/**
 * The CLI's error catalogue. Every failure the CLI reports is a CliError: one line for the user,
 * a stable code for scripts, and the exit status (1 for API and network failures, 2 for misuse).
 */

/** Exit statuses: a failure while talking to the server, or a command line that makes no sense. */
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** A failure to report as `flotilla: <detail> (<code>)`; `code` is left out when null. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly code: string | null,
    readonly exitCode: number = EXIT_FAILURE,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** A bad flag, argument or value: exit 2. */
export function usageError(message: string): CliError {
  return new CliError(message, 'USAGE', EXIT_USAGE);
}

/** The server answered with an error (problem+json `code` and `detail`). */
export class ApiError extends CliError {
  constructor(
    message: string,
    code: string,
    readonly status: number,
  ) {
    super(message, code, EXIT_FAILURE);
    this.name = 'ApiError';
  }
}

/** No saved session and no FLOTILLA_TOKEN. */
export function notSignedIn(server: string): CliError {
  return new CliError(`not signed in to ${server}: run flotilla login, or set FLOTILLA_TOKEN`, 'NOT_SIGNED_IN');
}

/** The saved session cannot be refreshed any more. */
export function sessionExpired(server: string): CliError {
  return new CliError(`the session with ${server} has expired: run flotilla login`, 'SESSION_EXPIRED');
}

const networkReasons: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_SOCKET: 'connection closed unexpectedly',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'the server certificate is self-signed',
  SELF_SIGNED_CERT_IN_CHAIN: 'the server certificate chain is self-signed',
  CERT_HAS_EXPIRED: 'the server certificate has expired',
  ERR_TLS_CERT_ALTNAME_INVALID: 'the server certificate does not match the host name',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'the server certificate cannot be verified',
};

/** Turns what fetch throws into `cannot reach <server>: <reason>`. */
export function networkError(server: string, error: unknown): CliError {
  return new CliError(`cannot reach ${server}: ${networkReason(error)}`, null, EXIT_FAILURE);
}

function networkReason(error: unknown): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return 'no answer in time';
  // fetch wraps the socket error in `cause`; with several addresses it is an AggregateError.
  // ws reports the socket error itself.
  const cause = error instanceof Error ? ((error.cause ?? ('code' in error ? error : undefined)) as (Error & { code?: string; errors?: { code?: string }[] }) | undefined) : undefined;
  const code = cause?.code ?? cause?.errors?.find((inner) => inner.code)?.code;
  if (code && networkReasons[code]) return networkReasons[code];
  if (code) return code.toLowerCase().replaceAll('_', ' ');
  return cause?.message ?? (error instanceof Error ? error.message : String(error));
}

/** The server ended the live stream (shutting down, token revoked, client too slow). */
export function liveStreamClosed(server: string, code: number, reason: string): CliError {
  const why = reason || (code === 1006 ? 'the connection was lost' : `close code ${code}`);
  return new CliError(`${server} closed the live stream: ${why}`, 'LIVE_STREAM_CLOSED');
}
