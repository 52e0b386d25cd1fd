/** mDNS discovery of the server, from the SDK's Node-only discovery module. */
import type { DiscoverServer } from './find-server.js';

// Wired to @flotilla/sdk/discovery once that module is available.
export const discoverServerByMdns: DiscoverServer | null = null;
