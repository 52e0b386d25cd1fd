#!/usr/bin/env node
// Bundles the agent into one file, dist/flotilla-agent.mjs, runnable with plain `node` (≥ 20):
// the form the install script downloads and the systemd unit runs. Pure JavaScript only, so
// the file works on any architecture (a Raspberry Pi as well as the machine that built it).
import { readFileSync } from 'node:fs';
import { build } from 'esbuild';

const packageDir = new URL('..', import.meta.url).pathname;
const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

await build({
  entryPoints: [`${packageDir}src/bin.ts`],
  outfile: `${packageDir}dist/flotilla-agent.mjs`,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  conditions: ['source'],
  minify: false,
  legalComments: 'none',
  define: { __FLOTILLA_AGENT_VERSION__: JSON.stringify(version) },
  // Some bundled CommonJS modules call require() on node built-ins; ESM output needs one.
  banner: { js: "import { createRequire as __flotillaCreateRequire } from 'node:module';\nconst require = __flotillaCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
console.log(`bundled ${packageDir}dist/flotilla-agent.mjs (agent ${version})`);
