/**
 * A small client of the REST API (`/api/v1`): JSON in and out, problem+json answers turned into
 * ApiError, and a saved session refreshed when its access token has expired or is refused.
 */
import type { Page, Session } from '@flotilla/protocol';
import type { CredentialsStore, SavedSession } from './credentials.js';
import { ApiError, networkError, sessionExpired } from './errors.js';

/** How requests are authorised: an API token, a saved session, or nothing (login). */
export type ClientAuth =
  | { kind: 'token'; token: string }
  | { kind: 'session'; session: SavedSession; store: CredentialsStore }
  | { kind: 'none' };

export interface ClientOptions {
  /** Base address, e.g. http://localhost:8080 (no trailing slash). */
  server: string;
  auth: ClientAuth;
  fetch?: typeof fetch;
  now?: () => number;
  timeoutMs?: number;
}

/** Query parameters; undefined ones are left out. */
export type Query = Record<string, string | number | undefined>;

/** The API as the commands use it; paths are relative to /api/v1. */
/** Preconditions of a write. */
export interface WriteOptions {
  ifMatch?: number;
}

export interface ApiClient {
  readonly server: string;
  get<T>(path: string, query?: Query): Promise<T>;
  post<T>(path: string, body?: unknown): Promise<T>;
  /** `ifMatch` is the revision the change was made against: the server refuses it (412) if that moved on. */
  put<T>(path: string, body: unknown, options?: WriteOptions): Promise<T>;
  patch<T>(path: string, body: unknown, options?: WriteOptions): Promise<T>;
  delete(path: string, query?: Query): Promise<void>;
  /** Follows `nextCursor` until the list ends, returning every item. */
  listAll<T>(path: string, query?: Query): Promise<T[]>;
  /** GETs a text answer (CSV) and hands it to `write` piece by piece as it arrives. */
  download(path: string, query: Query, write: (text: string) => void): Promise<void>;
  /**
   * The bearer token for a connection fetch does not make (the live stream), refreshing a saved
   * session first when it has expired, or when `wasRefused` says the server turned it down.
   * `expiresAt` (epoch ms) is null for an API token, which the CLI cannot renew.
   */
  bearer(options?: { wasRefused?: boolean }): Promise<{ token: string | null; expiresAt: number | null }>;
}

/** The largest page the API serves. */
export const MAX_PAGE_SIZE = 500;

// Refresh a little early, so a token does not expire between the check and the server.
const EXPIRY_MARGIN_MS = 30_000;

/** Turns a login or refresh answer into what is saved. */
export function toSavedSession(server: string, session: Session, now: number = Date.now()): SavedSession {
  return {
    server,
    accessToken: session.accessToken,
    refreshToken: session.refreshToken,
    expiresAt: new Date(now + session.expiresIn * 1000).toISOString(),
  };
}

/** Creates a client for one server. */
export function createClient({ server, auth, fetch: fetchFn = fetch, now = Date.now, timeoutMs = 30_000 }: ClientOptions): ApiClient {
  let session = auth.kind === 'session' ? auth.session : null;

  async function send(method: string, path: string, query: Query | undefined, body: unknown, token: string | null, accept = 'application/json', extraHeaders: Record<string, string> = {}): Promise<Response> {
    // A download may take longer than any timeout; only its first answer is held to one.
    const isDownload = accept !== 'application/json';
    const signal = isDownload ? new AbortController() : null;
    const timer = signal ? setTimeout(() => signal.abort(new DOMException('no answer in time', 'TimeoutError')), timeoutMs) : null;
    const url = new URL(`${server}/api/v1${path}`);
    for (const [name, value] of Object.entries(query ?? {})) if (value !== undefined) url.searchParams.set(name, String(value));
    const headers: Record<string, string> = { ...extraHeaders, accept };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (token) headers.authorization = `Bearer ${token}`;
    try {
      return await fetchFn(url, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: signal ? signal.signal : AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw networkError(server, error);
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  async function refresh(): Promise<void> {
    if (auth.kind !== 'session' || !session) return;
    const response = await send('POST', '/auth/refresh', undefined, { refreshToken: session.refreshToken }, null);
    if (response.status === 401) throw sessionExpired(server);
    const fresh = await readAnswer<Session>(response, server);
    session = toSavedSession(server, fresh, now());
    auth.store.save(session);
  }

  const isExpiring = () => session !== null && Date.parse(session.expiresAt) - EXPIRY_MARGIN_MS <= now();
  const currentToken = () => (auth.kind === 'token' ? auth.token : (session?.accessToken ?? null));

  async function exchange(method: string, path: string, query?: Query, body?: unknown, accept?: string, headers?: Record<string, string>): Promise<Response> {
    let hasRefreshed = false;
    if (isExpiring()) {
      await refresh();
      hasRefreshed = true;
    }
    let response = await send(method, path, query, body, currentToken(), accept, headers);
    // The access token may have been revoked or the clock may be off: one refresh, one retry.
    if (response.status === 401 && session && !hasRefreshed) {
      await refresh();
      response = await send(method, path, query, body, currentToken(), accept, headers);
    }
    return response;
  }

  async function request<T>(method: string, path: string, query?: Query, body?: unknown, options: WriteOptions = {}): Promise<T> {
    const headers: Record<string, string> = options.ifMatch === undefined ? {} : { 'if-match': `"${options.ifMatch}"` };
    return readAnswer<T>(await exchange(method, path, query, body, undefined, headers), server);
  }

  return {
    server,
    get: (path, query) => request('GET', path, query),
    post: (path, body) => request('POST', path, undefined, body ?? {}),
    put: (path, body, options) => request('PUT', path, undefined, body, options),
    patch: (path, body, options) => request('PATCH', path, undefined, body, options),
    delete: (path, query) => request('DELETE', path, query),
    async listAll<T>(path: string, query: Query = {}) {
      const items: T[] = [];
      let cursor: string | undefined;
      do {
        const page: Page<T> = await request('GET', path, { ...query, limit: MAX_PAGE_SIZE, cursor });
        items.push(...page.items);
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      return items;
    },
    async download(path, query, write) {
      const response = await exchange('GET', path, query, undefined, 'text/csv, application/problem+json');
      if (!response.ok || !response.body) return readAnswer(response, server);
      const decoder = new TextDecoder();
      try {
        for await (const chunk of response.body) write(decoder.decode(chunk, { stream: true }));
      } catch (error) {
        throw networkError(server, error);
      }
      write(decoder.decode());
    },
    async bearer({ wasRefused = false } = {}) {
      if (session && (wasRefused || isExpiring())) await refresh();
      return { token: currentToken(), expiresAt: session ? Date.parse(session.expiresAt) : null };
    },
  };
}

/** The answer's JSON (undefined for 204), or the ApiError its problem+json describes. */
export async function readAnswer<T>(response: Response, server: string): Promise<T> {
  const text = await response.text().catch(() => '');
  if (response.ok) {
    if (response.status === 204 || text === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ApiError(`${server} answered with something other than JSON; is it a Flotilla server?`, 'BAD_ANSWER', response.status);
    }
  }
  const problem = parseProblem(text);
  if (problem) {
    throw new ApiError(problem.detail || problem.title || response.statusText, problem.code, response.status);
  }
  throw new ApiError(`${server} answered ${response.status} ${response.statusText}`.trimEnd(), `HTTP_${response.status}`, response.status);
}

/** The problem+json in `text`, or null when something other than Flotilla answered. */
function parseProblem(text: string): { code: string; detail: string; title: string } | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const { code, detail, title } = value as Record<string, unknown>;
  if (typeof code !== 'string') return null;
  return { code, detail: typeof detail === 'string' ? detail : '', title: typeof title === 'string' ? title : '' };
}
