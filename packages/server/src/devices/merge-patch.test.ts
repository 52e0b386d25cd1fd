import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyMergePatch, jsonDepth, mergeLabels } from './merge-patch.js';

test('applyMergePatch follows the examples of RFC 7386 appendix A', () => {
  const cases: Array<[unknown, unknown, unknown]> = [
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [['a', 'b'], ['c', 'd'], ['c', 'd']],
    [{ a: 'b' }, ['c'], ['c']],
    [{ a: 'foo' }, null, null],
    [{ a: 'foo' }, 'bar', 'bar'],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ];
  for (const [target, patch, result] of cases) assert.deepEqual(applyMergePatch(target, patch), result, JSON.stringify({ target, patch }));
});

test('applyMergePatch leaves its arguments alone and keeps __proto__ an ordinary key', () => {
  const target = { a: { b: 1 } };
  const patch = JSON.parse('{"a":{"c":2},"__proto__":{"polluted":true}}') as Record<string, unknown>;
  const result = applyMergePatch(target, patch) as Record<string, unknown>;
  assert.deepEqual(target, { a: { b: 1 } });
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.equal(Object.getPrototypeOf(result), Object.prototype);
  assert.ok(Object.hasOwn(result, '__proto__'));
});

test('mergeLabels sets, removes and sorts', () => {
  assert.deepEqual(Object.entries(mergeLabels({ z: '1', a: '2' }, { a: null, m: '3', z: '4' })), [
    ['m', '3'],
    ['z', '4'],
  ]);
});

test('jsonDepth counts nesting without recursion', () => {
  assert.equal(jsonDepth(1, 10), 0);
  assert.equal(jsonDepth({}, 10), 1);
  assert.equal(jsonDepth({ a: [{ b: 1 }] }, 10), 3);
  let deep: unknown = 0;
  for (let level = 0; level < 200_000; level++) deep = [deep];
  assert.equal(jsonDepth(deep, 32), 33);
});
