/** The `flotilla` command line: every command group, wired in the order `--help` lists them. */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { registerAgentCommand } from './commands/agent.js';
import { registerAuditCommands } from './commands/audit.js';
import { registerAuthCommands } from './commands/auth.js';
import { registerCmdCommands } from './commands/cmd.js';
import { registerClaimCommands } from './commands/claims.js';
import { registerDevicesCommands } from './commands/devices.js';
import { registerEnrollmentTokensCommands } from './commands/enrollment-tokens.js';
import { registerProfilesCommands } from './commands/profiles.js';
import { registerServerCommand } from './commands/server.js';
import { routeThroughOutput } from './commands/shared.js';
import { registerSimulateCommand } from './commands/simulate.js';
import { registerStateCommands } from './commands/state.js';
import { registerTelemetryCommands } from './commands/telemetry.js';
import { registerTokensCommands } from './commands/tokens.js';
import { registerUsersCommands } from './commands/users.js';
import type { CliContext } from './context.js';

// src/ and dist/ both sit beside package.json.
const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

/** Builds the program; settings made here are inherited by every command added after them. */
export function createProgram(context: CliContext): Command {
  const program = new Command('flotilla')
    .description('Run the Flotilla server and manage your fleet from the command line.')
    .version(version, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help for a command')
    .addHelpText(
      'after',
      [
        '',
        'Environment:',
        '  FLOTILLA_SERVER      server address (overrides the one saved by login)',
        '  FLOTILLA_TOKEN       API token to use instead of the saved session, for scripts and CI',
        '  FLOTILLA_CONFIG_DIR  where login saves the session (default ~/.config/flotilla)',
        '  FLOTILLA_DEBUG       print the stack of unexpected errors',
        '',
        'Every command prints a table, or the raw JSON with --json.',
      ].join('\n'),
    );
  routeThroughOutput(program, context.output);
  registerServerCommand(program, context);
  registerAgentCommand(program, context);
  registerAuthCommands(program, context);
  registerDevicesCommands(program, context);
  registerTelemetryCommands(program, context);
  registerStateCommands(program, context);
  registerProfilesCommands(program, context);
  registerCmdCommands(program, context);
  registerEnrollmentTokensCommands(program, context);
  registerClaimCommands(program, context);
  registerTokensCommands(program, context);
  registerUsersCommands(program, context);
  registerAuditCommands(program, context);
  registerSimulateCommand(program, context);
  return program;
}
