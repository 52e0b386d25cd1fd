import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatSelector, labelKeyProblem, labelValueProblem, matchesSelector, parseSelector, SelectorSyntaxError } from './selector.js';

describe('parseSelector', () => {
  test('parses every operator', () => {
    assert.deepEqual(parseSelector('site=oslo,role==gw,tier!=a,zone in (x, y),rack notin (1),retired,!spare'), [
      { key: 'site', operator: 'eq', values: ['oslo'] },
      { key: 'role', operator: 'eq', values: ['gw'] },
      { key: 'tier', operator: 'neq', values: ['a'] },
      { key: 'zone', operator: 'in', values: ['x', 'y'] },
      { key: 'rack', operator: 'notin', values: ['1'] },
      { key: 'retired', operator: 'exists', values: [] },
      { key: 'spare', operator: 'notexists', values: [] },
    ]);
  });

  test('an empty selector has no requirements and selects everything', () => {
    assert.deepEqual(parseSelector(''), []);
    assert.deepEqual(parseSelector('   '), []);
    assert.equal(matchesSelector({ any: 'thing' }, parseSelector('')), true);
  });

  test('tolerates spaces around operators and allows an empty value', () => {
    assert.deepEqual(parseSelector(' site = oslo , ! spare '), [
      { key: 'site', operator: 'eq', values: ['oslo'] },
      { key: 'spare', operator: 'notexists', values: [] },
    ]);
    assert.deepEqual(parseSelector('note='), [{ key: 'note', operator: 'eq', values: [''] }]);
    assert.deepEqual(parseSelector('k8s.io/zone=eu-1'), [{ key: 'k8s.io/zone', operator: 'eq', values: ['eu-1'] }]);
  });

  test('refuses malformed selectors with a message naming the bad part', () => {
    const cases: Array<[string, RegExp]> = [
      ['site in (oslo', /unbalanced/],
      ['site in oslo)', /unbalanced/],
      ['site in ((a))', /unbalanced/],
      ['site in ()', /"site in \(\)".*one or more values/],
      ['site in (a,,b)', /one or more values/],
      ['a=1,,b=2', /empty requirement/],
      ['a=1,', /empty requirement/],
      ['bad key=1', /"bad key=1"/],
      ['-lead=1', /label key "-lead"/],
      ['site=two words', /label value "two words"/],
      ['site=a=b', /label value "a=b"/],
      ['!', /label key ""/],
      ['!site=x', /label key "site=x"/],
      [`${'k'.repeat(64)}=v`, /label key/],
    ];
    for (const [selector, message] of cases) {
      assert.throws(
        () => parseSelector(selector),
        (error: unknown) => error instanceof SelectorSyntaxError && message.test(error.message) && error.selector === selector,
        selector,
      );
    }
  });
});

describe('matchesSelector', () => {
  const labels = { site: 'oslo', role: 'gateway', note: '' };
  const matches = (selector: string) => matchesSelector(labels, parseSelector(selector));

  test('equality and inequality; inequality includes devices without the key', () => {
    assert.equal(matches('site=oslo'), true);
    assert.equal(matches('site=bergen'), false);
    assert.equal(matches('site!=bergen'), true);
    assert.equal(matches('site!=oslo'), false);
    assert.equal(matches('tier!=a'), true);
    assert.equal(matches('tier=a'), false);
    assert.equal(matches('note='), true);
  });

  test('set membership; notin includes devices without the key', () => {
    assert.equal(matches('site in (bergen,oslo)'), true);
    assert.equal(matches('site in (bergen)'), false);
    assert.equal(matches('site notin (bergen)'), true);
    assert.equal(matches('site notin (oslo,bergen)'), false);
    assert.equal(matches('tier notin (a)'), true);
    assert.equal(matches('tier in (a)'), false);
  });

  test('existence, and every requirement must hold', () => {
    assert.equal(matches('role'), true);
    assert.equal(matches('tier'), false);
    assert.equal(matches('!tier'), true);
    assert.equal(matches('!role'), false);
    assert.equal(matches('site=oslo,role=gateway'), true);
    assert.equal(matches('site=oslo,role=sensor'), false);
  });

  test('inherited object properties are not labels', () => {
    assert.equal(matchesSelector({}, parseSelector('constructor')), false);
    assert.equal(matchesSelector({}, parseSelector('toString!=x')), true);
  });
});

describe('formatSelector', () => {
  test('round-trips to the same requirements', () => {
    for (const selector of ['site=oslo', 'site==oslo, role != gw', 'zone in ( x,y ),rack notin (1,2),retired,!spare', 'note=', '']) {
      const requirements = parseSelector(selector);
      assert.deepEqual(parseSelector(formatSelector(requirements)), requirements, selector);
    }
  });

  test('writes the canonical form', () => {
    assert.equal(formatSelector(parseSelector(' site == oslo ,zone in (x, y), ! spare')), 'site=oslo,zone in (x,y),!spare');
  });
});

describe('label checks', () => {
  test('name what is wrong, or null when fine', () => {
    assert.equal(labelKeyProblem('site'), null);
    assert.match(labelKeyProblem('_x') ?? '', /start with a letter or digit/);
    assert.equal(labelValueProblem(''), null);
    assert.match(labelValueProblem('a b') ?? '', /at most 63/);
  });
});
