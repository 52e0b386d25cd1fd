/**
 * The agent's error catalogue. Agent modules throw only these (`throw agentError('APP_NOT_FOUND',
 * …)`); the command executor turns them into a failed result whose `error` is the detail, and the
 * reconciler into a failed part. docs/agent-apps-and-commands.md lists every code.
 */

/** Every error code of the agent, with a title. */
export const agentErrorCatalogue = {
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
    readonly detail: string,
  ) {
    super(detail);
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
