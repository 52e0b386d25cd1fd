/**
 * WebSocket upgrades on the HTTP server, routed by path: `/mqtt` (MQTT over WebSocket) and
 * `/api/v1/live` (the live stream). Upgrades do not pass through Fastify's routing, so each
 * handler authenticates on its own; an unknown path is answered 404 and closed.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '../log.js';

/** Takes over an upgrade request for one path. */
export type UpgradeHandler = (request: IncomingMessage, socket: Duplex, head: Buffer) => void;

/** Answers an upgrade request with an HTTP error and closes the socket. */
export function refuseUpgrade(socket: Duplex, status: number, title: string, problem?: Record<string, unknown>): void {
  const body = problem ? JSON.stringify({ type: 'about:blank', title, status, ...problem }) : '';
  const headers = [
    `HTTP/1.1 ${status} ${title}`,
    'Connection: close',
    ...(problem ? ['Content-Type: application/problem+json', `Content-Length: ${Buffer.byteLength(body)}`] : ['Content-Length: 0']),
  ];
  socket.end(`${headers.join('\r\n')}\r\n\r\n${body}`);
}

/** Routes the server's upgrade requests to the handlers by path. */
export function installUpgradeRouter(server: Pick<Server, 'on'>, handlers: ReadonlyMap<string, UpgradeHandler>, log: Logger): void {
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', (error) => log.debug({ err: error }, 'upgraded socket error'));
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    const handler = handlers.get(path);
    if (!handler) return refuseUpgrade(socket, 404, 'Not Found');
    try {
      handler(request, socket, head);
    } catch (error) {
      log.error({ err: error, path }, 'upgrade failed');
      socket.destroy();
    }
  });
}
