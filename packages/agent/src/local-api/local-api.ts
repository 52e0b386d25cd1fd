/**
 * The local module API: sensor modules on the same device (a Python script, a shell loop)
 * post readings and poll commands over plain HTTP on 127.0.0.1. Readings go through the
 * offline buffer as the device's own telemetry; command results go to the server.
 *
 *   POST /v1/telemetry[?module=name]        same payload forms as the device protocol
 *   GET  /v1/commands?module=name[&wait=30s] commands named module.<name>.<command>
 *   POST /v1/commands/{id}/result           {"status":"succeeded","output":…}
 *   GET  /v1/health                         device id, connection and offline buffer
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CommandResultSchema, normalizeTelemetry, TelemetryPayloadError, type CommandResult } from '@flotilla/protocol';
import { Value } from '@sinclair/typebox/value';
import type { Logger } from 'pino';
import { AgentError } from '../errors.js';
import { MODULE_NAME_PATTERN, type ModuleInbox } from './module-inbox.js';
import { groupPoints, prefixKeys, type TelemetryEntry } from './telemetry-entries.js';

/** What the local API needs of the agent. */
export interface LocalApiDependencies {
  inbox: ModuleInbox;
  /** Queues readings in the offline buffer. */
  enqueueTelemetry(entries: TelemetryEntry[]): void;
  /** Queues a command result for the server. */
  enqueueCommandResult(commandId: string, result: CommandResult): void;
  health(): Record<string, unknown>;
  log: Logger;
}

export interface LocalApi {
  /** The port it listens on (useful when 0 was asked for). */
  port: number;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 256 * 1024;
const MAX_WAIT_MS = 60_000;
const MODULE_HEADER = 'x-flotilla-module';

class ProblemError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Starts the API on 127.0.0.1:`port`. Throws LOCAL_API_LISTEN_FAILED when the port is taken. */
export async function startLocalApi(port: number, dependencies: LocalApiDependencies): Promise<LocalApi> {
  const log = dependencies.log;
  const server: Server = createServer((request, response) => {
    handle(request, response, dependencies).catch((error: unknown) => {
      const problem = error instanceof ProblemError ? error : new ProblemError(500, 'INTERNAL', 'internal error');
      if (!(error instanceof ProblemError)) log.error({ err: error }, 'local api request failed');
      sendJson(response, problem.status, { type: 'about:blank', title: problem.message, status: problem.status, code: problem.code }, 'application/problem+json');
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(new AgentError('LOCAL_API_LISTEN_FAILED', `127.0.0.1:${port}: ${error.code ?? error.message}; choose another with --local-api-port or turn it off with --local-api false`)),
    );
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const actualPort = (server.address() as AddressInfo).port;
  log.info({ port: actualPort }, 'local module api listening on 127.0.0.1');
  return {
    port: actualPort,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handle(request: IncomingMessage, response: ServerResponse, dependencies: LocalApiDependencies): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://127.0.0.1');
  const method = request.method ?? 'GET';
  if (url.pathname === '/v1/telemetry') {
    requireMethod(method, 'POST');
    return postTelemetry(request, response, url, dependencies);
  }
  if (url.pathname === '/v1/commands') {
    requireMethod(method, 'GET');
    return getCommands(request, response, url, dependencies);
  }
  const resultMatch = /^\/v1\/commands\/([^/]+)\/result$/.exec(url.pathname);
  if (resultMatch) {
    requireMethod(method, 'POST');
    return postResult(request, response, decodeURIComponent(resultMatch[1] as string), dependencies);
  }
  if (url.pathname === '/v1/health') {
    requireMethod(method, 'GET');
    return sendJson(response, 200, dependencies.health());
  }
  throw new ProblemError(404, 'ROUTE_NOT_FOUND', `no route ${method} ${url.pathname}; see docs/agent.md (local module API)`);
}

function requireMethod(method: string, expected: string): void {
  if (method !== expected) throw new ProblemError(405, 'METHOD_NOT_ALLOWED', `use ${expected} here`);
}

function moduleName(request: IncomingMessage, url: URL, isRequired: boolean): string | null {
  const header = request.headers[MODULE_HEADER];
  const name = url.searchParams.get('module') ?? (typeof header === 'string' ? header : null);
  if (name === null || name === '') {
    if (isRequired) throw new ProblemError(400, 'MODULE_REQUIRED', 'name the module: ?module=<name> or the X-Flotilla-Module header');
    return null;
  }
  if (!MODULE_NAME_PATTERN.test(name)) throw new ProblemError(400, 'MODULE_NAME_INVALID', `module ${JSON.stringify(name)}: names are 1-32 lower-case letters, digits, _ or -, starting with a letter or digit`);
  return name;
}

async function postTelemetry(request: IncomingMessage, response: ServerResponse, url: URL, dependencies: LocalApiDependencies): Promise<void> {
  const module = moduleName(request, url, false);
  const body = await readJsonBody(request);
  let points;
  try {
    points = normalizeTelemetry(body, Date.now());
    if (module) points = prefixKeys(points, module);
  } catch (error) {
    if (error instanceof TelemetryPayloadError) throw new ProblemError(400, 'TELEMETRY_PAYLOAD_INVALID', error.message);
    throw error;
  }
  dependencies.enqueueTelemetry(groupPoints(points));
  sendJson(response, 202, { accepted: points.length });
}

async function getCommands(request: IncomingMessage, response: ServerResponse, url: URL, dependencies: LocalApiDependencies): Promise<void> {
  const module = moduleName(request, url, true) as string;
  const waitMs = parseWait(url.searchParams.get('wait'));
  const closed = new AbortController();
  response.once('close', () => closed.abort());
  const commands = await dependencies.inbox.take(module, waitMs, closed.signal);
  for (const command of commands) dependencies.enqueueCommandResult(command.id, { status: 'acknowledged' });
  sendJson(response, 200, { commands });
}

function parseWait(raw: string | null): number {
  if (raw === null || raw === '') return 0;
  const match = /^(\d+)(ms|s)?$/.exec(raw);
  if (!match) throw new ProblemError(400, 'WAIT_INVALID', 'wait must be a number of seconds (wait=30) or a duration such as 30s or 500ms');
  const value = Number(match[1]) * (match[2] === 'ms' ? 1 : 1000);
  return Math.min(value, MAX_WAIT_MS);
}

async function postResult(request: IncomingMessage, response: ServerResponse, commandId: string, dependencies: LocalApiDependencies): Promise<void> {
  const body = await readJsonBody(request);
  if (!Value.Check(CommandResultSchema, body)) {
    const first = Value.Errors(CommandResultSchema, body).First();
    throw new ProblemError(400, 'RESULT_INVALID', `${first?.path || 'body'}: ${first?.message ?? 'invalid'}; send {"status":"succeeded"|"failed"|"acknowledged","output":…,"error":"…"}`);
  }
  if (dependencies.inbox.ownerOf(commandId) === undefined) {
    throw new ProblemError(404, 'COMMAND_NOT_FOUND', `no command ${commandId} was handed to a module (poll GET /v1/commands?module=<name> first)`);
  }
  const result = body as CommandResult;
  dependencies.enqueueCommandResult(commandId, result);
  if (result.status !== 'acknowledged') dependencies.inbox.finish(commandId);
  sendJson(response, 202, { queued: true });
}

async function readJsonBody(request: IncomingMessage): Promise<unknown> {
  const type = request.headers['content-type'] ?? '';
  if (type !== '' && !type.toLowerCase().startsWith('application/json')) throw new ProblemError(415, 'UNSUPPORTED_MEDIA_TYPE', 'send JSON with Content-Type: application/json');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new ProblemError(413, 'PAYLOAD_TOO_LARGE', `bodies are at most ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') throw new ProblemError(400, 'MALFORMED_BODY', 'the body is empty; send JSON');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ProblemError(400, 'MALFORMED_BODY', `the body is not JSON: ${(error as Error).message}`);
  }
}

function sendJson(response: ServerResponse, status: number, body: unknown, contentType = 'application/json'): void {
  if (response.headersSent || response.destroyed) return;
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(text) });
  response.end(text);
}
