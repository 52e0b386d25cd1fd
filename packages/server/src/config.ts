/**
 * Settings of `flotilla server`: each has a flag, an environment variable and a default, and is
 * parsed and validated once at start-up. A bad value stops start-up with one line naming it.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The validated, frozen configuration every part receives. */
export interface Config {
  dataDir: string;
  httpHost: string;
  httpPort: number;
  databaseUrl: string | null;
  setupToken: string | null;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  accessTokenTtlMs: number;
  refreshTokenTtlMs: number;
  bodyLimitBytes: number;
  loginRateLimitPerMinute: number;
  enrollRateLimitPerMinute: number;
  webDir: string | null;
  trustProxy: boolean;
  tlsCertFile: string | null;
  tlsKeyFile: string | null;
  shutdownTimeoutMs: number;
  mqttHost: string;
  /** 0 disables the TCP listener; MQTT over WebSocket at /mqtt stays. */
  mqttPort: number;
  mqttMaxPayloadBytes: number;
  mqttConnectRatePerSecond: number;
  liveBufferBytes: number;
  liveSlowClientTimeoutMs: number;
  /** 64 hex characters (or base64 of 32 bytes); null: a key file in the data directory. */
  secretKey: string | null;
  /** Mirror desired-state revisions as git commits in the data directory. */
  stateGit: boolean;
  commandSweepIntervalMs: number;
  /** Advertise the server on the local network by mDNS (`_flotilla._tcp`). */
  mdns: boolean;
  /** The advertised instance name; `flotilla-<host name>` when null. */
  mdnsName: string | null;
  /** The IPv4 address of the interface to advertise on; every interface when null. */
  mdnsInterface: string | null;
}

/** One setting: where it comes from and how its text becomes a value. */
export interface SettingDefinition {
  key: keyof Config;
  flag: string;
  env: string;
  defaultValue: string | null;
  description: string;
  parse(raw: string): Config[keyof Config];
}

/** Thrown for a bad setting; the message names the setting, its flag and its variable. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

class ValueError extends Error {}

const defaultWebDir = fileURLToPath(new URL('../../web/build', import.meta.url));

/** Every setting of the server, in the order `--help` lists them. */
export const settings: readonly SettingDefinition[] = Object.freeze([
  setting('dataDir', '--data-dir', 'FLOTILLA_DATA_DIR', './data', 'SQLite file, artifacts and history live here', (raw) => resolve(nonEmpty(raw))),
  setting('httpHost', '--http-host', 'FLOTILLA_HTTP_HOST', '0.0.0.0', 'address the REST API and dashboard listen on', nonEmpty),
  setting('httpPort', '--http-port', 'FLOTILLA_HTTP_PORT', '8080', 'port of the REST API and dashboard (0 picks a free one)', port),
  setting('databaseUrl', '--database-url', 'FLOTILLA_DATABASE_URL', null, 'postgres://… to use PostgreSQL instead of SQLite in the data directory', databaseUrl),
  setting('setupToken', '--setup-token', 'FLOTILLA_SETUP_TOKEN', null, 'one-time token that creates the first admin (random and printed when unset)', setupToken),
  setting('logLevel', '--log-level', 'FLOTILLA_LOG_LEVEL', 'info', 'fatal, error, warn, info, debug, trace or silent', logLevel),
  setting('accessTokenTtlMs', '--access-token-ttl', 'FLOTILLA_ACCESS_TOKEN_TTL', '15m', 'lifetime of a session access token', duration),
  setting('refreshTokenTtlMs', '--refresh-token-ttl', 'FLOTILLA_REFRESH_TOKEN_TTL', '30d', 'lifetime of a session refresh token', duration),
  setting('bodyLimitBytes', '--body-limit', 'FLOTILLA_BODY_LIMIT', '1mb', 'largest request body accepted', byteSize),
  setting('loginRateLimitPerMinute', '--login-rate-limit', 'FLOTILLA_LOGIN_RATE_LIMIT', '10', 'login attempts a minute per client address and per account', positiveInteger),
  setting('enrollRateLimitPerMinute', '--enroll-rate-limit', 'FLOTILLA_ENROLL_RATE_LIMIT', '60', 'device enrollments and device claims a minute per client address', positiveInteger),
  setting('webDir', '--web-dir', 'FLOTILLA_WEB_DIR', defaultWebDir, 'built dashboard to serve at / ("" serves none)', (raw) => (raw === '' ? null : resolve(raw))),
  setting('trustProxy', '--trust-proxy', 'FLOTILLA_TRUST_PROXY', 'false', 'take client addresses from X-Forwarded-For (behind a reverse proxy)', boolean),
  setting('tlsCertFile', '--tls-cert', 'FLOTILLA_TLS_CERT', null, 'PEM certificate file; with --tls-key serves HTTPS', (raw) => resolve(nonEmpty(raw))),
  setting('tlsKeyFile', '--tls-key', 'FLOTILLA_TLS_KEY', null, 'PEM private key file for --tls-cert', (raw) => resolve(nonEmpty(raw))),
  setting('shutdownTimeoutMs', '--shutdown-timeout', 'FLOTILLA_SHUTDOWN_TIMEOUT', '10s', 'how long in-flight requests may take to finish at shutdown', duration),
  setting('mqttHost', '--mqtt-host', 'FLOTILLA_MQTT_HOST', '0.0.0.0', 'address the embedded MQTT broker listens on', nonEmpty),
  setting('mqttPort', '--mqtt-port', 'FLOTILLA_MQTT_PORT', '1883', 'TCP port of the embedded MQTT broker (0 disables it; MQTT over WebSocket at /mqtt stays)', port),
  setting('mqttMaxPayloadBytes', '--mqtt-max-payload', 'FLOTILLA_MQTT_MAX_PAYLOAD', '256kb', 'largest MQTT message payload accepted; larger ones are dropped', byteSize),
  setting('mqttConnectRatePerSecond', '--mqtt-connect-rate', 'FLOTILLA_MQTT_CONNECT_RATE', '2000', 'MQTT connection attempts accepted a second; more are refused (server unavailable)', positiveInteger),
  setting('liveBufferBytes', '--live-buffer', 'FLOTILLA_LIVE_BUFFER', '1mb', 'unsent data a live WebSocket client may have before older messages are dropped', byteSize),
  setting('liveSlowClientTimeoutMs', '--live-slow-timeout', 'FLOTILLA_LIVE_SLOW_TIMEOUT', '30s', 'how long a live client may stay over its buffer before it is disconnected', duration),
  setting('secretKey', '--secret-key', 'FLOTILLA_SECRET_KEY', null, 'key that encrypts desired-state secrets: 64 hex characters (default: secret.key made in the data directory)', secretKey),
  setting('stateGit', '--state-git', 'FLOTILLA_STATE_GIT', 'true', 'keep a git history of desired state in <data dir>/state-history', boolean),
  setting('mdns', '--mdns', 'FLOTILLA_MDNS', 'true', 'advertise the server on the local network by mDNS (_flotilla._tcp), so agents find it', boolean),
  setting('mdnsName', '--mdns-name', 'FLOTILLA_MDNS_NAME', null, 'name advertised by mDNS (default flotilla-<host name>)', mdnsName),
  setting('mdnsInterface', '--mdns-interface', 'FLOTILLA_MDNS_INTERFACE', null, 'IPv4 address of the network interface to advertise on (default: all)', ipv4Address),
  setting('commandSweepIntervalMs', '--command-sweep-interval', 'FLOTILLA_COMMAND_SWEEP_INTERVAL', '5s', 'how often commands past their expiry or timeout are marked expired or failed', duration),
]);

function setting(
  key: keyof Config,
  flag: string,
  env: string,
  defaultValue: string | null,
  description: string,
  parse: (raw: string) => Config[keyof Config],
): SettingDefinition {
  return { key, flag, env, defaultValue, description, parse };
}

/** Where setting values come from: environment variables and flags already split by key. */
export interface ConfigSources {
  env?: Record<string, string | undefined>;
  flags?: Partial<Record<keyof Config, string>>;
}

/**
 * Builds the configuration: a flag wins over its variable, which wins over the default.
 * Throws ConfigError naming the first bad setting.
 */
export function parseConfig({ env = {}, flags = {} }: ConfigSources = {}): Readonly<Config> {
  const config: Partial<Record<keyof Config, unknown>> = {};
  for (const definition of settings) {
    const fromFlag = flags[definition.key];
    const fromEnv = env[definition.env];
    const raw = fromFlag ?? fromEnv ?? definition.defaultValue;
    if (raw === null || raw === undefined) {
      config[definition.key] = null;
      continue;
    }
    try {
      config[definition.key] = definition.parse(raw);
    } catch (error) {
      const source = fromFlag !== undefined ? definition.flag : fromEnv !== undefined ? definition.env : 'default';
      const reason = error instanceof Error ? error.message : String(error);
      throw new ConfigError(`invalid ${definition.env} (${definition.flag}) "${raw}" from ${source}: ${reason}`);
    }
  }
  const result = config as Config;
  if ((result.tlsCertFile === null) !== (result.tlsKeyFile === null)) {
    throw new ConfigError('FLOTILLA_TLS_CERT (--tls-cert) and FLOTILLA_TLS_KEY (--tls-key) must be set together');
  }
  return Object.freeze(result);
}

function nonEmpty(raw: string): string {
  if (raw.trim() === '') throw new ValueError('must not be empty');
  return raw.trim();
}

function port(raw: string): number {
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || value > 65535) throw new ValueError('must be a port number from 0 to 65535');
  return value;
}

function positiveInteger(raw: string): number {
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || value < 1) throw new ValueError('must be a whole number of 1 or more');
  return value;
}

function mdnsName(raw: string): string {
  const value = nonEmpty(raw);
  // DNS-SD instance names are one DNS label of UTF-8: at most 63 bytes, no dots or control characters.
  if (new TextEncoder().encode(value).length > 63 || /[.\u0000-\u001f]/.test(value)) throw new ValueError('must be at most 63 bytes, without dots or control characters');
  return value;
}

function ipv4Address(raw: string): string {
  const value = nonEmpty(raw);
  const parts = value.split('.');
  if (parts.length !== 4 || parts.some((part) => !/^\d{1,3}$/.test(part) || Number(part) > 255)) throw new ValueError('must be an IPv4 address such as 192.168.1.10');
  return value;
}

function boolean(raw: string): boolean {
  const value = raw.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(value)) return true;
  if (['false', '0', 'no', 'off', ''].includes(value)) return false;
  throw new ValueError('must be true or false');
}

const levels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
function logLevel(raw: string): Config['logLevel'] {
  const value = raw.trim().toLowerCase();
  const level = levels.find((candidate) => candidate === value);
  if (!level) throw new ValueError(`must be one of ${levels.join(', ')}`);
  return level;
}

function databaseUrl(raw: string): string | null {
  if (raw.trim() === '') return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ValueError('must be a URL such as postgres://user@host:5432/flotilla');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ValueError('must start with postgres:// (SQLite needs no URL: leave it unset)');
  }
  return raw;
}

function setupToken(raw: string): string | null {
  if (raw === '') return null;
  if (raw.length < 16) throw new ValueError('must be at least 16 characters');
  return raw;
}

function secretKey(raw: string): string | null {
  if (raw.trim() === '') return null;
  const value = raw.trim();
  const isHex = /^[0-9a-fA-F]{64}$/.test(value);
  const isBase64 = /^[A-Za-z0-9+/_-]{43}=?$/.test(value) && Buffer.from(value, 'base64').length === 32;
  if (!isHex && !isBase64) throw new ValueError('must be 32 bytes as 64 hex characters or base64 (openssl rand -hex 32)');
  return value;
}

const durationUnits: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses `500ms`, `10s`, `15m`, `12h`, `30d` into milliseconds. */
export function parseDuration(raw: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/.exec(raw.trim());
  if (!match) throw new ValueError('must be a duration such as 500ms, 10s, 15m, 12h or 30d');
  return Math.round(Number(match[1]) * (durationUnits[match[2] as string] as number));
}

function duration(raw: string): number {
  const value = parseDuration(raw);
  if (value <= 0) throw new ValueError('must be longer than zero');
  return value;
}

const sizeUnits: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };
function byteSize(raw: string): number {
  const match = /^(\d+)\s*(b|kb|mb|gb)?$/i.exec(raw.trim());
  if (!match) throw new ValueError('must be a size such as 512kb or 1mb');
  const value = Number(match[1]) * (sizeUnits[(match[2] ?? 'b').toLowerCase()] as number);
  if (value < 1024) throw new ValueError('must be at least 1kb');
  return value;
}
