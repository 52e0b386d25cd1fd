/**
 * Label selectors as SQL over `device_labels`, the same text on both dialects: each requirement
 * becomes an EXISTS or NOT EXISTS subquery on the device row aliased `d`.
 */
// TODO(devices): share devices.repository's requirement SQL once it is exported; it is written
// for the unaliased `devices` table, these queries join it as `d`.
import type { LabelRequirement } from '@flotilla/protocol';
import type { ExpressionBuilder, Expression, SqlBool } from 'kysely';
import { parseRequirements } from '../devices/devices.service.js';
import type { Database } from '../store/schema.js';

type DevicesScope = ExpressionBuilder<Database & { d: Database['devices'] }, 'd'>;

/** Parses a selector as the device list does; a bad one answers INVALID_SELECTOR naming the bad part. */
export function parseSelectorOrThrow(selector: string | undefined): LabelRequirement[] {
  return parseRequirements(selector ?? '');
}

/** The condition that device `d` satisfies every requirement. */
export function selectorCondition(eb: DevicesScope, requirements: readonly LabelRequirement[]): Expression<SqlBool> {
  return eb.and(requirements.map((requirement) => requirementCondition(eb, requirement)));
}

function requirementCondition(eb: DevicesScope, { key, operator, values }: LabelRequirement): Expression<SqlBool> {
  let labels = eb
    .selectFrom('device_labels as l')
    .select('l.device_id')
    .whereRef('l.device_id', '=', 'd.id')
    .where('l.key', '=', key);
  if (operator !== 'exists' && operator !== 'notexists') labels = labels.where('l.value', 'in', values);
  const isPositive = operator === 'eq' || operator === 'in' || operator === 'exists';
  return isPositive ? eb.exists(labels) : eb.not(eb.exists(labels));
}
