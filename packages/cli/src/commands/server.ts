/**
 * `flotilla server`: runs the server. Its flags and help come from the server's own list of
 * settings, so a new setting shows up here without a change to the CLI.
 */
import { Command, Option } from 'commander';
import type { CliContext } from '../context.js';
import { CliError, EXIT_FAILURE, EXIT_USAGE } from '../errors.js';
import { routeThroughOutput } from './shared.js';

/** What the CLI needs of one server setting (see `settings` in @flotilla/server). */
export interface ServerSetting {
  key: string;
  flag: string;
  env: string;
  defaultValue: string | null;
  description: string;
}

/** Adds `server`, whose own flags are parsed only when it runs (loading the server is slow). */
export function registerServerCommand(program: Command, context: CliContext): void {
  program
    .command('server')
    .description('run the server (see: flotilla server --help)')
    .helpOption(false)
    .allowUnknownOption()
    .argument('[settings...]', 'settings as flags; see flotilla server --help')
    .action((argv: string[]) => runServerCommand(context, argv));
}

async function runServerCommand(context: CliContext, argv: string[]): Promise<void> {
  const server = await import('@flotilla/server');
  const command = buildServerCommand(server.settings, context);
  command.parse(argv, { from: 'user' });
  const flags = settingFlags(command, server.settings);
  let config: ReturnType<typeof server.parseConfig>;
  try {
    config = server.parseConfig({ env: context.env, flags });
  } catch (error) {
    if (error instanceof server.ConfigError) throw new CliError(error.message, null, EXIT_USAGE);
    throw error;
  }
  try {
    await server.runServer(config);
  } catch (error) {
    // Their messages already name the setting to change; a stack trace would only hide that.
    if (error instanceof server.ListenError || error instanceof server.StoreOpenError) throw new CliError(error.message, null, EXIT_FAILURE);
    throw error;
  }
}

/** The parser of `flotilla server`'s flags: one `--flag <value>` per setting. */
export function buildServerCommand(settings: readonly ServerSetting[], context: Pick<CliContext, 'output'>): Command {
  const command = new Command('flotilla server')
    .description('Run the Flotilla server: REST API, dashboard and device connections.')
    .usage('[--setting value ...]')
    .helpOption('-h, --help', 'show every setting, its environment variable and its default')
    .addHelpText(
      'after',
      '\nEvery setting can also be given by its environment variable. A flag wins over the variable, which wins over the default.',
    );
  routeThroughOutput(command, context.output);
  for (const setting of settings) {
    const defaultText = setting.defaultValue === null ? 'none' : setting.defaultValue === '' ? '""' : setting.defaultValue;
    command.addOption(new Option(`${setting.flag} <value>`, `${setting.description}\nenv ${setting.env}, default ${defaultText}`));
  }
  return command;
}

/** The flags given, keyed by setting (`--http-port 80` → `{ httpPort: '80' }`). */
export function settingFlags<Key extends string>(command: Command, settings: readonly (ServerSetting & { key: Key })[]): Partial<Record<Key, string>> {
  const given = command.opts<Record<string, string | undefined>>();
  const flags: Partial<Record<Key, string>> = {};
  for (const setting of settings) {
    const value = given[new Option(`${setting.flag} <value>`).attributeName()];
    if (value !== undefined) flags[setting.key] = value;
  }
  return flags;
}
