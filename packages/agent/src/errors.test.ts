/** Every agent error code is documented. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { agentErrorCatalogue } from './errors.js';

test('every code of the agent error catalogue is listed in docs/agent.md or docs/agent-apps-and-commands.md', () => {
  const read = (name: string) => readFileSync(new URL(`../../../docs/${name}`, import.meta.url), 'utf8');
  const docs = read('agent.md') + read('agent-apps-and-commands.md');
  const missing = Object.keys(agentErrorCatalogue).filter((code) => !docs.includes(`| \`${code}\` |`));
  assert.deepEqual(missing, []);
});
