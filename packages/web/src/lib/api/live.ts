/**
 * The live stream (`GET /api/v1/live`): one WebSocket per tab, shared by every view that
 * subscribes. The socket opens with the first subscription and closes a little after the last
 * one ends (so moving from the device list to a device keeps it); it reconnects with backoff and
 * subscribes again, and renews its token before it expires.
 */
import type { LiveEventName, LiveServerMessage } from '@flotilla/protocol';
import { api } from './api.js';
import { ApiError, SESSION_ENDED, tokenExpiry } from './client.js';

/** What a subscription asks for; every filter given must hold (see docs/api.md). */
export interface LiveFilter {
  devices?: string[];
  selector?: string;
  keys?: string[];
  events?: LiveEventName[];
}

/** An event the server sends for a subscription. */
export type LiveEvent = Extract<LiveServerMessage, { type: 'telemetry' | 'presence' | 'deviceEvent' | 'command' }>;

/**
 * The connection's state: `connecting` (first try, or again after a drop), `open`, `waiting`
 * (dropped; the next try is scheduled), `ended` (the session ended; no more tries).
 */
export type LiveStatus = 'connecting' | 'open' | 'waiting' | 'ended';

interface Subscriber {
  filter: LiveFilter;
  onEvent(event: LiveEvent): void;
  onStatus?(status: LiveStatus): void;
}

/** Close code the server uses when the token expired or was revoked. */
const CLOSE_UNAUTHORIZED = 4401;
const BACKOFF_FIRST_MS = 1_000;
const BACKOFF_MAX_MS = 30_000;
/** How long the socket stays open after its last subscription ends. */
const LINGER_MS = 5_000;

let nextId = 1;
const subscribers = new Map<string, Subscriber>();
let socket: WebSocket | null = null;
let status: LiveStatus = 'waiting';
let failures = 0;
let mustRenew = false;
let retryTimer: ReturnType<typeof setTimeout> | undefined;
let lingerTimer: ReturnType<typeof setTimeout> | undefined;
let authTimer: ReturnType<typeof setTimeout> | undefined;

/**
 * Subscribes to live events; answers a function that ends the subscription. `onStatus` hears
 * the connection's state at once and on every change.
 */
export function subscribeLive(filter: LiveFilter, onEvent: (event: LiveEvent) => void, onStatus?: (status: LiveStatus) => void): () => void {
  const id = `s${nextId++}`;
  const subscriber: Subscriber = { filter, onEvent, ...(onStatus ? { onStatus } : {}) };
  subscribers.set(id, subscriber);
  clearTimeout(lingerTimer);
  if (socket?.readyState === WebSocket.OPEN) sendSubscribe(id, subscriber);
  else if (!socket && status !== 'connecting') {
    clearTimeout(retryTimer);
    void connect();
  }
  onStatus?.(status);

  return () => {
    if (!subscribers.delete(id)) return;
    if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: 'unsubscribe', id }));
    if (subscribers.size === 0) {
      lingerTimer = setTimeout(() => {
        if (subscribers.size === 0) stop();
      }, LINGER_MS);
    }
  };
}

function setStatus(next: LiveStatus): void {
  status = next;
  for (const subscriber of subscribers.values()) subscriber.onStatus?.(next);
}

function sendSubscribe(id: string, { filter }: Subscriber): void {
  socket?.send(JSON.stringify({ type: 'subscribe', id, ...filter }));
}

function liveUrl(token: string): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}${api.url('/live', { token })}`;
}

async function connect(): Promise<void> {
  setStatus('connecting');
  let token: string;
  try {
    token = await api.accessToken(fetch, { renew: mustRenew });
    mustRenew = false;
  } catch (error) {
    if (error instanceof ApiError && error.code === SESSION_ENDED) {
      setStatus('ended');
      return;
    }
    scheduleRetry();
    return;
  }
  if (subscribers.size === 0) {
    setStatus('waiting');
    return;
  }

  const opened = new WebSocket(liveUrl(token));
  socket = opened;
  let wasOpen = false;

  opened.onopen = () => {
    wasOpen = true;
    failures = 0;
    setStatus('open');
    for (const [id, subscriber] of subscribers) sendSubscribe(id, subscriber);
    scheduleAuth(token);
  };
  opened.onmessage = (message) => {
    let data: LiveServerMessage;
    try {
      data = JSON.parse(String(message.data)) as LiveServerMessage;
    } catch {
      return;
    }
    if (data.type === 'telemetry' || data.type === 'presence' || data.type === 'deviceEvent' || data.type === 'command') {
      subscribers.get(data.subscription)?.onEvent(data);
    } else if (data.type === 'error' && data.code === 'UNAUTHENTICATED') {
      mustRenew = true;
    }
  };
  opened.onclose = (event) => {
    if (socket !== opened) return; // replaced or stopped on purpose
    socket = null;
    clearTimeout(authTimer);
    // A refused upgrade (a token the server no longer takes) looks like any failed connection;
    // after two in a row the next try renews the session first.
    if (event.code === CLOSE_UNAUTHORIZED || (!wasOpen && failures >= 1)) mustRenew = true;
    if (subscribers.size === 0) {
      setStatus('waiting');
      return;
    }
    scheduleRetry();
  };
}

function scheduleRetry(): void {
  const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** failures);
  failures++;
  setStatus('waiting');
  clearTimeout(retryTimer);
  // Jitter, so tabs that lost the server together do not come back together.
  retryTimer = setTimeout(() => void connect(), delay * (0.75 + Math.random() * 0.5));
}

/** Sends a fresh token a minute before the connection's token expires. */
function scheduleAuth(token: string): void {
  clearTimeout(authTimer);
  const expiry = tokenExpiry(token);
  if (expiry === null) return;
  authTimer = setTimeout(
    async () => {
      try {
        const fresh = await api.accessToken(fetch, { renew: true });
        if (socket?.readyState === WebSocket.OPEN) {
          socket.send(JSON.stringify({ type: 'auth', token: fresh }));
          scheduleAuth(fresh);
        }
      } catch {
        // The server closes the connection when the old token expires; reconnecting renews.
      }
    },
    Math.max(5_000, expiry - Date.now() - 60_000),
  );
}

function stop(): void {
  clearTimeout(retryTimer);
  clearTimeout(authTimer);
  const closing = socket;
  socket = null;
  closing?.close(1000);
  failures = 0;
  setStatus('waiting');
}

if (typeof window !== 'undefined') {
  // Back online: try at once instead of waiting out the backoff.
  window.addEventListener('online', () => {
    if (!socket && subscribers.size > 0 && status === 'waiting') {
      clearTimeout(retryTimer);
      void connect();
    }
  });
}
