import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseLabelLines, selectorProblem, sortedLabels } from './labels.js';

test('parses key=value lines, skipping blank lines and trimming spaces', () => {
  assert.deepEqual(parseLabelLines('site=oslo\n\n  role = gateway \r\nempty=\n'), {
    labels: { site: 'oslo', role: 'gateway', empty: '' },
    problems: [],
  });
});

test('reports every bad line with its number', () => {
  const parsed = parseLabelLines('site=oslo\nnot a label\n-bad=1\nsite=bergen\nok=has space');
  assert.equal(parsed.labels, null);
  assert.equal(parsed.problems.length, 4);
  assert.match(parsed.problems[0]!, /^line 2: write labels as key=value/);
  assert.match(parsed.problems[1]!, /^line 3: label key "-bad"/);
  assert.match(parsed.problems[2]!, /^line 4: label "site" is given twice/);
  assert.match(parsed.problems[3]!, /^line 5: label value "has space"/);
});

test('sorts labels by key for display', () => {
  assert.deepEqual(sortedLabels({ zone: 'a', site: 'oslo' }), [
    ['site', 'oslo'],
    ['zone', 'a'],
  ]);
});

test('a selector typed into a form is checked, an empty one choosing every device', () => {
  assert.equal(selectorProblem(''), null);
  assert.equal(selectorProblem('site=oslo,role!=gateway'), null);
  assert.match(selectorProblem('site=oslo,') ?? '', /empty requirement/);
  assert.match(selectorProblem('tier in (a') ?? '', /parentheses/);
});
