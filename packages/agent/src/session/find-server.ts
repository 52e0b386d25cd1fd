/**
 * Which server to talk to: the configured URL, or one found by mDNS on the local network, or
 * (when the search finds none) the one the device enrolled with. Each outcome is logged.
 */
import type { Logger } from 'pino';
import type { AgentConfig } from '../config/config.js';
import type { StoredCredentials } from '../credentials/credentials.js';
import { AgentError } from '../errors.js';

/** Finds a server on the local network; null when none answered in time. */
export type DiscoverServer = (options: { timeoutMs: number; networkInterface: string | null; name: string | null }) => Promise<{ url: string; mqttUrl: string; name: string } | null>;

/** The server, and the broker it announced when it was found by mDNS. */
export interface FoundServer {
  serverUrl: string;
  mqttUrl: string | null;
}

export async function findServer(config: Readonly<AgentConfig>, stored: StoredCredentials | null, discover: DiscoverServer, log: Logger): Promise<FoundServer> {
  if (config.server !== null) {
    log.info({ server: config.server }, 'using the configured server');
    return { serverUrl: config.server, mqttUrl: null };
  }
  log.info({ timeoutMs: config.discoveryTimeoutMs, interface: config.discoveryInterface, name: config.discoveryName }, 'no server configured: searching the local network (mDNS)');
  const found = await discover({ timeoutMs: config.discoveryTimeoutMs, networkInterface: config.discoveryInterface, name: config.discoveryName });
  if (found) {
    log.info({ server: found.url, mqttUrl: found.mqttUrl, name: found.name }, 'found a server by mDNS');
    return { serverUrl: found.url, mqttUrl: found.mqttUrl };
  }
  if (stored) {
    log.warn({ server: stored.server }, 'no server answered mDNS: using the server this device enrolled with');
    return { serverUrl: stored.server, mqttUrl: null };
  }
  throw new AgentError('SERVER_NOT_FOUND', `no Flotilla server answered on the local network within ${config.discoveryTimeoutMs} ms; give --server URL, or check that the server runs with mDNS on (FLOTILLA_MDNS) and that multicast passes`);
}
