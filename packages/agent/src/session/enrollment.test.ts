import assert from 'node:assert/strict';
import { test } from 'node:test';
import { enrollmentName } from './enrollment.js';

test('a device enrolls under its configured name, else its host name made valid, else the server picks', () => {
  assert.equal(enrollmentName('kitchen', 'raspberrypi'), 'kitchen');
  assert.equal(enrollmentName(null, 'raspberrypi'), 'raspberrypi');
  assert.equal(enrollmentName(null, 'pi@garage!'), 'pi-garage');
  assert.equal(enrollmentName(null, '--'), null);
  assert.equal(enrollmentName(null, ''), null);
});
