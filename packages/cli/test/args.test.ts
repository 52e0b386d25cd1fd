import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseDuration, parseJsonObject, parseLabel, parseLabelChanges, parseLabels, parseList, parsePositiveInteger, parseRole, parseServerUrl, parseTimeOption } from '../src/args.js';
import { CliError, EXIT_USAGE } from '../src/errors.js';

/** Asserts that `run` throws a usage error (exit 2) whose message contains `fragment`. */
function assertUsageError(run: () => unknown, fragment: string): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof CliError, `expected a CliError, got ${String(error)}`);
    assert.equal(error.exitCode, EXIT_USAGE);
    assert.ok(error.message.includes(fragment), `"${error.message}" should mention "${fragment}"`);
    return true;
  });
}

describe('labels', () => {
  test('key=value splits at the first =, and an empty value is allowed', () => {
    assert.deepEqual(parseLabel('site=oslo'), ['site', 'oslo']);
    assert.deepEqual(parseLabel('example.com/role='), ['example.com/role', '']);
    assertUsageError(() => parseLabel('url=a=b'), 'label value "a=b"');
  });

  test('a label without = or without key is refused, quoting the input', () => {
    assertUsageError(() => parseLabel('site'), 'malformed label "site": expected key=value');
    assertUsageError(() => parseLabel('=oslo'), 'malformed label "=oslo"');
  });

  test('keys and values follow the label rules of the protocol', () => {
    assertUsageError(() => parseLabel('-site=oslo'), 'label key "-site"');
    assertUsageError(() => parseLabel('site=os lo'), 'label value "os lo"');
    assertUsageError(() => parseLabel(`site=${'x'.repeat(64)}`), 'at most 63');
  });

  test('repeated labels become one object; a key given twice is a mistake', () => {
    assert.deepEqual(parseLabels(['site=oslo', 'role=gateway']), { site: 'oslo', role: 'gateway' });
    assert.deepEqual(parseLabels([]), {});
    assertUsageError(() => parseLabels(['site=oslo', 'site=bergen']), 'label "site" is given twice');
  });

  test('label changes: key=value sets, key- removes (as null), in the style of kubectl', () => {
    assert.deepEqual(parseLabelChanges(['site=oslo', 'retired-', 'tier=']), { site: 'oslo', retired: null, tier: '' });
    // A value may end with - ; only a bare key- removes.
    assert.deepEqual(parseLabelChanges(['name=a-']), { name: 'a-' });
  });

  test('malformed label changes are refused', () => {
    assertUsageError(() => parseLabelChanges([]), 'at least one change');
    assertUsageError(() => parseLabelChanges(['site']), 'malformed label change "site"');
    assertUsageError(() => parseLabelChanges(['-']), 'malformed label removal "-"');
    assertUsageError(() => parseLabelChanges(['site=oslo', 'site-']), 'label "site" is changed twice');
  });
});

describe('durations', () => {
  test('a number and a unit become seconds', () => {
    assert.equal(parseDuration('90s'), 90);
    assert.equal(parseDuration('15m'), 900);
    assert.equal(parseDuration('24h'), 86_400);
    assert.equal(parseDuration('30d'), 2_592_000);
    assert.equal(parseDuration('2w'), 1_209_600);
  });

  test('no unit, an unknown unit, zero, fractions and negatives are refused', () => {
    for (const text of ['30', '30y', '0d', '1.5h', '-1d', '', 'd']) {
      assertUsageError(() => parseDuration(text), `malformed duration "${text}"`);
    }
  });
});

describe('other values', () => {
  test('positive integers within a range', () => {
    assert.equal(parsePositiveInteger('7', '--max-uses'), 7);
    assertUsageError(() => parsePositiveInteger('0', '--max-uses'), '--max-uses must be a whole number');
    assertUsageError(() => parsePositiveInteger('3.5', '--count'), 'not "3.5"');
    assertUsageError(() => parsePositiveInteger('501', '--limit', 500), 'from 1 to 500');
    assertUsageError(() => parsePositiveInteger('ten', '--limit', 500), 'not "ten"');
  });

  test('roles are the protocol roles', () => {
    assert.equal(parseRole('operator'), 'operator');
    assertUsageError(() => parseRole('root'), 'unknown role "root": expected viewer, operator, admin');
  });

  test('metadata must be a JSON object', () => {
    assert.deepEqual(parseJsonObject('{"rack":4,"tags":["a"]}', '--metadata'), { rack: 4, tags: ['a'] });
    assertUsageError(() => parseJsonObject('{rack:4}', '--metadata'), '--metadata is not valid JSON');
    assertUsageError(() => parseJsonObject('[1]', '--metadata'), '--metadata must be a JSON object');
    assertUsageError(() => parseJsonObject('null', '--metadata'), '--metadata must be a JSON object');
  });

  test('server addresses are http(s) URLs, kept without a trailing slash', () => {
    assert.equal(parseServerUrl('http://localhost:8080/'), 'http://localhost:8080');
    assert.equal(parseServerUrl('https://fleet.example.com/flotilla/'), 'https://fleet.example.com/flotilla');
    assertUsageError(() => parseServerUrl('localhost:8080'), 'must start with http:// or https://');
    assertUsageError(() => parseServerUrl('not a url'), 'malformed server address');
    assertUsageError(() => parseServerUrl('http://host/?x=1'), 'must not carry a query');
  });
});

describe('times and lists', () => {
  const now = Date.parse('2025-01-15T12:00:00Z');

  test('a duration counts back from now; an ISO time or epoch milliseconds is taken as it is', () => {
    assert.equal(parseTimeOption('1h', '--from', now), now - 3_600_000);
    assert.equal(parseTimeOption('7d', '--from', now), now - 7 * 86_400_000);
    assert.equal(parseTimeOption('2025-01-15T11:30:00Z', '--from', now), Date.parse('2025-01-15T11:30:00Z'));
    assert.equal(parseTimeOption('1736899200000', '--to', now), 1736899200000);
  });

  test('anything else is refused, naming the option', () => {
    assertUsageError(() => parseTimeOption('yesterday', '--from', now), '--from must be a duration back from now');
    assertUsageError(() => parseTimeOption('0h', '--to', now), '--to must be');
    assertUsageError(() => parseTimeOption('2025-13-45', '--from', now), '"2025-13-45"');
  });

  test('a comma-separated list drops blanks and repeats', () => {
    assert.deepEqual(parseList('temp, hum,,temp'), ['temp', 'hum']);
  });
});
