/**
 * The live stream: WebSocket clients at `GET /api/v1/live` receive their tenant's telemetry,
 * presence, device events and command status changes as they happen, filtered by their subscriptions. A client
 * authenticates in the upgrade request with the REST API's Bearer tokens, in the Authorization
 * header or, since browsers cannot set headers on a WebSocket, in `?token=`. Every event on
 * the bus carries its tenant, and is offered only to that tenant's connections.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Registry } from 'prom-client';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Principal } from '../auth/principal.js';
import type { Bus } from '../bus/bus.js';
import type { Authenticate } from '../http/access.js';
import { refuseUpgrade } from '../http/upgrade.js';
import type { Logger } from '../log.js';
import { createLabelCache } from './label-cache.js';
import { createLiveConnection, type LiveConnection, type LiveEvents } from './live-connection.js';
import { createLiveMetrics } from './live-metrics.js';
import { createLiveSender } from './live-sender.js';
import type { LiveRepository } from './live.repository.js';

/** What the live stream is built from. */
export interface LiveDependencies {
  authenticate: Authenticate;
  bus: Bus;
  repository: LiveRepository;
  registry: Registry;
  log: Logger;
  bufferBytes: number;
  slowClientTimeoutMs: number;
  /** How often sockets are pinged and tokens checked again. */
  heartbeatIntervalMs?: number;
}

// Client messages are small JSON documents; anything larger is not one.
const MAX_CLIENT_MESSAGE_BYTES = 64 * 1024;

/** The bearer token of an upgrade request: the Authorization header, else `?token=`. */
export function tokenOf(request: IncomingMessage): string | null {
  const header = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
  if (header?.[1]) return header[1];
  return new URL(request.url ?? '/', 'http://localhost').searchParams.get('token') || null;
}

/** Creates the live stream. */
export function createLiveService({ authenticate, bus, repository, registry, log, bufferBytes, slowClientTimeoutMs, heartbeatIntervalMs = 30_000 }: LiveDependencies) {
  const server = new WebSocketServer({ noServer: true, maxPayload: MAX_CLIENT_MESSAGE_BYTES, perMessageDeflate: false });
  const byTenant = new Map<string, Set<LiveConnection>>();
  const sockets = new Map<WebSocket, { connection: LiveConnection; isAlive: boolean }>();
  const labels = createLabelCache(repository, log);
  const metrics = createLiveMetrics(registry, () => sockets.size);
  let isStopping = false;

  function dispatch<Name extends keyof LiveEvents>(name: Name, event: LiveEvents[Name]): void {
    for (const connection of byTenant.get(event.tenantId) ?? []) connection.deliver(name, event);
  }
  const unsubscribes = [
    bus.subscribe('telemetry', (event) => dispatch('telemetry', event)),
    bus.subscribe('presence', (event) => dispatch('presence', event)),
    bus.subscribe('deviceEvent', (event) => dispatch('deviceEvent', event)),
    bus.subscribe('command', (event) => dispatch('command', event)),
    bus.subscribe('deviceChanged', (event) => void labels.refresh(event)),
  ];

  function attach(socket: WebSocket, principal: Principal, token: string): void {
    const sender = createLiveSender(socket, {
      bufferBytes,
      slowClientTimeoutMs,
      onDropped: metrics.dropped,
      onSlowDisconnect: () => {
        metrics.slowDisconnect();
        log.info({ userId: principal.userId }, 'live client too slow; disconnected');
      },
    });
    const connection = createLiveConnection({ principal, token, sender, labels, authenticate });
    const tenantConnections = byTenant.get(principal.tenantId) ?? new Set();
    byTenant.set(principal.tenantId, tenantConnections.add(connection));
    sockets.set(socket, { connection, isAlive: true });
    socket.on('pong', () => {
      const entry = sockets.get(socket);
      if (entry) entry.isAlive = true;
    });
    socket.on('message', (data, isBinary) => {
      const text = isBinary ? '' : data.toString();
      connection.receive(text).catch((error: unknown) => {
        log.error({ err: error }, 'live message failed');
        sender.send(JSON.stringify({ type: 'error', code: 'INVALID_MESSAGE', message: 'the server could not handle this message' }));
      });
    });
    socket.on('error', (error) => log.debug({ err: error }, 'live socket error'));
    socket.on('close', () => {
      connection.close();
      sockets.delete(socket);
      tenantConnections.delete(connection);
      if (tenantConnections.size === 0 && byTenant.get(principal.tenantId) === tenantConnections) byTenant.delete(principal.tenantId);
    });
  }

  /** Pings every socket (a silent peer is dropped) and checks each token again. */
  function heartbeat(): void {
    for (const [socket, entry] of sockets) {
      if (!entry.isAlive) {
        socket.terminate();
        continue;
      }
      entry.isAlive = false;
      socket.ping();
      entry.connection.isStillAuthenticated().then(
        (isValid) => {
          if (!isValid) socket.close(4401, 'token expired or revoked; connect again with a fresh one');
        },
        (error: unknown) => log.warn({ err: error }, 'checking a live token failed'),
      );
    }
  }
  const timer = setInterval(heartbeat, heartbeatIntervalMs).unref();

  return {
    /** The upgrade handler of `/api/v1/live`. */
    handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
      const token = tokenOf(request);
      if (isStopping) return refuseUpgrade(socket, 503, 'Service Unavailable', { code: 'SERVICE_UNAVAILABLE', detail: 'the server is shutting down' });
      authenticate(token ? `Bearer ${token}` : undefined).then(
        (principal) => {
          if (!principal || !token) {
            const detail = 'send Authorization: Bearer <access token or API token>, or ?token=<token>';
            return refuseUpgrade(socket, 401, 'Unauthorized', { code: 'UNAUTHENTICATED', detail });
          }
          server.handleUpgrade(request, socket, head, (webSocket) => attach(webSocket, principal, token));
        },
        (error: unknown) => {
          log.error({ err: error }, 'live authentication failed');
          refuseUpgrade(socket, 500, 'Internal Server Error', { code: 'INTERNAL' });
        },
      );
    },

    /** Closes every live socket (1001 going away) and stops listening to the bus. */
    async stop(): Promise<void> {
      isStopping = true;
      clearInterval(timer);
      for (const unsubscribe of unsubscribes) unsubscribe();
      const closing = [...sockets.keys()].map(
        (socket) =>
          new Promise<void>((resolve) => {
            socket.once('close', () => resolve());
            socket.close(1001, 'server shutting down');
            setTimeout(() => socket.terminate(), 1000).unref();
          }),
      );
      await Promise.all(closing);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The live stream. */
export type LiveService = ReturnType<typeof createLiveService>;
