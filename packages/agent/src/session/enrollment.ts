/**
 * Credentials: reused from the state directory when the device enrolled before, otherwise got
 * once with the enrollment token or claim code and stored (mode 0600) before anything else.
 * A refused token stops the agent with a clear error; an unreachable server is retried.
 */
import { hostname } from 'node:os';
import { DEVICE_NAME_PATTERN } from '@flotilla/protocol';
import { nodeHttpFetch } from '@flotilla/sdk/node-http';
import { enroll, EnrollmentRefusedError, RequestFailedError, ServerUnreachableError, UnexpectedResponseError } from '@flotilla/sdk';
import type { Logger } from 'pino';
import type { AgentConfig } from '../config/config.js';
import { readCredentials, writeCredentials, type StoredCredentials } from '../credentials/credentials.js';
import { AgentError } from '../errors.js';
import { backoffDelay, sleep } from './retry.js';

/** The device's credentials, enrolling first when there are none. */
export async function ensureCredentials(config: Readonly<AgentConfig>, serverUrl: string, log: Logger, signal: AbortSignal): Promise<StoredCredentials> {
  const stored = readCredentials(config.stateDir);
  if (stored) {
    log.info({ deviceId: stored.deviceId, name: stored.name }, 'using stored device credentials');
    return stored;
  }
  if (config.enrollToken === null && config.claimCode === null) {
    throw new AgentError('ENROLLMENT_MISSING', `no credentials in ${config.stateDir} and no --enroll-token or --claim-code (or FLOTILLA_AGENT_ENROLL_TOKEN / FLOTILLA_AGENT_CLAIM_CODE) to enroll with`);
  }
  for (let attempt = 0; ; attempt += 1) {
    try {
      const enrolled = await enrollOnce(config, serverUrl);
      const credentials: StoredCredentials = { deviceId: enrolled.deviceId, secret: enrolled.secret, name: enrolled.name, server: serverUrl, enrolledAt: Date.now() };
      writeCredentials(config.stateDir, credentials);
      log.info({ deviceId: credentials.deviceId, name: credentials.name, with: config.enrollToken !== null ? 'enrollment token' : 'claim code' }, 'enrolled');
      return credentials;
    } catch (error) {
      if (!isWorthRetrying(error) || signal.aborted) throw asAgentError(error, serverUrl);
      const delayMs = backoffDelay(attempt, 2000, 60_000);
      log.warn({ err: (error as Error).message, retryInMs: delayMs }, 'enrollment: server not reachable; retrying');
      await sleep(delayMs, signal);
      if (signal.aborted) throw asAgentError(error, serverUrl);
    }
  }
}

/**
 * The name asked for at enrollment: the configured one, else the host name as people know the
 * machine (the server adds `-2`, `-3` … when the tenant has it already), else the server's pick.
 */
export function enrollmentName(configured: string | null, host = hostname()): string | null {
  if (configured !== null) return configured;
  const name = host.trim().replace(/[^A-Za-z0-9._ -]+/g, '-').replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '').slice(0, 100);
  return new RegExp(DEVICE_NAME_PATTERN).test(name) ? name : null;
}

function enrollOnce(config: Readonly<AgentConfig>, serverUrl: string) {
  const name = enrollmentName(config.deviceName);
  const extra = name !== null ? { name } : {};
  if (config.enrollToken !== null) return enroll({ serverUrl, token: config.enrollToken, fetch: nodeHttpFetch }, extra);
  return enroll({ serverUrl, claimCode: config.claimCode as string, fetch: nodeHttpFetch }, extra);
}

function isWorthRetrying(error: unknown): boolean {
  return error instanceof ServerUnreachableError || (error instanceof RequestFailedError && error.isRetryable);
}

function asAgentError(error: unknown, serverUrl: string): Error {
  if (error instanceof EnrollmentRefusedError) {
    return new AgentError('ENROLLMENT_FAILED', `${serverUrl} refused to enroll this device: ${error.message} (${error.serverCode ?? error.status}); ask for a new enrollment token or check the claim code`);
  }
  if (error instanceof UnexpectedResponseError || (error instanceof RequestFailedError && !error.isRetryable)) {
    return new AgentError('SERVER_ANSWER_INVALID', `${serverUrl} is not a Flotilla server or answered the enrollment oddly: ${error.message}; check --server`);
  }
  if (error instanceof ServerUnreachableError) return new AgentError('ENROLLMENT_FAILED', `${serverUrl} is not reachable: ${error.message}`);
  return error instanceof Error ? error : new Error(String(error));
}
