/**
 * The server's error catalogue. Services throw only these (`throw appError('DEVICE_NOT_FOUND')`);
 * one handler turns them into `application/problem+json`. docs/errors.md lists every code and a
 * test fails when one is missing there.
 */

interface ErrorDefinition {
  status: number;
  title: string;
}

/** Every error code the API can answer, with its HTTP status and title. */
export const errorCatalogue = {
  VALIDATION_FAILED: { status: 400, title: 'Request validation failed' },
  MALFORMED_BODY: { status: 400, title: 'The request body is not valid JSON' },
  INVALID_SELECTOR: { status: 400, title: 'The label selector does not parse' },
  INVALID_CURSOR: { status: 400, title: 'The pagination cursor is not valid' },
  UNAUTHENTICATED: { status: 401, title: 'Authentication required' },
  INVALID_CREDENTIALS: { status: 401, title: 'Wrong email or password' },
  FORBIDDEN: { status: 403, title: 'Your role does not allow this' },
  ROUTE_NOT_FOUND: { status: 404, title: 'No such route' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'The request body is too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported content type' },
  UPGRADE_REQUIRED: { status: 426, title: 'This address speaks WebSocket' },
  RATE_LIMITED: { status: 429, title: 'Too many requests' },
  SETUP_ALREADY_DONE: { status: 409, title: 'First-run setup has already been done' },
  SETUP_TOKEN_INVALID: { status: 401, title: 'The setup token is wrong' },
  REFRESH_TOKEN_INVALID: { status: 401, title: 'The refresh token is unknown, expired or revoked' },
  USER_NOT_FOUND: { status: 404, title: 'No such user' },
  USER_EMAIL_TAKEN: { status: 409, title: 'A user with this email exists already' },
  LAST_ADMIN: { status: 409, title: 'The tenant must keep at least one active admin' },
  API_TOKEN_NOT_FOUND: { status: 404, title: 'No such API token' },
  ROLE_TOO_HIGH: { status: 403, title: 'You cannot grant a role above your own' },
  DEVICE_NOT_FOUND: { status: 404, title: 'No such device' },
  DEVICE_NAME_TAKEN: { status: 409, title: 'A device with this name exists already' },
  DEVICE_AUTH_FAILED: { status: 401, title: 'Wrong device id or secret' },
  ENROLLMENT_TOKEN_NOT_FOUND: { status: 404, title: 'No such enrollment token' },
  ENROLLMENT_TOKEN_INVALID: { status: 401, title: 'The enrollment token is unknown, expired, revoked or used up' },
  CLAIM_CODE_INVALID: { status: 404, title: 'No such claim code' },
  CLAIM_CODE_ALREADY_CLAIMED: { status: 409, title: 'This claim code has been claimed already' },
  CLAIM_CODE_ALREADY_ENROLLED: { status: 409, title: 'A device has enrolled with this claim code already' },
  PROFILE_NOT_FOUND: { status: 404, title: 'No such profile' },
  PROFILE_NAME_TAKEN: { status: 409, title: 'A profile with this name exists already' },
  STATE_REVISION_NOT_FOUND: { status: 404, title: 'No such revision' },
  STATE_DOCUMENT_INVALID: { status: 400, title: 'The state document is not valid' },
  STATE_SECRET_MISSING: { status: 400, title: 'No stored secret to keep at this path' },
  STATE_SCHEMA_INVALID: { status: 400, title: 'The settings schema is not a valid JSON Schema' },
  STATE_SCHEMA_VIOLATION: { status: 400, title: 'The settings do not satisfy a declared schema' },
  STATE_TOO_LARGE: { status: 413, title: 'The state document is too large' },
  STATE_REVISION_CONFLICT: { status: 412, title: 'The layer changed since the revision you edited' },
  COMMAND_NOT_FOUND: { status: 404, title: 'No such command' },
  COMMAND_NOT_CANCELLABLE: { status: 409, title: 'Only a queued or sent command can be cancelled' },
  COMMAND_FINISHED: { status: 409, title: 'The command has finished already' },
  TELEMETRY_PAYLOAD_INVALID: { status: 400, title: 'The telemetry payload cannot be stored' },
  EVENT_PAYLOAD_INVALID: { status: 400, title: 'The device events cannot be stored' },
  EVENTS_RATE_LIMITED: { status: 429, title: 'The device sends events faster than it may' },
  EVENTS_OVERLOADED: { status: 503, title: 'Too many events are waiting to be stored; retry later' },
  INGEST_OVERLOADED: { status: 503, title: 'Telemetry ingest is overloaded; retry later' },
  SERVICE_UNAVAILABLE: { status: 503, title: 'The service is not ready' },
  AGENT_BUNDLE_MISSING: { status: 404, title: 'The agent is not built on this server' },
  INTERNAL: { status: 500, title: 'Internal server error' },
} as const satisfies Record<string, ErrorDefinition>;

/** A code from the catalogue. */
export type ErrorCode = keyof typeof errorCatalogue;

/** One field-level problem, e.g. `{ field: 'body/name', message: 'must be string' }`. */
export interface FieldError {
  field: string;
  message: string;
}

/** An error the API answers with: a catalogue code, its status, and a detail for the user. */
export class AppError extends Error {
  readonly status: number;
  readonly title: string;

  constructor(
    readonly code: ErrorCode,
    readonly detail: string,
    readonly fieldErrors?: FieldError[],
    readonly headers?: Record<string, string>,
  ) {
    super(detail);
    this.name = 'AppError';
    this.status = errorCatalogue[code].status;
    this.title = errorCatalogue[code].title;
  }
}

/** Builds an AppError; the detail defaults to the code's title. */
export function appError(code: ErrorCode, detail?: string, fieldErrors?: FieldError[]): AppError {
  return new AppError(code, detail ?? errorCatalogue[code].title, fieldErrors);
}
