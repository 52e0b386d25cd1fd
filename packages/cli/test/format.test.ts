import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatDetails, formatLabels, formatRelative, formatTable, formatTimestamp, type Column } from '../src/format.js';

interface Row {
  name: string;
  site: string;
  note: string;
}

const columns: Column<Row>[] = [
  { heading: 'name', cell: (row) => row.name },
  { heading: 'site', cell: (row) => row.site },
  { heading: 'note', cell: (row) => row.note },
];

describe('tables', () => {
  test('columns line up under upper-case headings, two spaces apart', () => {
    const table = formatTable(columns, [
      { name: 'kitchen-pi', site: 'home', note: 'first' },
      { name: 'gw', site: 'oslo-harbour', note: 'x' },
    ]);
    assert.equal(table, ['NAME        SITE          NOTE', 'kitchen-pi  home          first', 'gw          oslo-harbour  x'].join('\n'));
  });

  test('no line ends in spaces, even when the last cell is empty', () => {
    const table = formatTable(columns, [{ name: 'a', site: 'b', note: '' }]);
    for (const line of table.split('\n')) assert.equal(line, line.trimEnd());
  });

  test('accented names take one column per character', () => {
    const table = formatTable(columns.slice(0, 2), [
      { name: 'Tromsø', site: 'north', note: '' },
      { name: 'Oslo', site: 'south', note: '' },
    ]);
    const [, first, second] = table.split('\n');
    assert.equal(first?.indexOf('north'), second?.indexOf('south'));
  });

  test('a newline or tab inside a cell cannot break the grid', () => {
    const table = formatTable(columns, [{ name: 'a\nb', site: 'c\td', note: 'e' }]);
    assert.equal(table.split('\n').length, 2);
    assert.match(table, /a b {2,}c d {2,}e/);
  });

  test('a table without rows is just the headings', () => {
    assert.equal(formatTable(columns, []), 'NAME  SITE  NOTE');
  });
});

describe('details', () => {
  test('values align after their labels; a value of several lines stays indented', () => {
    const text = formatDetails([
      ['id', 'dev_1'],
      ['metadata', '{\n  "rack": 4\n}'],
    ]);
    assert.equal(text, ['id:       dev_1', 'metadata: {', '            "rack": 4', '          }'].join('\n'));
  });
});

describe('times and labels', () => {
  const now = Date.parse('2026-05-01T12:00:00Z');

  test('past and future times read like kubectl ages', () => {
    assert.equal(formatRelative('2026-05-01T11:59:15Z', now), '45s ago');
    assert.equal(formatRelative('2026-05-01T11:57:00Z', now), '3m ago');
    assert.equal(formatRelative('2026-05-01T07:00:00Z', now), '5h ago');
    assert.equal(formatRelative('2026-04-29T12:00:00Z', now), '2d ago');
    assert.equal(formatRelative('2026-05-31T12:00:00Z', now), 'in 30d');
    assert.equal(formatRelative('2026-05-01T12:00:00.500Z', now), 'just now');
    // A lifetime just begun reads as given, not one unit less.
    assert.equal(formatRelative('2026-05-31T11:59:58Z', now), 'in 30d');
    assert.equal(formatRelative('2026-05-02T11:59:58Z', now), 'in 24h');
  });

  test('a missing time is a dash; an unreadable one is shown as it is', () => {
    assert.equal(formatRelative(null, now), '-');
    assert.equal(formatRelative('yesterday', now), 'yesterday');
    assert.equal(formatTimestamp(null, now), '-');
    assert.equal(formatTimestamp('2026-05-01T11:57:00.000Z', now), '2026-05-01T11:57:00.000Z (3m ago)');
  });

  test('labels print sorted by key, or a dash when there are none', () => {
    assert.equal(formatLabels({ site: 'oslo', role: 'gateway' }), 'role=gateway,site=oslo');
    assert.equal(formatLabels({}), '-');
  });
});
