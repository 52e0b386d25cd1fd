/**
 * One HTTP request to the device API with the global `fetch` (Node 18+ and browsers), turned
 * into a value or an SdkError: network failures become ServerUnreachableError, problem+json
 * answers RequestFailedError (or CredentialsRefusedError for 401/403 on device routes), and
 * bodies that are not the JSON expected UnexpectedResponseError.
 */
import { CredentialsRefusedError, RequestFailedError, ServerUnreachableError, UnexpectedResponseError } from './errors.js';

/** The path of the versioned API under a server's base URL. */
export const API_PATH = '/api/v1';

/** A device's HTTP Basic credentials. */
export interface DeviceCredentials {
  deviceId: string;
  secret: string;
}

/**
 * The part of `fetch` the SDK uses. The global `fetch` by default; in Node, `nodeHttpFetch` from
 * `@flotilla/sdk/node-http` does the same over node:http and spares the process the ~12 MB that
 * loading the global fetch costs (BENCHMARKS.md, the agent at rest).
 */
export type FetchFunction = (
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string; signal?: AbortSignal },
) => Promise<{ ok: boolean; status: number; statusText: string; headers: { get(name: string): string | null }; text(): Promise<string> }>;

/** One request: method, path under /api/v1, optional JSON body and Basic credentials. */
export interface ApiRequest {
  method: 'GET' | 'POST' | 'PATCH';
  path: string;
  body?: string;
  contentType?: string;
  credentials?: DeviceCredentials;
  signal?: AbortSignal;
  timeoutMs?: number;
  fetch?: FetchFunction;
}

/** `Basic base64(id:secret)`, built without Node's Buffer so it runs in browsers too. */
export function basicAuthorization({ deviceId, secret }: DeviceCredentials): string {
  const bytes = new TextEncoder().encode(`${deviceId}:${secret}`);
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return `Basic ${btoa(binary)}`;
}

/** The base URL without a trailing slash; throws on a URL that is not http(s). */
export function normalizeServerUrl(serverUrl: string): string {
  const url = new URL(serverUrl);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`must be an http:// or https:// URL, not ${url.protocol}`);
  return url.toString().replace(/\/+$/, '');
}

/** Sends the request; resolves with the decoded JSON body (undefined for an empty one). */
export async function apiRequest(serverUrl: string, request: ApiRequest): Promise<unknown> {
  const url = `${serverUrl}${API_PATH}${request.path}`;
  const headers: Record<string, string> = { accept: 'application/json' };
  if (request.body !== undefined) headers['content-type'] = request.contentType ?? 'application/json';
  if (request.credentials) headers.authorization = basicAuthorization(request.credentials);
  const signals = [request.signal, request.timeoutMs ? AbortSignal.timeout(request.timeoutMs) : undefined].filter((signal): signal is AbortSignal => signal !== undefined);
  let response: Awaited<ReturnType<FetchFunction>>;
  // The global fetch is looked up only when no other is given: reading it loads it.
  const send: FetchFunction = request.fetch ?? globalThis.fetch;
  try {
    response = await send(url, {
      method: request.method,
      headers,
      ...(request.body !== undefined ? { body: request.body } : {}),
      ...(signals.length > 0 ? { signal: signals.length === 1 ? signals[0] : AbortSignal.any(signals) } : {}),
    });
  } catch (error) {
    if (request.signal?.aborted) throw error;
    throw new ServerUnreachableError(`cannot reach ${serverUrl}: ${networkReason(error)}`, { cause: error });
  }
  const text = await response.text();
  if (response.ok) return parseJson(text, response.status, url);
  throw failure(response, text, request);
}

function parseJson(text: string, status: number, url: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new UnexpectedResponseError(`${url} answered ${status} with a body that is not JSON: ${text.slice(0, 80)}`, status);
  }
}

/** The error of a non-2xx answer, with the problem's `code` and `detail` when there is one. */
function failure(response: Awaited<ReturnType<FetchFunction>>, text: string, request: ApiRequest): Error {
  let problem: { code?: unknown; detail?: unknown; title?: unknown } = {};
  try {
    problem = JSON.parse(text) as typeof problem;
  } catch {
    // Not problem+json (a proxy's HTML page): the status alone says what happened.
  }
  const serverCode = typeof problem.code === 'string' ? problem.code : null;
  const detail = typeof problem.detail === 'string' ? problem.detail : typeof problem.title === 'string' ? problem.title : response.statusText;
  if (request.credentials && (response.status === 401 || response.status === 403)) {
    return new CredentialsRefusedError(`the server refused device ${request.credentials.deviceId}'s credentials (HTTP ${response.status}${serverCode ? ` ${serverCode}` : ''}): it was deleted, moved or given a new secret`, 'http');
  }
  const retryAfter = Number(response.headers.get('retry-after'));
  return new RequestFailedError(
    `${request.method} ${API_PATH}${request.path} failed with ${response.status}${serverCode ? ` ${serverCode}` : ''}: ${detail}`,
    response.status,
    serverCode,
    Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : null,
  );
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
};

/** A short reason for a network failure; fetch hides the socket's code in `cause`. */
export function networkReason(error: unknown): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return 'no answer in time';
  const cause = error instanceof Error ? ((error.cause ?? error) as Error & { code?: string; errors?: { code?: string }[] }) : undefined;
  const code = cause?.code ?? cause?.errors?.find((inner) => inner.code)?.code;
  if (code) return networkReasons[code] ?? code.toLowerCase().replaceAll('_', ' ');
  return cause?.message ?? String(error);
}
