/**
 * How a telemetry value sits in its row: numbers and booleans in `value_num` (so aggregates run
 * on both), strings and JSON in `value_text`, and `value_type` saying which it was.
 */
import type { TelemetryValue } from '@flotilla/protocol';

/** The `value_type` tag of a stored point. Zero is the common case: SQLite stores it in no bytes. */
export const ValueType = { number: 0, boolean: 1, string: 2, json: 3 } as const;

/** The value columns of one point. */
export interface EncodedValue {
  num: number | null;
  text: string | null;
  type: number;
}

/** Splits a value into its columns. */
export function encodeValue(value: TelemetryValue): EncodedValue {
  switch (typeof value) {
    case 'number':
      return { num: value, text: null, type: ValueType.number };
    case 'boolean':
      return { num: value ? 1 : 0, text: null, type: ValueType.boolean };
    case 'string':
      return { num: null, text: value, type: ValueType.string };
    default:
      return { num: null, text: JSON.stringify(value), type: ValueType.json };
  }
}

/** Rebuilds a value from its columns. A corrupt JSON column reads as its text. */
export function decodeValue(num: number | null, text: string | null, type: number): TelemetryValue {
  switch (type) {
    case ValueType.number:
      return Number(num);
    case ValueType.boolean:
      return Number(num) !== 0;
    case ValueType.string:
      return text ?? '';
    default:
      try {
        return JSON.parse(text ?? 'null') as TelemetryValue;
      } catch {
        return text ?? '';
      }
  }
}
