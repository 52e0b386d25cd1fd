/**
 * The HTTP client every data module goes through: it adds the session's Bearer token, turns
 * problem+json answers into `ApiError`, and when an access token has expired it swaps the
 * refresh token for a new session once, then retries. If that fails the session has ended.
 */
import type { Problem, Session } from '@flotilla/protocol';

/** The `fetch` a load function or component passes in (SvelteKit's, or the global one). */
export type Fetch = typeof fetch;

/** Where the current session is kept between page loads. */
export interface SessionStore {
  read(): Session | null;
  write(session: Session): void;
  clear(): void;
}

/** One field the server rejected, e.g. `{field: "body/email", message: "must match format"}`. */
export interface FieldProblem {
  field: string;
  message: string;
}

/** An error answer from the API, carrying the stable `code` and the server's explanation. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  readonly errors: FieldProblem[];

  constructor(problem: Pick<Problem, 'status' | 'code' | 'detail'> & { errors?: FieldProblem[] | undefined }) {
    super(problem.detail);
    this.name = 'ApiError';
    this.status = problem.status;
    this.code = problem.code;
    this.detail = problem.detail;
    this.errors = problem.errors ?? [];
  }

  /** The message for one form field (`email` matches `body/email`), if the server named it. */
  fieldMessage(field: string): string | undefined {
    return this.errors.find((error) => error.field === field || error.field.endsWith(`/${field}`))?.message;
  }
}

/** Code of the error thrown when the session could not be renewed and the user must sign in. */
export const SESSION_ENDED = 'SESSION_ENDED';

/** Options of one request. */
export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Sent as JSON. */
  body?: unknown;
  /** Added to the URL; empty strings, null and undefined are left out. */
  query?: Record<string, string | number | null | undefined>;
  /** Sends no token and never refreshes (setup, login). */
  isAnonymous?: boolean;
  /** The revision a write was made against (`If-Match`); the server refuses it with 412 if that moved on. */
  ifMatch?: number;
}

/** What the client is built from. */
export interface ApiClientOptions {
  sessions: SessionStore;
  /** Called once when the session has ended (refresh refused); the UI sends the user to sign in. */
  onSessionEnded(): void;
  /** Origin of the server; empty for the same origin as the page. */
  baseUrl?: string;
}

/** The API client. */
export interface ApiClient {
  request<T>(fetch: Fetch, path: string, options?: RequestOptions): Promise<T>;
  /** Like `request`, but answers the body as a Blob (a CSV download, say). */
  requestBlob(fetch: Fetch, path: string, options?: RequestOptions): Promise<Blob>;
  /**
   * An access token for a connection that cannot go through `request` (the live WebSocket).
   * With `renew`, or when the token expires within a minute, the session is renewed first
   * (shared with concurrent requests); if that fails the session has ended.
   */
  accessToken(fetch: Fetch, options?: { renew?: boolean }): Promise<string>;
  /** The URL of an API path, e.g. `/devices` → `/api/v1/devices`. */
  url(path: string, query?: RequestOptions['query']): string;
}

const API_PREFIX = '/api/v1';

/** Builds the client; the dashboard has one (see `api.ts`), tests build their own. */
export function createApiClient({ sessions, onSessionEnded, baseUrl = '' }: ApiClientOptions): ApiClient {
  // Concurrent 401s share one refresh: the server rotates refresh tokens, so a second refresh
  // with the same token would be refused and end a perfectly good session.
  let refreshing: Promise<Session | null> | null = null;

  function url(path: string, query: RequestOptions['query'] = {}): string {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
    }
    const text = search.toString();
    return `${baseUrl}${API_PREFIX}${path}${text ? `?${text}` : ''}`;
  }

  async function send(fetch: Fetch, path: string, options: RequestOptions, accessToken: string | null): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (options.ifMatch !== undefined) headers['if-match'] = `"${options.ifMatch}"`;
    if (accessToken) headers.authorization = `Bearer ${accessToken}`;
    try {
      return await fetch(url(path, options.query), {
        method: options.method ?? 'GET',
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
      });
    } catch {
      throw new ApiError({ status: 0, code: 'NETWORK_ERROR', detail: 'The server could not be reached. Check your connection and try again.' });
    }
  }

  async function refresh(fetch: Fetch, refreshToken: string): Promise<Session | null> {
    const response = await send(fetch, '/auth/refresh', { method: 'POST', body: { refreshToken } }, null).catch(() => null);
    if (!response?.ok) return null;
    const session = (await response.json()) as Session;
    sessions.write(session);
    return session;
  }

  function endSession(): never {
    sessions.clear();
    onSessionEnded();
    throw new ApiError({ status: 401, code: SESSION_ENDED, detail: 'Your session has ended. Sign in again.' });
  }

  /** Sends a request with the session's token, renewing the session once on a 401. */
  async function authorized(fetch: Fetch, path: string, options: RequestOptions): Promise<Response> {
    const session = options.isAnonymous ? null : sessions.read();
    if (!options.isAnonymous && !session) endSession();
    let response = await send(fetch, path, options, session?.accessToken ?? null);

    if (response.status === 401 && session) {
      const renewed = await renew(fetch, session);
      if (!renewed) endSession();
      response = await send(fetch, path, options, renewed.accessToken);
      if (response.status === 401) endSession();
    }
    return response;
  }

  /** A renewed session, or null when the refresh token was refused. */
  async function renew(fetch: Fetch, session: Session): Promise<Session | null> {
    const current = sessions.read();
    if (current && current.accessToken !== session.accessToken) return current; // renewed meanwhile
    refreshing ??= refresh(fetch, session.refreshToken).finally(() => (refreshing = null));
    return refreshing;
  }

  async function request<T>(fetch: Fetch, path: string, options: RequestOptions = {}): Promise<T> {
    return parse<T>(await authorized(fetch, path, options));
  }

  async function requestBlob(fetch: Fetch, path: string, options: RequestOptions = {}): Promise<Blob> {
    const response = await authorized(fetch, path, options);
    if (!response.ok) return parse<never>(response);
    return response.blob();
  }

  async function accessToken(fetch: Fetch, { renew: mustRenew = false }: { renew?: boolean } = {}): Promise<string> {
    const session = sessions.read();
    if (!session) endSession();
    if (!mustRenew && !expiresSoon(session.accessToken)) return session.accessToken;
    const renewed = await renew(fetch, session);
    if (!renewed) endSession();
    return renewed.accessToken;
  }

  return { request, requestBlob, accessToken, url };
}

/** The expiry (epoch ms) of a JWT access token, or null when it is not a JWT with `exp`. */
export function tokenExpiry(token: string): number | null {
  const payload = token.split('.')[1];
  if (!payload) return null;
  try {
    const claims = JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/'))) as { exp?: unknown };
    return typeof claims.exp === 'number' ? claims.exp * 1000 : null;
  } catch {
    return null;
  }
}

function expiresSoon(token: string, now = Date.now()): boolean {
  const expiry = tokenExpiry(token);
  return expiry !== null && expiry - now < 60_000;
}

async function parse<T>(response: Response): Promise<T> {
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  let body: unknown = undefined;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // Not JSON: a proxy's error page or similar; reported below by status.
  }
  if (response.ok) return body as T;
  if (isProblem(body)) throw new ApiError(body);
  throw new ApiError({
    status: response.status,
    code: 'HTTP_ERROR',
    detail: `The server answered ${response.status} ${response.statusText}`.trim(),
  });
}

function isProblem(body: unknown): body is Problem {
  return typeof body === 'object' && body !== null && typeof (body as Problem).code === 'string' && typeof (body as Problem).detail === 'string';
}
