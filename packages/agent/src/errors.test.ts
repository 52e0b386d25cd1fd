/** Every agent error code is documented. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { agentErrorCatalogue } from './errors.js';

test('every code of the agent error catalogue is listed in docs/agent-apps-and-commands.md', () => {
  const docs = readFileSync(new URL('../../../docs/agent-apps-and-commands.md', import.meta.url), 'utf8');
  const missing = Object.keys(agentErrorCatalogue).filter((code) => !docs.includes(`| \`${code}\` |`));
  assert.deepEqual(missing, []);
});
