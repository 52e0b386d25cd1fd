/** @flotilla/sdk: device-side client of the Flotilla device protocol. */
export { PROTOCOL_VERSION } from './version.js';
