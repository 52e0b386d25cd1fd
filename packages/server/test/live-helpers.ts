/** A live-stream client for tests: a real WebSocket that keeps every message it receives. */
import assert from 'node:assert/strict';
import type { LiveClientMessage, LiveServerMessage } from '@flotilla/protocol';
import { WebSocket } from 'ws';

/** An open live connection. */
export interface LiveClient {
  socket: WebSocket;
  messages: LiveServerMessage[];
  send(message: LiveClientMessage | string): void;
  /** Waits for a message that passes the check, among those received so far or to come. */
  next<T extends LiveServerMessage>(check: (message: LiveServerMessage) => message is T, timeoutMs?: number, from?: number): Promise<T>;
  next(check: (message: LiveServerMessage) => boolean, timeoutMs?: number, from?: number): Promise<LiveServerMessage>;
  /** Subscribes and waits for the server's confirmation. */
  subscribe(message: Omit<Extract<LiveClientMessage, { type: 'subscribe' }>, 'type'>): Promise<void>;
  close(): Promise<void>;
}

/** The live URL of a server. */
export const liveUrl = (httpUrl: string) => `${httpUrl.replace(/^http/, 'ws')}/api/v1/live`;

/** Opens a live connection with the token in the Authorization header, or in `?token=`. */
export async function openLive(httpUrl: string, token: string, via: 'header' | 'query' = 'header'): Promise<LiveClient> {
  const socket =
    via === 'header' ? new WebSocket(liveUrl(httpUrl), { headers: { authorization: `Bearer ${token}` } }) : new WebSocket(`${liveUrl(httpUrl)}?token=${encodeURIComponent(token)}`);
  const messages: LiveServerMessage[] = [];
  const waiters = new Set<() => void>();
  socket.on('message', (data) => {
    messages.push(JSON.parse(data.toString()) as LiveServerMessage);
    for (const wake of waiters) wake();
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  const client: LiveClient = {
    socket,
    messages,
    send: (message) => socket.send(typeof message === 'string' ? message : JSON.stringify(message)),
    next(check: (message: LiveServerMessage) => boolean, timeoutMs = 5000, from = 0) {
      return new Promise<LiveServerMessage>((resolve, reject) => {
        let seen = from;
        const look = () => {
          for (; seen < messages.length; seen++) {
            const message = messages[seen] as LiveServerMessage;
            if (check(message)) {
              clearTimeout(timer);
              waiters.delete(look);
              return resolve(message);
            }
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(look);
          reject(new Error(`no such message within ${timeoutMs} ms; got ${JSON.stringify(messages).slice(0, 2000)}`));
        }, timeoutMs);
        waiters.add(look);
        look();
      });
    },
    async subscribe(message) {
      const from = messages.length;
      client.send({ type: 'subscribe', ...message });
      const answer = await client.next((candidate) => ('id' in candidate && candidate.id === message.id) || candidate.type === 'error', 5000, from);
      assert.equal(answer.type, 'subscribed', JSON.stringify(answer));
    },
    async close() {
      if (socket.readyState === WebSocket.CLOSED) return;
      const closed = new Promise((resolve) => socket.once('close', resolve));
      socket.close();
      await closed;
    },
  } as LiveClient;
  return client;
}

/** The status of a refused live upgrade. */
export function refusedStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers });
    socket.once('unexpected-response', (_request, response) => {
      resolve(response.statusCode ?? 0);
      socket.terminate();
    });
    socket.once('open', () => reject(new Error('the upgrade was accepted')));
    socket.once('error', () => undefined);
  });
}
