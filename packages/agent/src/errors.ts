/**
 * The agent's error catalogue. Agent modules throw only these (`throw agentError('APP_NOT_FOUND',
 * …)`); the command executor turns them into a failed result whose `error` is the detail, the
 * reconciler into a failed part, and the agent's main into one line on stderr and an exit status.
 * docs/agent.md and docs/agent-apps-and-commands.md list every code.
 */

/** Every error code of the agent, with a title. */
export const agentErrorCatalogue = {
  // Start-up, enrollment and session.
  CONFIG_INVALID: 'The agent configuration is not valid',
  CONFIG_FILE_UNREADABLE: 'The agent configuration file cannot be read',
  STATE_DIR_UNUSABLE: 'The state directory cannot be created or written',
  CREDENTIALS_CORRUPT: 'The stored device credentials are not readable',
  CREDENTIALS_REFUSED: 'The server refused the device credentials (device revoked or deleted)',
  ENROLLMENT_FAILED: 'Enrollment was refused',
  ENROLLMENT_MISSING: 'No credentials stored and no enrollment token or claim code given',
  SERVER_NOT_FOUND: 'No server found on the local network',
  SERVER_ANSWER_INVALID: 'The server answered something the agent does not understand',
  QUEUE_UNUSABLE: 'The offline buffer cannot be opened',
  LOCAL_API_LISTEN_FAILED: 'The local module API cannot listen on its port',
  // Apps and commands.
  APP_NOT_FOUND: 'No such app in the desired state',
  APP_DISABLED: 'The app is declared with enabled: false',
  APP_START_FAILED: 'The app could not be started',
  NO_DESIRED_STATE: 'No desired state has been received yet',
  COMMAND_NOT_ALLOWED: "The device's local policy does not allow this command",
  COMMAND_TIMED_OUT: 'The command did not finish within its timeout',
  COMMAND_NAME_INVALID: 'A command handler name must match the command name pattern',
  COMMAND_NAME_TAKEN: 'A handler for this command name is registered already',
} as const satisfies Record<string, string>;

/** A code from the catalogue. */
export type AgentErrorCode = keyof typeof agentErrorCatalogue;

/** An error of the agent: a catalogue code and a detail that says what was wrong. */
export class AgentError extends Error {
  constructor(
    readonly code: AgentErrorCode,
    readonly detail: string = agentErrorCatalogue[code],
    options?: { cause?: unknown },
  ) {
    super(detail, options);
    this.name = 'AgentError';
  }
}

/** Builds an AgentError; the detail defaults to the code's title. */
export function agentError(code: AgentErrorCode, detail: string = agentErrorCatalogue[code]): AgentError {
  return new AgentError(code, detail);
}

/** The message of anything thrown, for logs and reports. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
