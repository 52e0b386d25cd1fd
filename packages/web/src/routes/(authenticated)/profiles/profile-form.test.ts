import assert from 'node:assert/strict';
import { test } from 'node:test';
import { profileNameProblem, readPriority } from './profile-form.js';

test('profile names and priorities are checked as they are typed', () => {
  assert.equal(profileNameProblem('oslo-base'), null);
  assert.match(profileNameProblem('-oslo') ?? '', /starting with a letter or digit/);
  assert.match(profileNameProblem('') ?? '', /name/);
  assert.deepEqual(readPriority('10'), { priority: 10, problem: null });
  assert.deepEqual(readPriority('-5'), { priority: -5, problem: null });
  assert.equal(readPriority('1.5').problem, 'A whole number; higher wins.');
  assert.match(readPriority('2000000').problem ?? '', /Between/);
});
