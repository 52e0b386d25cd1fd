/** The agent's version, reported in the inventory; the bundle replaces it at build time. */
import { readFileSync } from 'node:fs';

declare const __FLOTILLA_AGENT_VERSION__: string | undefined;

function readVersion(): string {
  if (typeof __FLOTILLA_AGENT_VERSION__ === 'string') return __FLOTILLA_AGENT_VERSION__;
  // src/ and dist/ both sit beside package.json.
  return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

export const AGENT_VERSION = readVersion();
