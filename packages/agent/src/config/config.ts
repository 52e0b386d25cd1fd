/**
 * Builds the agent configuration from its four sources: flags win over environment variables,
 * which win over the config file, which wins over the defaults. Every error names the flag,
 * variable or file key and what is wrong with it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { AgentError } from '../errors.js';
import { agentSettings, configFileSetting, type AgentConfig, type AgentSetting } from './settings.js';
import { ValueError, type RawValue } from './values.js';

export { agentSettings, configFileSetting, defaultStateDir, type AgentConfig, type AgentSetting } from './settings.js';

/** The key a setting has in the config file: its flag in camelCase (`--metrics-interval` → `metricsInterval`). */
export function fileKeyOf(setting: Pick<AgentSetting, 'flag'>): string {
  return setting.flag.replace(/^--/, '').replace(/-([a-z])/g, (_match, letter: string) => letter.toUpperCase());
}

/** The config file's schema: every setting optional, nothing else allowed. */
export const AgentConfigFileSchema = Type.Object(
  Object.fromEntries(
    agentSettings.map((setting) => [
      fileKeyOf(setting),
      Type.Optional(setting.key === 'rebootCommand' ? Type.Union([Type.String(), Type.Array(Type.String())]) : Type.Union([Type.String(), Type.Number(), Type.Boolean()])),
    ]),
  ),
  { additionalProperties: false },
);

/** Where settings come from; flags are keyed by setting (`{ metricsIntervalMs: '10s' }`). */
export interface ConfigSources {
  flags?: Partial<Record<keyof AgentConfig, string>>;
  env?: Record<string, string | undefined>;
  /** `--config FILE`; when absent the variable, then the default places are tried. */
  configFile?: string;
}

/** Parses and validates the configuration; throws AgentError CONFIG_INVALID or CONFIG_FILE_UNREADABLE. */
export function loadAgentConfig({ flags = {}, env = {}, configFile }: ConfigSources = {}): Readonly<AgentConfig> {
  const stateDirSetting = agentSettings.find((setting) => setting.key === 'stateDir') as AgentSetting;
  const earlyStateDir = flags.stateDir ?? env[stateDirSetting.env] ?? null;
  const file = readConfigFile(configFile ?? env[configFileSetting.env] ?? null, earlyStateDir, configFile !== undefined ? configFileSetting.flag : configFileSetting.env);
  const config: Partial<Record<keyof AgentConfig, unknown>> = {};
  for (const setting of agentSettings) {
    const picked = pickRaw(setting, flags, env, file);
    if (picked === null) {
      config[setting.key] = null;
      continue;
    }
    try {
      config[setting.key] = setting.parse(picked.raw);
    } catch (error) {
      if (!(error instanceof ValueError)) throw error;
      throw new AgentError('CONFIG_INVALID', `${picked.source} ${JSON.stringify(picked.raw)} ${error.message}`);
    }
  }
  const result = config as AgentConfig;
  if (result.enrollToken !== null && result.claimCode !== null) {
    throw new AgentError('CONFIG_INVALID', '--enroll-token and --claim-code exclude each other: give one of them');
  }
  return Object.freeze(result);
}

interface ConfigFile {
  path: string;
  values: Record<string, RawValue | string[]>;
}

function pickRaw(setting: AgentSetting, flags: ConfigSources['flags'] & object, env: Record<string, string | undefined>, file: ConfigFile | null): { raw: RawValue; source: string } | null {
  const fromFlag = flags[setting.key];
  if (fromFlag !== undefined) return { raw: fromFlag, source: setting.flag };
  const fromEnv = env[setting.env];
  if (fromEnv !== undefined && fromEnv !== '') return { raw: fromEnv, source: setting.env };
  const key = fileKeyOf(setting);
  const fromFile = file?.values[key];
  if (fromFile !== undefined) {
    const raw = Array.isArray(fromFile) ? JSON.stringify(fromFile) : fromFile;
    return { raw, source: `${key} in ${file?.path}` };
  }
  if (setting.defaultValue === null) return null;
  return { raw: setting.defaultValue, source: `default of ${setting.flag}` };
}

/** Reads the file named, or the first default place that exists; null when there is none. */
function readConfigFile(named: string | null, stateDir: string | null, namedBy: string): ConfigFile | null {
  if (named !== null && named !== '') return parseConfigFile(resolve(named), namedBy);
  const candidates = [stateDir ? join(resolve(stateDir), 'agent.json') : null, '/etc/flotilla/agent.json'];
  for (const candidate of candidates) {
    if (candidate !== null && existsSync(candidate)) return parseConfigFile(candidate, 'default place');
  }
  return null;
}

function parseConfigFile(path: string, namedBy: string): ConfigFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new AgentError('CONFIG_FILE_UNREADABLE', `${path} (from ${namedBy}): ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let values: unknown;
  try {
    values = JSON.parse(text);
  } catch (error) {
    throw new AgentError('CONFIG_INVALID', `${path} is not JSON: ${(error as Error).message}`);
  }
  if (typeof values !== 'object' || values === null || Array.isArray(values)) throw new AgentError('CONFIG_INVALID', `${path} must hold a JSON object of settings`);
  const firstError = Value.Errors(AgentConfigFileSchema, values).First();
  if (firstError) {
    const key = firstError.path.replace(/^\//, '').split('/')[0] ?? '';
    const known = Object.hasOwn(AgentConfigFileSchema.properties, key);
    const reason = known ? `must be ${key === 'rebootCommand' ? 'a string or an array of strings' : 'a string, number or boolean'}` : `is not a setting (known: ${Object.keys(AgentConfigFileSchema.properties).join(', ')})`;
    throw new AgentError('CONFIG_INVALID', `${path}: key ${JSON.stringify(key)} ${reason}`);
  }
  return { path, values: values as ConfigFile['values'] };
}
