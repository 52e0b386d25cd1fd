/**
 * The agent's command line: one `--flag value` per setting (a boolean setting also takes the
 * bare flag), `--config FILE`, `--help` and `--version`. Parsed with node:util, so the bundled
 * agent carries no argument library.
 */
import { parseArgs } from 'node:util';
import { agentSettings, configFileSetting, type AgentConfig } from '../config/config.js';
import { AgentError } from '../errors.js';

/** What the command line asked for. */
export interface AgentArgs {
  flags: Partial<Record<keyof AgentConfig, string>>;
  configFile?: string;
  isHelp: boolean;
  isVersion: boolean;
}

const BOOLEAN_DEFAULTS = new Set(['true', 'false']);
const booleanFlags = new Set(agentSettings.filter((setting) => setting.defaultValue !== null && BOOLEAN_DEFAULTS.has(setting.defaultValue)).map((setting) => setting.flag));

/** Parses `argv` (without node and the script); throws AgentError CONFIG_INVALID naming a bad flag. */
export function parseAgentArgs(argv: readonly string[]): AgentArgs {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {
    config: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
    version: { type: 'boolean', short: 'V' },
  };
  for (const setting of agentSettings) options[setting.flag.slice(2)] = { type: 'string' };
  let parsed;
  try {
    parsed = parseArgs({ args: withBooleanValues(argv), options, allowPositionals: false, strict: true });
  } catch (error) {
    throw new AgentError('CONFIG_INVALID', `${(error as Error).message.replace(/\. To specify.*$/s, '')}; see flotilla-agent --help`);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  const flags: AgentArgs['flags'] = {};
  for (const setting of agentSettings) {
    const value = values[setting.flag.slice(2)];
    if (typeof value === 'string') flags[setting.key] = value;
  }
  return {
    flags,
    ...(typeof values.config === 'string' ? { configFile: values.config } : {}),
    isHelp: values.help === true,
    isVersion: values.version === true,
  };
}

// `--allow-shell` alone means `--allow-shell true`.
function withBooleanValues(argv: readonly string[]): string[] {
  const result: string[] = [];
  argv.forEach((argument, index) => {
    result.push(argument);
    const next = argv[index + 1];
    if (booleanFlags.has(argument) && (next === undefined || next.startsWith('--'))) result.push('true');
  });
  return result;
}

/** The text of `--help`: every setting with its variable, file key and default. */
export function agentHelp(): string {
  const lines = [
    'Usage: flotilla-agent [--setting value ...]',
    '       flotilla agent [--setting value ...]',
    '',
    'Runs the Flotilla agent on this device: enrolls once, then keeps a session with the server,',
    'sends metrics and inventory, buffers offline, runs commands and keeps apps in their desired state.',
    '',
    'Settings (flag, environment variable, default):',
  ];
  for (const setting of [...agentSettings, { flag: configFileSetting.flag, env: configFileSetting.env, defaultValue: null, description: configFileSetting.description }]) {
    const defaultText = setting.defaultValue === null ? '' : `, default ${setting.defaultValue}`;
    lines.push(`  ${setting.flag} <value>`.padEnd(30) + setting.description, `${''.padEnd(30)}env ${setting.env}${defaultText}`);
  }
  lines.push(
    '',
    'A flag wins over its variable, which wins over the config file (JSON, keys are the flags in',
    'camelCase: {"server": "http://…", "metricsInterval": "10s"}), which wins over the default.',
    'Without --server the agent finds the server by mDNS. See docs/agent.md.',
  );
  return `${lines.join('\n')}\n`;
}
