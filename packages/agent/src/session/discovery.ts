/** mDNS discovery of the server, through the SDK's Node-only discovery module. */
import { discoverServer, NoServerFoundError } from '@flotilla/sdk/discovery';
import type { DiscoverServer } from './find-server.js';

/** The first server that answers (with the broker URL it announces), or null when none does. */
export const discoverServerByMdns: DiscoverServer = async ({ timeoutMs, networkInterface, name }) => {
  try {
    const found = await discoverServer({ timeoutMs, ...(networkInterface ? { interface: networkInterface } : {}), ...(name ? { name } : {}) });
    return { url: found.serverUrl, mqttUrl: found.mqttUrl, name: found.name };
  } catch (error) {
    if (error instanceof NoServerFoundError) return null;
    throw error;
  }
};
