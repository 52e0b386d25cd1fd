/**
 * `flotilla agent`: runs the device agent. Its flags, variables and help belong to the agent
 * package, so the same settings work here and in the standalone `flotilla-agent`.
 */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { CliError } from '../errors.js';

/** Adds `agent`, whose own flags are parsed by the agent when it runs. */
export function registerAgentCommand(program: Command, context: CliContext): void {
  program
    .command('agent')
    .description('run the device agent on this machine (see: flotilla agent --help)')
    .helpOption(false)
    .allowUnknownOption()
    .argument('[settings...]', 'settings as flags; see flotilla agent --help')
    .action(async (argv: string[]) => {
      const { agentMain } = await import('@flotilla/agent');
      const status = await agentMain(argv, { env: context.env as Record<string, string | undefined>, stdout: process.stdout, stderr: process.stderr });
      // The agent printed its own message; the status carries the kind of failure to systemd.
      if (status !== 0) throw new CliError('', null, status);
    });
}
