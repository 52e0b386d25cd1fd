/**
 * A client of the live stream (`GET /api/v1/live`, a WebSocket). It connects with the API
 * client's bearer token, renews a saved session's token on the open connection before it
 * expires (`{"type":"auth"}`), and reports a refused upgrade as the API error the server sent.
 */
import type { ClientRequest, IncomingMessage } from 'node:http';
import WebSocket from 'ws';
import { readAnswer, type ApiClient } from './client.js';
import { ApiError, networkError } from './errors.js';

/** How the stream ended: closed by us (`isByClient`) or by the server, with its close code and reason. */
export interface LiveStreamEnd {
  isByClient: boolean;
  code: number;
  reason: string;
}

/** An open live stream. */
export interface LiveStream {
  /** Sends a client message (subscribe, unsubscribe, auth) as JSON. */
  send(message: Record<string, unknown>): void;
  /** Closes the stream normally; `ended` then resolves with `isByClient`. */
  close(): void;
  /** Resolves once the stream has ended, however it ended. */
  readonly ended: Promise<LiveStreamEnd>;
}

export interface LiveStreamOptions {
  /** Called with each message the server sends, parsed; a message that is not JSON is skipped. */
  onMessage(message: { type: string } & Record<string, unknown>): void;
  /** Called when renewing the token failed; the server will end the stream once the old one expires. */
  onRenewFailed(error: unknown): void;
}

// Renew a little before the client's own refresh margin (30 s), so the renewal really refreshes.
const RENEW_BEFORE_EXPIRY_MS = 25_000;
const HANDSHAKE_TIMEOUT_MS = 30_000;

/** The WebSocket address of the live stream of `server` (http → ws, https → wss). */
export function liveStreamUrl(server: string): string {
  return `${server.replace(/^http/, 'ws')}/api/v1/live`;
}

/** Opens the stream; a session whose token the server refuses is refreshed once and tried again. */
export async function openLiveStream(client: ApiClient, options: LiveStreamOptions): Promise<LiveStream> {
  let socket: WebSocket;
  try {
    socket = await connect(client, false);
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 401 && (await client.bearer()).expiresAt !== null)) throw error;
    socket = await connect(client, true);
  }
  return attach(client, socket, options);
}

function connect(client: ApiClient, wasRefused: boolean): Promise<WebSocket> {
  return client.bearer({ wasRefused }).then(
    ({ token }) =>
      new Promise((resolve, reject) => {
        const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
        const socket = new WebSocket(liveStreamUrl(client.server), { headers, perMessageDeflate: false, handshakeTimeout: HANDSHAKE_TIMEOUT_MS });
        // With a listener here, ws leaves the refused answer for us to read.
        socket.once('unexpected-response', (request: ClientRequest, response: IncomingMessage) => {
          refusal(client.server, response).then(reject, reject).finally(() => request.destroy());
        });
        socket.on('error', (error) => reject(networkError(client.server, error)));
        socket.once('open', () => resolve(socket));
      }),
  );
}

/** The error a refused upgrade stands for, read from its problem+json body. */
async function refusal(server: string, response: IncomingMessage): Promise<never> {
  let text = '';
  for await (const chunk of response) text += String(chunk);
  const status = response.statusCode ?? 500;
  // A 101 never gets here; anything else is an answer readAnswer knows how to read.
  const answer = new Response(text, { status: status < 200 ? 500 : status, statusText: response.statusMessage ?? '' });
  await readAnswer(answer, server);
  throw new ApiError(`${server} refused the live stream with ${status}`, `HTTP_${status}`, status);
}

function attach(client: ApiClient, socket: WebSocket, { onMessage, onRenewFailed }: LiveStreamOptions): LiveStream {
  let isClosing = false;
  let renewTimer: NodeJS.Timeout | null = null;

  async function scheduleRenewal(): Promise<void> {
    const { expiresAt } = await client.bearer();
    if (expiresAt === null || socket.readyState !== WebSocket.OPEN) return;
    renewTimer = setTimeout(() => {
      client
        .bearer()
        .then(({ token }) => {
          if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: 'auth', token }));
          return scheduleRenewal();
        })
        .catch(onRenewFailed);
    }, Math.max(1000, expiresAt - RENEW_BEFORE_EXPIRY_MS - Date.now())).unref();
  }
  scheduleRenewal().catch(onRenewFailed);

  socket.on('message', (data, isBinary) => {
    if (isBinary) return;
    let message: unknown;
    try {
      message = JSON.parse(data.toString());
    } catch {
      return;
    }
    if (typeof message === 'object' && message !== null && typeof (message as { type?: unknown }).type === 'string') {
      onMessage(message as { type: string } & Record<string, unknown>);
    }
  });

  const ended = new Promise<LiveStreamEnd>((resolve) => {
    socket.once('close', (code, reason) => {
      if (renewTimer) clearTimeout(renewTimer);
      resolve({ isByClient: isClosing, code, reason: reason.toString() });
    });
  });

  return {
    send: (message) => socket.send(JSON.stringify(message)),
    close() {
      isClosing = true;
      if (renewTimer) clearTimeout(renewTimer);
      socket.close(1000, 'bye');
      // A server that does not answer the close within a second is not waited for.
      setTimeout(() => socket.terminate(), 1000).unref();
    },
    ended,
  };
}
