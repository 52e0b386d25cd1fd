import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JsonObject } from '@flotilla/protocol';
import { pino } from 'pino';
import { createReportedState, mergePatch } from './reported-state.js';

/** A server document that applies RFC 7396 merge patches, slowly, one at a time. */
function fakeServerDocument() {
  const document: Record<string, unknown> = {};
  const apply = (target: Record<string, unknown>, patch: JsonObject) => {
    for (const [key, value] of Object.entries(patch)) {
      if (value === null) delete target[key];
      else if (typeof value === 'object' && !Array.isArray(value)) {
        const inner = typeof target[key] === 'object' && target[key] !== null ? (target[key] as Record<string, unknown>) : {};
        target[key] = inner;
        apply(inner, value);
      } else target[key] = value;
    }
  };
  return {
    document,
    send: async (patch: JsonObject) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      apply(document, patch);
    },
  };
}

describe('reported state', () => {
  it('makes a patch that removes vanished keys', () => {
    assert.deepEqual(mergePatch({ web: { state: 'running', pid: 4 } }, { web: { state: 'stopped' } }), { web: { pid: null, state: 'stopped' } });
    assert.deepEqual(mergePatch(undefined, { a: 1 }), { a: 1 });
  });

  it("ends with the server's document equal to the last values, however fast they change", async () => {
    const server = fakeServerDocument();
    const reported = createReportedState(server.send, () => true, pino({ level: 'silent' }));
    reported.set('apps', { web: { state: 'starting', restarts: 1 } });
    reported.set('apps', { web: { state: 'running', restarts: 1, pid: 7 } });
    await new Promise((resolve) => setTimeout(resolve, 5));
    reported.set('apps', { web: { state: 'backoff', restarts: 2 } });
    reported.set('inventory', { hostname: 'pi' });
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(server.document, { apps: { web: { state: 'backoff', restarts: 2 } }, inventory: { hostname: 'pi' } });
  });
});
