import { appError } from '../errors.js';

/** A keyset cursor's values: the sort column's value of the last row, then its id. */
export type CursorValues = [string | number | null, string];

/** Encodes the position after the last row of a page. */
export function encodeCursor(values: CursorValues): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

/** Decodes a cursor from `?cursor=`; anything not made by encodeCursor answers INVALID_CURSOR. */
export function decodeCursor(cursor: string): CursorValues {
  let values: unknown;
  try {
    values = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw appError('INVALID_CURSOR', 'query/cursor is not a cursor this server returned');
  }
  // Cursor values reach SQL: NUL is refused by PostgreSQL text, and 1e400 parses to Infinity.
  const isSafeValue = (value: unknown) => (typeof value === 'string' && !value.includes('\u0000')) || Number.isFinite(value);
  const isValid =
    Array.isArray(values) &&
    values.length === 2 &&
    (values[0] === null || isSafeValue(values[0])) &&
    typeof values[1] === 'string' &&
    isSafeValue(values[1]);
  if (!isValid) throw appError('INVALID_CURSOR', 'query/cursor is not a cursor this server returned');
  return values as CursorValues;
}

/** Splits `limit + 1` fetched rows into a page and the cursor of the next one. */
export function pageOf<Row, Item>(
  rows: Row[],
  limit: number,
  cursorOf: (row: Row) => CursorValues,
  toItem: (row: Row) => Item,
): { items: Item[]; nextCursor: string | null } {
  const hasMore = rows.length > limit;
  const pageRows = hasMore ? rows.slice(0, limit) : rows;
  const last = pageRows[pageRows.length - 1];
  return {
    items: pageRows.map(toItem),
    nextCursor: hasMore && last !== undefined ? encodeCursor(cursorOf(last)) : null,
  };
}
