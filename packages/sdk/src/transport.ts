/**
 * What the device client asks of a transport (MQTT or HTTP): send the device → server
 * messages, resolving on the server's acknowledgement, and report what the server sends.
 */
import type { CommandMessage, DesiredStateMessage } from '@flotilla/protocol';
import type { Emitter } from './emitter.js';
import type { CredentialsRefusedError } from './errors.js';

/** The two ways of talking to the server. */
export type TransportKind = 'mqtt' | 'http';

/** What a transport reports. */
export type TransportEvents = {
  connected: [];
  disconnected: [reason: string];
  /** The credentials were refused; the transport has stopped for good. */
  refused: [error: CredentialsRefusedError];
  desiredState: [message: DesiredStateMessage];
  command: [message: CommandMessage];
  /** Something went wrong that the transport survives (a malformed message, a failed poll). */
  error: [error: Error];
};

/** The server → device streams a client may ask for. */
export type Subscription = 'commands' | 'desiredState';

/** One transport; every send resolves once the server acknowledged and rejects with an SdkError. */
export interface Transport {
  readonly kind: TransportKind;
  readonly isConnected: boolean;
  readonly events: Emitter<TransportEvents>;
  /** Starts connecting (and reconnecting until closed). */
  start(): void;
  /** Starts receiving a stream; idempotent. */
  subscribe(subscription: Subscription): void;
  publishTelemetry(body: string): Promise<void>;
  reportState(body: string): Promise<void>;
  sendCommandResult(commandId: string, body: string): Promise<void>;
  publishEvent(body: string): Promise<void>;
  /** Stops for good; sends in flight reject with ClientClosedError. */
  close(): Promise<void>;
}
