/**
 * The agent's error catalogue. Every failure the agent reports carries one of these codes, so a
 * log line or an exit message can be matched by tools and looked up in docs/agent.md.
 */

/** Every error code of the agent, with the message a person reads first. */
export const agentErrorCatalogue = {
  CONFIG_INVALID: 'The agent configuration is not valid',
  CONFIG_FILE_UNREADABLE: 'The agent configuration file cannot be read',
  STATE_DIR_UNUSABLE: 'The state directory cannot be created or written',
  CREDENTIALS_CORRUPT: 'The stored device credentials are not readable',
  CREDENTIALS_REFUSED: 'The server refused the device credentials (device revoked or deleted)',
  ENROLLMENT_FAILED: 'Enrollment failed',
  ENROLLMENT_MISSING: 'No credentials stored and no enrollment token or claim code given',
  SERVER_NOT_FOUND: 'No server found on the local network',
  SERVER_ANSWER_INVALID: 'The server answered something the agent does not understand',
  QUEUE_UNUSABLE: 'The offline buffer cannot be opened',
  LOCAL_API_LISTEN_FAILED: 'The local module API cannot listen on its port',
  APP_NOT_FOUND: 'No such app in the desired state',
} as const;

/** A code from the catalogue. */
export type AgentErrorCode = keyof typeof agentErrorCatalogue;

/** An error with a stable code; the message says what exactly went wrong and what to do. */
export class AgentError extends Error {
  readonly code: AgentErrorCode;
  constructor(code: AgentErrorCode, detail?: string, options?: { cause?: unknown }) {
    super(detail ? `${agentErrorCatalogue[code]}: ${detail}` : agentErrorCatalogue[code], options);
    this.name = 'AgentError';
    this.code = code;
  }
}

/** Shorthand: `throw agentError('CONFIG_INVALID', 'metricsInterval: …')`. */
export function agentError(code: AgentErrorCode, detail?: string, options?: { cause?: unknown }): AgentError {
  return new AgentError(code, detail, options);
}
