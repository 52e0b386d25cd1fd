/**
 * Label selectors as SQL over `device_labels`, the same text on both dialects: each requirement
 * becomes an EXISTS or NOT EXISTS subquery on the device id it is given, so every query that
 * narrows devices (the device list, telemetry, bulk actions) shares one translation.
 */
import type { LabelRequirement } from '@flotilla/protocol';
import { sql, type RawBuilder, type SqlBool } from 'kysely';

/** The condition that the device whose id is `deviceId` (a column reference) satisfies every requirement. */
export function selectorSql(deviceId: RawBuilder<unknown>, requirements: readonly LabelRequirement[]): RawBuilder<SqlBool> {
  if (requirements.length === 0) return sql<SqlBool>`1 = 1`;
  return sql<SqlBool>`${sql.join(requirements.map((requirement) => requirementSql(deviceId, requirement)), sql` and `)}`;
}

function requirementSql(deviceId: RawBuilder<unknown>, { key, operator, values }: LabelRequirement): RawBuilder<SqlBool> {
  const valueTest = operator === 'exists' || operator === 'notexists' ? sql`` : sql` and sl.value in (${sql.join(values)})`;
  const subquery = sql`select 1 from device_labels sl where sl.device_id = ${deviceId} and sl.key = ${key}${valueTest}`;
  const isPositive = operator === 'eq' || operator === 'in' || operator === 'exists';
  return isPositive ? sql<SqlBool>`exists (${subquery})` : sql<SqlBool>`not exists (${subquery})`;
}
