/**
 * The SDK's error catalogue. Every failure the SDK reports is an SdkError with a stable `code`
 * (for programs) and a message naming what is wrong (for people). Subclasses exist for the
 * failures a device program reacts to differently: stop (CredentialsRefusedError), fix its
 * input (InvalidPayloadError, InvalidOptionsError), or try again later (ServerUnreachableError,
 * NotConnectedError, AckTimeoutError, RequestFailedError with a 5xx status).
 */

/** Every code an SdkError may carry. */
export const SDK_ERROR_CODES = [
  'INVALID_OPTIONS',
  'INVALID_PAYLOAD',
  'ENROLLMENT_REFUSED',
  'CREDENTIALS_REFUSED',
  'SERVER_UNREACHABLE',
  'UNEXPECTED_RESPONSE',
  'REQUEST_FAILED',
  'NOT_CONNECTED',
  'ACK_TIMEOUT',
  'CLIENT_CLOSED',
  'NOT_SUPPORTED',
  'NO_SERVER_FOUND',
] as const;
export type SdkErrorCode = (typeof SDK_ERROR_CODES)[number];

/** The base of every error the SDK throws or emits. */
export class SdkError extends Error {
  constructor(
    readonly code: SdkErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SdkError';
  }
}

/** An option of enroll, connectDevice or discoverServer is missing or wrong; the message names it. */
export class InvalidOptionsError extends SdkError {
  constructor(message: string) {
    super('INVALID_OPTIONS', message);
    this.name = 'InvalidOptionsError';
  }
}

/** A payload (telemetry, state patch, command result, event) the server would refuse; nothing was sent. */
export class InvalidPayloadError extends SdkError {
  constructor(message: string) {
    super('INVALID_PAYLOAD', message);
    this.name = 'InvalidPayloadError';
  }
}

/** The server refused to enroll: the token or claim code is unknown, expired, revoked or used up. */
export class EnrollmentRefusedError extends SdkError {
  constructor(
    message: string,
    /** The server's problem code (`ENROLLMENT_TOKEN_INVALID`, `CLAIM_CODE_INVALID`, …). */
    readonly serverCode: string | null,
    readonly status: number,
  ) {
    super('ENROLLMENT_REFUSED', message);
    this.name = 'EnrollmentRefusedError';
  }
}

/**
 * The server refused the device's id and secret (MQTT CONNACK 4 or 5, HTTP 401 or 403): the
 * device was deleted, moved, or given a new secret. The client stops and does not retry.
 */
export class CredentialsRefusedError extends SdkError {
  constructor(
    message: string,
    readonly transport: 'mqtt' | 'http',
  ) {
    super('CREDENTIALS_REFUSED', message);
    this.name = 'CredentialsRefusedError';
  }
}

/** The server could not be reached (connection refused, no route, DNS, timeout). */
export class ServerUnreachableError extends SdkError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SERVER_UNREACHABLE', message, options);
    this.name = 'ServerUnreachableError';
  }
}

/** The server answered something this SDK does not understand (not JSON, wrong shape). */
export class UnexpectedResponseError extends SdkError {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super('UNEXPECTED_RESPONSE', message);
    this.name = 'UnexpectedResponseError';
  }
}

/** The server answered an HTTP request with an error (problem+json `code` and `detail`). */
export class RequestFailedError extends SdkError {
  constructor(
    message: string,
    readonly status: number,
    /** The server's problem code (`TELEMETRY_PAYLOAD_INVALID`, `INGEST_OVERLOADED`, …), when it sent one. */
    readonly serverCode: string | null,
    /** Seconds to wait before trying again, from `retry-after`. */
    readonly retryAfterSeconds: number | null = null,
  ) {
    super('REQUEST_FAILED', message);
    this.name = 'RequestFailedError';
  }

  /** True when sending the same request later may succeed (5xx, 408, 429). */
  get isRetryable(): boolean {
    return this.status >= 500 || this.status === 408 || this.status === 429;
  }
}

/** Nothing could be sent: no transport is connected right now. Send again later. */
export class NotConnectedError extends SdkError {
  constructor(message = 'not connected to the server; send again once connected') {
    super('NOT_CONNECTED', message);
    this.name = 'NotConnectedError';
  }
}

/** The message was sent but not acknowledged in time; it may or may not be stored (resending is safe with `ts`). */
export class AckTimeoutError extends SdkError {
  constructor(message: string) {
    super('ACK_TIMEOUT', message);
    this.name = 'AckTimeoutError';
  }
}

/** The client was closed (by close(), or after its credentials were refused). */
export class ClientClosedError extends SdkError {
  constructor(message = 'the device client is closed') {
    super('CLIENT_CLOSED', message);
    this.name = 'ClientClosedError';
  }
}

/** The operation has no route on the transport in use (events over HTTP). */
export class NotSupportedError extends SdkError {
  constructor(message: string) {
    super('NOT_SUPPORTED', message);
    this.name = 'NotSupportedError';
  }
}

/** discoverServer found no Flotilla server on the local network in time. */
export class NoServerFoundError extends SdkError {
  constructor(message: string) {
    super('NO_SERVER_FOUND', message);
    this.name = 'NoServerFoundError';
  }
}
