/** Runs the agent from a command line and turns whatever happens into an exit status. */
import { loadAgentConfig } from '../config/config.js';
import { AgentError, agentErrorCatalogue, type AgentErrorCode } from '../errors.js';
import { runAgent } from '../agent.js';
import { AGENT_VERSION } from '../version.js';
import { EXIT_DO_NOT_RESTART, EXIT_FAILURE, EXIT_OK } from './exit-codes.js';
import { agentHelp, parseAgentArgs } from './parse-args.js';

/** Where the agent writes what a person reads before any logger exists. */
export interface AgentMainIo {
  env: Record<string, string | undefined>;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

// Failures a restart cannot fix: systemd is told not to loop on them.
const FINAL_CODES: ReadonlySet<AgentErrorCode> = new Set(['CONFIG_INVALID', 'CONFIG_FILE_UNREADABLE', 'CREDENTIALS_REFUSED', 'CREDENTIALS_CORRUPT', 'ENROLLMENT_FAILED', 'ENROLLMENT_MISSING', 'STATE_DIR_UNUSABLE']);

/** `flotilla-agent <argv…>` (also `flotilla agent <argv…>`); resolves with the exit status. */
export async function agentMain(argv: readonly string[], io: AgentMainIo = { env: process.env, stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  try {
    const args = parseAgentArgs(argv);
    if (args.isHelp) {
      io.stdout.write(agentHelp());
      return EXIT_OK;
    }
    if (args.isVersion) {
      io.stdout.write(`${AGENT_VERSION}\n`);
      return EXIT_OK;
    }
    const config = loadAgentConfig({ flags: args.flags, env: io.env, ...(args.configFile !== undefined ? { configFile: args.configFile } : {}) });
    return await runAgent(config);
  } catch (error) {
    if (error instanceof AgentError) {
      io.stderr.write(`flotilla-agent: ${error.code}: ${agentErrorCatalogue[error.code]}: ${error.detail}\n`);
      return FINAL_CODES.has(error.code) ? EXIT_DO_NOT_RESTART : EXIT_FAILURE;
    }
    io.stderr.write(`flotilla-agent: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return EXIT_FAILURE;
  }
}
