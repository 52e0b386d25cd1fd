/**
 * Which server to talk to: the configured URL, or one found by mDNS on the local network, or
 * (when the search finds none) the one the device enrolled with. Each outcome is logged.
 */
import type { Logger } from 'pino';
import type { AgentConfig } from '../config/config.js';
import type { StoredCredentials } from '../credentials/credentials.js';
import { AgentError } from '../errors.js';

/** Finds servers on the local network; null when none answered in time. */
export type DiscoverServer = (timeoutMs: number, signal: AbortSignal) => Promise<{ url: string; name?: string } | null>;

export async function findServer(
  config: Readonly<AgentConfig>,
  stored: StoredCredentials | null,
  discover: DiscoverServer | null,
  log: Logger,
  signal: AbortSignal,
): Promise<string> {
  if (config.server !== null) {
    log.info({ server: config.server }, 'using the configured server');
    return config.server;
  }
  if (discover === null) {
    if (stored) return stored.server;
    throw new AgentError('SERVER_NOT_FOUND', 'no --server given and mDNS discovery is not available here; give --server URL');
  }
  log.info({ timeoutMs: config.discoveryTimeoutMs }, 'no server configured: searching the local network (mDNS)');
  const found = await discover(config.discoveryTimeoutMs, signal);
  if (found) {
    log.info({ server: found.url, name: found.name }, 'found a server by mDNS');
    return found.url;
  }
  if (stored) {
    log.warn({ server: stored.server }, 'no server answered mDNS: using the server this device enrolled with');
    return stored.server;
  }
  throw new AgentError('SERVER_NOT_FOUND', `no Flotilla server answered on the local network within ${config.discoveryTimeoutMs} ms; give --server URL, or check that the server runs with mDNS advertising on this network`);
}
