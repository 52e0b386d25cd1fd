/** The built `flotilla` (bin/flotilla.js → dist/flotilla.mjs, one bundled file) runs as users run it. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { test } from 'node:test';

const bin = fileURLToPath(new URL('../bin/flotilla.js', import.meta.url));
const bundle = fileURLToPath(new URL('../dist/flotilla.mjs', import.meta.url));
const run = promisify(execFile);
const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('FLOTILLA_')));

test('the bundled executable prints its version, lists its commands and loads the server for server --help', async () => {
  assert.ok(existsSync(bundle), `${bundle} is missing: npm test builds it (npm run build)`);
  const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  assert.equal((await run(process.execPath, [bin, '--version'], { env })).stdout.trim(), version);
  const help = (await run(process.execPath, [bin, '--help'], { env })).stdout;
  for (const command of ['server', 'devices', 'telemetry', 'state', 'profiles', 'cmd', 'simulate']) assert.match(help, new RegExp(`^  ${command}\\b`, 'm'), `--help lists ${command}`);
  // The server stays outside the bundle and is loaded from its package when asked for.
  assert.match((await run(process.execPath, [bin, 'server', '--help'], { env })).stdout, /--data-dir <value>/);
});
