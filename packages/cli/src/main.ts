/** Runs one command line and turns whatever happens into an exit status. */
import { CommanderError } from 'commander';
import { createContext, type ContextOptions } from './context.js';
import { CliError, EXIT_FAILURE, EXIT_USAGE } from './errors.js';
import { createOutput, type Output } from './output.js';
import { createProgram } from './program.js';

/** Runs `flotilla <argv…>` and resolves with the exit status. */
export async function main(argv: readonly string[], options: Partial<ContextOptions> = {}): Promise<number> {
  const output = options.output ?? createOutput();
  try {
    const context = createContext({ ...options, output });
    // Only `server --help` knows the server's settings, so `help server` is sent there.
    const args = argv[0] === 'help' && argv[1] === 'server' ? ['server', '--help'] : [...argv];
    await createProgram(context).parseAsync(args, { from: 'user' });
    return 0;
  } catch (error) {
    return report(output, error, options.env ?? process.env);
  }
}

function report(output: Output, error: unknown, env: Readonly<Record<string, string | undefined>>): number {
  if (error instanceof CommanderError) {
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return 0;
    // Help shown because a command group was given without a command: the help is the message.
    if (error.code === 'commander.help') return EXIT_USAGE;
    output.error(new CliError(commanderMessage(error.message), 'USAGE', EXIT_USAGE));
    return EXIT_USAGE;
  }
  // An empty message: the command printed its own (the agent does), only its status is left.
  if (!(error instanceof CliError && error.message === '')) output.error(error);
  if (!(error instanceof CliError) && env.FLOTILLA_DEBUG && error instanceof Error && error.stack) output.note(error.stack);
  return error instanceof CliError ? error.exitCode : EXIT_FAILURE;
}

// "error: unknown command 'devcies'\n(Did you mean devices?)" → "unknown command 'devcies': did you mean devices?"
function commanderMessage(message: string): string {
  return message
    .replace(/^error: /, '')
    .replace(/\n\(Did you mean (.*)\)$/s, ': did you mean $1')
    .replace(/\s*\n\s*/g, ' ')
    .trim();
}
