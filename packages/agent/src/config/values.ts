/** Parsers of setting values given as text (flags, environment) or JSON (the config file). */

/** Thrown by a parser; the caller adds which setting and where it came from. */
export class ValueError extends Error {}

/** A raw setting value: text from a flag or variable, or a JSON scalar from the config file. */
export type RawValue = string | number | boolean;

const durationUnits: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses `500ms`, `10s`, `5m`, `12h`, `30d` (a bare number in the config file is milliseconds). */
export function parseDuration(raw: RawValue): number {
  if (typeof raw === 'number') {
    if (!Number.isFinite(raw) || raw <= 0) throw new ValueError('must be a duration longer than zero');
    return Math.round(raw);
  }
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/.exec(String(raw).trim());
  if (!match) throw new ValueError('must be a duration such as 500ms, 10s, 5m, 12h or 30d');
  const value = Math.round(Number(match[1]) * (durationUnits[match[2] as string] as number));
  if (value <= 0) throw new ValueError('must be longer than zero');
  return value;
}

const sizeUnits: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };

/** Parses `512kb`, `64mb`, `1gb` or a number of bytes. */
export function parseByteSize(raw: RawValue): number {
  const match = /^(\d+)\s*(b|kb|mb|gb)?$/i.exec(String(raw).trim());
  if (!match) throw new ValueError('must be a size such as 512kb, 64mb or 1gb');
  const value = Number(match[1]) * (sizeUnits[(match[2] ?? 'b').toLowerCase()] as number);
  if (value < 64 * 1024) throw new ValueError('must be at least 64kb');
  return value;
}

/** Parses true/false, yes/no, on/off, 1/0. */
export function parseBoolean(raw: RawValue): boolean {
  if (typeof raw === 'boolean') return raw;
  const value = String(raw).trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(value)) return true;
  if (['false', '0', 'no', 'off'].includes(value)) return false;
  throw new ValueError('must be true or false');
}

/** Parses a TCP port, 0 to 65535 (0 picks a free one). */
export function parsePort(raw: RawValue): number {
  const text = String(raw).trim();
  const value = Number(text);
  if (!/^\d+$/.test(text) || value > 65535) throw new ValueError('must be a port number from 0 to 65535');
  return value;
}

/** A non-empty string, trimmed. */
export function parseText(raw: RawValue): string {
  if (typeof raw !== 'string') throw new ValueError('must be a string');
  const value = raw.trim();
  if (value === '') throw new ValueError('must not be empty');
  return value;
}

/** An http(s) URL of the server, without a trailing slash. */
export function parseServerUrl(raw: RawValue): string {
  const text = parseText(raw);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ValueError('must be a URL such as http://flotilla.local:8080');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ValueError('must start with http:// or https://');
  return url.toString().replace(/\/+$/, '');
}

/** An mqtt(s):// or ws(s):// URL of the broker. */
export function parseMqttUrl(raw: RawValue): string {
  const text = parseText(raw);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ValueError('must be a URL such as mqtt://flotilla.local:1883');
  }
  if (!['mqtt:', 'mqtts:', 'ws:', 'wss:'].includes(url.protocol)) throw new ValueError('must start with mqtt://, mqtts://, ws:// or wss://');
  return text;
}

/** One of a fixed set of words. */
export function oneOf<const Word extends string>(words: readonly Word[]): (raw: RawValue) => Word {
  return (raw) => {
    const value = String(raw).trim().toLowerCase();
    const word = words.find((candidate) => candidate === value);
    if (!word) throw new ValueError(`must be one of ${words.join(', ')}`);
    return word;
  };
}

/** A command line as a JSON array of strings, or text split on spaces. */
export function parseCommandLine(raw: RawValue): string[] {
  const text = parseText(raw);
  if (text.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new ValueError('must be a JSON array of strings or words separated by spaces');
    }
    if (!Array.isArray(parsed) || parsed.length === 0 || !parsed.every((word) => typeof word === 'string' && word !== '')) {
      throw new ValueError('must be a non-empty JSON array of strings');
    }
    return parsed as string[];
  }
  return text.split(/\s+/);
}

/** An IPv4 address such as 192.168.1.10. */
export function parseIpv4(raw: RawValue): string {
  const text = parseText(raw);
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((part) => /^\d{1,3}$/.test(part) && Number(part) <= 255)) throw new ValueError('must be an IPv4 address such as 192.168.1.10');
  return text;
}
