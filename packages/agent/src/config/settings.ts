/**
 * Every setting of the agent: its config-file key, flag, environment variable, default and
 * parser. The command line, `--help`, the config file schema and docs/agent.md follow this list.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  oneOf,
  parseBoolean,
  parseByteSize,
  parseCommandLine,
  parseDuration,
  parseMqttUrl,
  parsePort,
  parseServerUrl,
  parseIpv4,
  parseText,
  type RawValue,
} from './values.js';

/** The validated, frozen configuration the agent runs with. */
export interface AgentConfig {
  /** Null: find the server by mDNS. */
  server: string | null;
  /** Null: the broker the server names (or the server's host on port 1883). */
  mqttUrl: string | null;
  transport: 'auto' | 'mqtt' | 'http';
  enrollToken: string | null;
  claimCode: string | null;
  deviceName: string | null;
  stateDir: string;
  metricsIntervalMs: number;
  inventoryIntervalMs: number;
  discoveryTimeoutMs: number;
  /** IPv4 address of the interface mDNS searches on; null: the system's choice. */
  discoveryInterface: string | null;
  /** Only a server announced under this name; null: the first that answers. */
  discoveryName: string | null;
  queueMaxBytes: number;
  localApi: boolean;
  localApiPort: number;
  allowShell: boolean;
  allowReboot: boolean;
  rebootCommand: string[] | null;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

/** One setting: where it comes from and how a raw value becomes its value. */
export interface AgentSetting {
  key: keyof AgentConfig;
  flag: string;
  env: string;
  /** Null: unset unless given. */
  defaultValue: string | null;
  description: string;
  parse(raw: RawValue): AgentConfig[keyof AgentConfig];
}

/** Where the state directory is when none is given: system-wide for root, per user otherwise. */
export function defaultStateDir(isRoot = process.getuid?.() === 0): string {
  return isRoot ? '/var/lib/flotilla-agent' : join(homedir(), '.local', 'share', 'flotilla-agent');
}

const levels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Every setting, in the order `--help` and docs/agent.md list them. */
export const agentSettings: readonly AgentSetting[] = Object.freeze([
  setting('server', '--server', 'FLOTILLA_AGENT_SERVER', null, 'server URL (http://host:8080); unset: find it by mDNS on the local network', parseServerUrl),
  setting('mqttUrl', '--mqtt-url', 'FLOTILLA_AGENT_MQTT_URL', null, 'broker URL (mqtt://host:1883); default: where the server says its broker is', parseMqttUrl),
  setting('transport', '--transport', 'FLOTILLA_AGENT_TRANSPORT', 'auto', 'auto (MQTT, HTTP when MQTT is blocked), mqtt or http', oneOf(['auto', 'mqtt', 'http'] as const)),
  setting('enrollToken', '--enroll-token', 'FLOTILLA_AGENT_ENROLL_TOKEN', null, 'enrollment token used once to get device credentials', parseText),
  setting('claimCode', '--claim-code', 'FLOTILLA_AGENT_CLAIM_CODE', null, 'claim code used once instead of an enrollment token', parseText),
  setting('deviceName', '--device-name', 'FLOTILLA_AGENT_DEVICE_NAME', null, 'name asked for at enrollment (default: the host name)', parseText),
  setting('stateDir', '--state-dir', 'FLOTILLA_AGENT_STATE_DIR', defaultStateDir(), 'credentials, offline buffer and app directories', (raw) => resolve(parseText(raw))),
  setting('metricsIntervalMs', '--metrics-interval', 'FLOTILLA_AGENT_METRICS_INTERVAL', '30s', 'how often metrics are collected and sent', parseDuration),
  setting('inventoryIntervalMs', '--inventory-interval', 'FLOTILLA_AGENT_INVENTORY_INTERVAL', '10m', 'how often the inventory is checked for changes', parseDuration),
  setting('discoveryTimeoutMs', '--discovery-timeout', 'FLOTILLA_AGENT_DISCOVERY_TIMEOUT', '10s', 'how long one mDNS search waits for a server', parseDuration),
  setting('discoveryInterface', '--discovery-interface', 'FLOTILLA_AGENT_DISCOVERY_INTERFACE', null, 'IPv4 address of the network interface mDNS searches on', parseIpv4),
  setting('discoveryName', '--discovery-name', 'FLOTILLA_AGENT_DISCOVERY_NAME', null, 'only the server announced under this mDNS name', parseText),
  setting('queueMaxBytes', '--queue-max', 'FLOTILLA_AGENT_QUEUE_MAX', '64mb', 'size of the offline buffer; the oldest readings are dropped past it', parseByteSize),
  setting('localApi', '--local-api', 'FLOTILLA_AGENT_LOCAL_API', 'true', 'serve the local module API on 127.0.0.1', parseBoolean),
  setting('localApiPort', '--local-api-port', 'FLOTILLA_AGENT_LOCAL_API_PORT', '7017', 'port of the local module API (0 picks a free one)', parsePort),
  setting('allowShell', '--allow-shell', 'FLOTILLA_AGENT_ALLOW_SHELL', 'false', 'let the `shell` command run shell commands', parseBoolean),
  setting('allowReboot', '--allow-reboot', 'FLOTILLA_AGENT_ALLOW_REBOOT', 'false', 'let the `reboot` command reboot the device', parseBoolean),
  setting('rebootCommand', '--reboot-command', 'FLOTILLA_AGENT_REBOOT_COMMAND', null, 'command that reboots (default: systemctl reboot)', parseCommandLine),
  setting('logLevel', '--log-level', 'FLOTILLA_AGENT_LOG_LEVEL', 'info', levels.join(', '), oneOf(levels)),
]);

function setting(
  key: keyof AgentConfig,
  flag: string,
  env: string,
  defaultValue: string | null,
  description: string,
  parse: (raw: RawValue) => AgentConfig[keyof AgentConfig],
): AgentSetting {
  return { key, flag, env, defaultValue, description, parse };
}

/** The flag and variable naming the config file itself (it cannot be set from the file). */
export const configFileSetting = Object.freeze({ flag: '--config', env: 'FLOTILLA_AGENT_CONFIG', description: 'JSON config file (default: <state-dir>/agent.json, then /etc/flotilla/agent.json)' });
