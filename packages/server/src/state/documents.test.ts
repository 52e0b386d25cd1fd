import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyStatePatch, canonicalJson, diffDocuments, documentHash, mergeLayers } from './documents.js';
import { createSecretBox, redactDocument, revealDocument, sealDocument } from './secrets.js';
import { topicMatches } from '../broker/acl.js';

const base = { type: 'profile' as const, id: 'prf_1', name: 'base' };
const site = { type: 'profile' as const, id: 'prf_2', name: 'site' };
const device = { type: 'device' as const };

test('layers merge deeply; lists and scalars are replaced; null removes; provenance names the layer', () => {
  const { document, provenance } = mergeLayers([
    { source: base, document: { settings: { interval: 10, ntp: ['a', 'b'], debug: true }, apps: { web: { command: 'web' } } } },
    { source: site, document: { settings: { ntp: ['c'], tz: 'Europe/Oslo' }, apps: { web: null } } },
    { source: device, document: { settings: { interval: 5, debug: null }, motd: 'hi' } },
  ]);
  assert.deepEqual(document, { settings: { interval: 5, ntp: ['c'], tz: 'Europe/Oslo' }, apps: {}, motd: 'hi' });
  assert.deepEqual(provenance, {
    '/settings/interval': device,
    '/settings/ntp': site,
    '/settings/tz': site,
    '/apps': base,
    '/motd': device,
  });
});

test('a scalar over an object and an object over a scalar replace, and provenance follows', () => {
  const { document, provenance } = mergeLayers([
    { source: base, document: { a: { b: 1, c: 2 }, x: 1 } },
    { source: device, document: { a: 3, x: { y: 'z' } } },
  ]);
  assert.deepEqual(document, { a: 3, x: { y: 'z' } });
  assert.deepEqual(provenance, { '/a': device, '/x/y': device });
});

test('keys with / and ~ are escaped in pointers; __proto__ stays an own key', () => {
  const layer = JSON.parse('{"files":{"/etc/motd":{"content":"x"}},"a~b":1,"__proto__":{"polluted":true}}');
  const { document, provenance } = mergeLayers([{ source: device, document: layer }]);
  assert.ok(Object.hasOwn(document, '__proto__'));
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.deepEqual(Object.keys(provenance).sort(), ['/__proto__/polluted', '/a~0b', '/files/~1etc~1motd/content']);
});

test('merge patches treat secrets as leaves', () => {
  const patched = applyStatePatch({ s: { $secret: { sealed: 'x' } }, keep: 1 }, { s: { other: 1 }, keep: null });
  assert.deepEqual(patched, { s: { other: 1 } });
});

test('a diff lists added, removed and changed paths', () => {
  assert.deepEqual(diffDocuments({ a: 1, b: { c: [1], d: 2 }, gone: true }, { a: 2, b: { c: [1], e: 3 }, new: { x: 1 } }), [
    { path: '/a', op: 'changed', from: 1, to: 2 },
    { path: '/b/d', op: 'removed', from: 2 },
    { path: '/b/e', op: 'added', to: 3 },
    { path: '/gone', op: 'removed', from: true },
    { path: '/new', op: 'added', to: { x: 1 } },
  ]);
});

test('equal documents hash equally whatever the key order', () => {
  assert.equal(documentHash({ a: 1, b: { c: 2, d: 3 } }), documentHash({ b: { d: 3, c: 2 }, a: 1 }));
  assert.equal(canonicalJson({ b: [2, { z: 1, y: 2 }], a: null }), '{"a":null,"b":[2,{"y":2,"z":1}]}');
});

test('secrets are sealed, kept with {"$secret":true}, redacted and revealed', () => {
  const box = createSecretBox(Buffer.alloc(32, 7));
  const sealed = sealDocument({ db: { password: { $secret: 's3cret' } }, list: [{ $secret: 'in a list' }] }, {}, box);
  assert.ok(!JSON.stringify(sealed).includes('s3cret'));
  assert.deepEqual(redactDocument(sealed), { db: { password: { $secret: true } }, list: [{ $secret: true }] });
  assert.deepEqual(revealDocument(sealed, box), { db: { password: 's3cret' }, list: ['in a list'] });
  const kept = sealDocument({ db: { password: { $secret: true }, user: 'app' } }, sealed, box);
  assert.deepEqual(revealDocument(kept, box), { db: { password: 's3cret', user: 'app' } });
  assert.throws(() => sealDocument({ other: { $secret: true } }, sealed, box), (error: { code?: string; detail?: string }) => error.code === 'STATE_SECRET_MISSING' && /body\/state\/other/.test(String(error.detail)));
  assert.throws(() => sealDocument({ x: { $secret: 's', extra: 1 } }, {}, box), (error: { code?: string }) => error.code === 'STATE_DOCUMENT_INVALID');
  assert.throws(() => revealDocument(sealed, createSecretBox(Buffer.alloc(32, 8))), 'another key cannot open them');
});

test('MQTT topic filters match as the specification says', () => {
  assert.ok(topicMatches('a/b/c', 'a/b/c'));
  assert.ok(topicMatches('a/+/c', 'a/b/c'));
  assert.ok(topicMatches('a/#', 'a/b/c'));
  assert.ok(topicMatches('#', 'a/b/c'));
  assert.ok(!topicMatches('a/+', 'a/b/c'));
  assert.ok(!topicMatches('a/b/c/d', 'a/b/c'));
  assert.ok(!topicMatches('a/x/c', 'a/b/c'));
});
