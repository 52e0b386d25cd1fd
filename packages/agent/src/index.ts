/** @flotilla/agent: the program that runs on a device. */
export { PROTOCOL_VERSION } from '@flotilla/sdk';
