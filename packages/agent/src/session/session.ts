/**
 * The session with the server: one device client of the SDK (MQTT with its last will, HTTP
 * while MQTT is blocked, reconnecting with backoff and jitter), with clear log lines at every
 * change. A refusal of the credentials ends the session for good: the agent stops.
 */
import { createDeviceClient, CredentialsRefusedError, InvalidPayloadError, RequestFailedError, type DeviceClient } from '@flotilla/sdk';
// node:http rather than the global fetch: loading fetch would cost the agent about 12 MB at rest.
import { nodeHttpFetch } from '@flotilla/sdk/node-http';
import type { Logger } from 'pino';
import type { AgentConfig } from '../config/config.js';
import type { StoredCredentials } from '../credentials/credentials.js';
import { AgentError } from '../errors.js';
import type { DeliveryChannel } from './sender.js';

export interface Session {
  client: DeviceClient;
  channel: DeliveryChannel;
  /** Resolves with the error that ended the session for good (credentials refused). */
  ended: Promise<AgentError>;
  /** Called after every connect, before queued records go out. */
  onConnected(listener: () => void): void;
  close(): Promise<void>;
}

export function openSession(config: Readonly<AgentConfig>, serverUrl: string, credentials: StoredCredentials, log: Logger): Session {
  const client = createDeviceClient({
    serverUrl,
    deviceId: credentials.deviceId,
    secret: credentials.secret,
    transport: config.transport,
    ...(config.mqttUrl !== null ? { mqttUrl: config.mqttUrl } : {}),
    reconnect: { minDelayMs: 1000, maxDelayMs: 60_000 },
    fetch: nodeHttpFetch,
  });
  const connectedListeners: Array<() => void> = [];
  let resolveEnded: (error: AgentError) => void = () => {};
  const ended = new Promise<AgentError>((resolve) => {
    resolveEnded = resolve;
  });

  client.on('connected', ({ transport }) => {
    log.info({ transport, server: serverUrl }, `connected over ${transport}`);
    for (const listener of connectedListeners) listener();
  });
  client.on('disconnected', ({ transport, reason }) => log.warn({ transport, reason }, 'disconnected; buffering until the server is back'));
  client.on('transport', (transport) => log.info({ transport }, transport === 'http' ? 'MQTT unavailable: using HTTP' : `using ${transport}`));
  client.on('error', (error) => {
    if (error instanceof CredentialsRefusedError) {
      resolveEnded(new AgentError('CREDENTIALS_REFUSED', `${serverUrl} refused device ${credentials.deviceId} over ${error.transport}: ${error.message}. The device was revoked, deleted or given a new secret; delete ${config.stateDir}/credentials.json and enroll again to rejoin`));
      return;
    }
    log.warn({ err: error.message }, 'session problem');
  });

  const channel: DeliveryChannel = {
    isConnected: () => client.isConnected,
    publishTelemetry: (entries) => client.publishTelemetry(entries),
    sendCommandResult: (commandId, result) => client.sendCommandResult(commandId, result),
    isPermanentRefusal: (error) =>
      error instanceof InvalidPayloadError || (error instanceof RequestFailedError && !error.isRetryable && error.status !== 401 && error.status !== 403),
  };

  return {
    client,
    channel,
    ended,
    onConnected: (listener) => connectedListeners.push(listener),
    close: () => client.close(),
  };
}
