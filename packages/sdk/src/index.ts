/**
 * @flotilla/sdk: device-side client of the Flotilla device protocol, for Node and browsers.
 * Node-only parts (mDNS discovery) live in `@flotilla/sdk/discovery`.
 */
export { PROTOCOL_VERSION } from './version.js';
export { enroll, type EnrollOptions, type EnrollExtra, type EnrolledDeviceCredentials } from './enroll.js';
export { connectDevice, createDeviceClient, type DeviceClient, type DeviceClientEvents, type CommandListener, type DesiredStateListener } from './device-client.js';
export { defaultMqttUrl, type ConnectDeviceOptions, type TransportChoice } from './client-options.js';
export { askBrokerUrl, brokerUrlOf } from './broker-address.js';
export type { TransportKind } from './transport.js';
export type { FetchFunction } from './http-request.js';
export type { BackoffOptions } from './backoff.js';
export type { TelemetryPayload, TelemetryReadings, TimedTelemetry, DeviceEvent } from './payloads.js';
export * from './errors.js';
export type { CommandMessage, CommandResult, DesiredStateMessage, JsonObject, JsonValue } from '@flotilla/protocol';
