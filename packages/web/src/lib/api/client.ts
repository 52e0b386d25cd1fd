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
  method?: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Sent as JSON. */
  body?: unknown;
  /** Added to the URL; empty strings, null and undefined are left out. */
  query?: Record<string, string | number | null | undefined>;
  /** Sends no token and never refreshes (setup, login). */
  isAnonymous?: boolean;
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

  async function request<T>(fetch: Fetch, path: string, options: RequestOptions = {}): Promise<T> {
    const session = options.isAnonymous ? null : sessions.read();
    if (!options.isAnonymous && !session) endSession();
    let response = await send(fetch, path, options, session?.accessToken ?? null);

    if (response.status === 401 && session) {
      const current = sessions.read();
      let renewed: Session | null;
      if (current && current.accessToken !== session.accessToken) {
        renewed = current; // another request renewed it while this one was in flight
      } else {
        refreshing ??= refresh(fetch, session.refreshToken).finally(() => (refreshing = null));
        renewed = await refreshing;
      }
      if (!renewed) endSession();
      response = await send(fetch, path, options, renewed.accessToken);
      if (response.status === 401) endSession();
    }
    return parse<T>(response);
  }

  return { request, url };
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
