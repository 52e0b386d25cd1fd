#!/usr/bin/env node
// Bundles the CLI into one file, dist/flotilla.mjs, which bin/flotilla.js runs. Loading the
// modules one by one (TypeBox alone is some 250 files) made every command start slowly; one
// file starts in a fraction of the time (BENCHMARKS.md). The server and the agent stay outside:
// they are loaded only by `flotilla server` and `flotilla agent`, from their own packages.
import { build } from 'esbuild';

const packageDir = new URL('..', import.meta.url).pathname;

await build({
  entryPoints: [`${packageDir}src/bin.ts`],
  outfile: `${packageDir}dist/flotilla.mjs`,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  external: ['@flotilla/server', '@flotilla/agent'],
  legalComments: 'none',
  // Some bundled CommonJS modules call require() on node built-ins; ESM output needs one.
  banner: { js: "import { createRequire as __flotillaCreateRequire } from 'node:module';\nconst require = __flotillaCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
