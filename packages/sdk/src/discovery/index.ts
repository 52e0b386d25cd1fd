/** @flotilla/sdk/discovery: finding a Flotilla server on the local network (Node only: UDP multicast). */
export { discoverServer, discoverServers, FLOTILLA_SERVICE_TYPE, type DiscoverOptions, type DiscoveredServer } from './discover-server.js';
export { NoServerFoundError } from '../errors.js';
