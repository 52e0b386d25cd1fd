/**
 * The HTTP transport, for networks where MQTT cannot pass: every send is one request that
 * resolves on a 2xx (the server answers only once the message is stored); the desired state is
 * polled from `GET /device/state` and commands are long-polled from `GET /device/commands`. It
 * is "connected" while the server answers; after a network failure it probes with backoff.
 */
import { CommandMessageSchema, DesiredStateMessageSchema, type CommandMessage, type DesiredStateMessage } from '@flotilla/protocol';
import { Type } from '@sinclair/typebox';
import { backoffDelay, sleep, type BackoffOptions } from './backoff.js';
import { createEmitter } from './emitter.js';
import { ClientClosedError, CredentialsRefusedError, ServerUnreachableError, UnexpectedResponseError } from './errors.js';
import { apiRequest, type ApiRequest, type DeviceCredentials, type FetchFunction } from './http-request.js';
import { firstError } from './schema-check.js';
import type { Subscription, Transport, TransportEvents } from './transport.js';

/** How the HTTP transport talks to the server. */
export interface HttpTransportOptions {
  serverUrl: string;
  deviceId: string;
  secret: string;
  requestTimeoutMs: number;
  /** How often the desired state is fetched. */
  statePollIntervalMs: number;
  /** How long one command poll waits for a command (at most 30 s). */
  commandWaitSeconds: number;
  backoff: BackoffOptions;
  fetch?: FetchFunction;
}

const CommandPollReplySchema = Type.Object({ commands: Type.Array(CommandMessageSchema) });
// A poll that brings back only commands the device already has waits this long before the next.
const REPEATED_COMMANDS_DELAY_MS = 2000;

/** Creates the transport; start() begins probing the server. */
export function createHttpTransport(options: HttpTransportOptions): Transport {
  const events = createEmitter<TransportEvents>();
  const credentials: DeviceCredentials = { deviceId: options.deviceId, secret: options.secret };
  const stopping = new AbortController();
  const wanted = new Set<Subscription>();
  let isStarted = false;
  let isConnected = false;
  let isProbing = false;

  function markConnected(): void {
    if (isConnected || stopping.signal.aborted) return;
    isConnected = true;
    events.emit('connected');
  }

  function markDisconnected(reason: string): void {
    if (!isConnected) return;
    isConnected = false;
    events.emit('disconnected', reason);
    void probe();
  }

  /** One request; tracks the connection and turns a refusal of the credentials into `refused`. */
  async function request(apiRequestOptions: Omit<ApiRequest, 'credentials'>): Promise<unknown> {
    if (stopping.signal.aborted) throw new ClientClosedError();
    try {
      const answer = await apiRequest(options.serverUrl, { timeoutMs: options.requestTimeoutMs, ...apiRequestOptions, credentials, signal: stopping.signal, ...(options.fetch ? { fetch: options.fetch } : {}) });
      markConnected();
      return answer;
    } catch (error) {
      if (stopping.signal.aborted) throw new ClientClosedError();
      if (error instanceof CredentialsRefusedError) refuse(error);
      else if (error instanceof ServerUnreachableError) markDisconnected(error.message);
      else markConnected(); // the server answered, if with an error
      throw error;
    }
  }

  function refuse(error: CredentialsRefusedError): void {
    if (stopping.signal.aborted) return;
    stopping.abort();
    isConnected = false;
    events.emit('refused', error);
  }

  async function fetchDesiredState(): Promise<DesiredStateMessage> {
    const answer = await request({ method: 'GET', path: '/device/state' });
    const mismatch = firstError(DesiredStateMessageSchema, answer);
    if (mismatch) throw new UnexpectedResponseError(`GET /device/state answered a desired state with ${mismatch}`, 200);
    return answer as DesiredStateMessage;
  }

  /** Until the server answers: the first request, and again after every network failure. */
  async function probe(): Promise<void> {
    if (isProbing) return;
    isProbing = true;
    for (let attempt = 0; !isConnected && !stopping.signal.aborted; attempt++) {
      try {
        const message = await fetchDesiredState();
        if (wanted.has('desiredState')) events.emit('desiredState', message);
      } catch (error) {
        if (!(error instanceof ServerUnreachableError)) reportError(error);
        await sleep(backoffDelay(attempt, options.backoff), stopping.signal);
      }
    }
    isProbing = false;
  }

  function reportError(error: unknown): void {
    if (stopping.signal.aborted || error instanceof CredentialsRefusedError || error instanceof ClientClosedError) return;
    events.emit('error', error instanceof Error ? error : new Error(String(error)));
  }

  /** Polls the desired state while running; the client keeps only newer versions. */
  async function pollDesiredState(): Promise<void> {
    for (let failures = 0; !stopping.signal.aborted; ) {
      try {
        events.emit('desiredState', await fetchDesiredState());
        failures = 0;
        await sleep(options.statePollIntervalMs, stopping.signal);
      } catch (error) {
        reportError(error);
        await sleep(backoffDelay(failures++, options.backoff), stopping.signal);
      }
    }
  }

  /** Long-polls commands while running, handing each to the client in the server's order. */
  async function pollCommands(): Promise<void> {
    let previousIds = new Set<string>();
    for (let failures = 0; !stopping.signal.aborted; ) {
      try {
        const answer = await request({
          method: 'GET',
          path: `/device/commands?waitSeconds=${options.commandWaitSeconds}`,
          // The server holds the request up to waitSeconds: allow for that on top of the usual timeout.
          timeoutMs: options.requestTimeoutMs + options.commandWaitSeconds * 1000,
        });
        const mismatch = firstError(CommandPollReplySchema, answer);
        if (mismatch) throw new UnexpectedResponseError(`GET /device/commands answered ${mismatch}`, 200);
        const commands = (answer as { commands: CommandMessage[] }).commands;
        for (const command of commands) events.emit('command', command);
        failures = 0;
        // Pending commands come back until answered: do not spin on the ones already handed out.
        const isRepeat = commands.length > 0 && commands.every((command) => previousIds.has(command.id));
        previousIds = new Set(commands.map((command) => command.id));
        if (isRepeat) await sleep(REPEATED_COMMANDS_DELAY_MS, stopping.signal);
      } catch (error) {
        reportError(error);
        await sleep(backoffDelay(failures++, options.backoff), stopping.signal);
      }
    }
  }

  function startLoop(subscription: Subscription): void {
    if (subscription === 'desiredState') void pollDesiredState();
    else void pollCommands();
  }

  async function send(method: 'POST' | 'PATCH', path: string, body: string, contentType?: string): Promise<void> {
    await request({ method, path, body, ...(contentType ? { contentType } : {}) });
  }

  return {
    kind: 'http',
    events,
    get isConnected() {
      return isConnected;
    },
    start() {
      if (isStarted || stopping.signal.aborted) return;
      isStarted = true;
      void probe();
      for (const subscription of wanted) startLoop(subscription);
    },
    subscribe(subscription) {
      if (wanted.has(subscription)) return;
      wanted.add(subscription);
      if (isStarted) startLoop(subscription);
    },
    publishTelemetry: (body) => send('POST', '/device/telemetry', body),
    reportState: (body) => send('PATCH', '/device/state', body, 'application/merge-patch+json'),
    sendCommandResult: (commandId, body) => send('POST', `/device/commands/${encodeURIComponent(commandId)}/result`, body),
    publishEvent: (body) => send('POST', '/device/events', body),
    async close() {
      stopping.abort();
      isConnected = false;
    },
  };
}
