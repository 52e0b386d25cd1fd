/**
 * Schemas of the telemetry REST API (queries, latest values, retention, the HTTP device route),
 * shared by the server, the CLI and the dashboard. Times in telemetry answers are epoch
 * milliseconds, as devices send them and as charts want them.
 */
import { Type, type Static } from '@sinclair/typebox';
import { PageSchema } from './api.js';

/** A stored value: number, boolean, string, or a JSON object or array. */
export const TelemetryValueSchema = Type.Unknown({ description: 'number, boolean, string, or a JSON object or array' });

/** Epoch milliseconds. */
export const EpochMs = Type.Integer({ description: 'epoch milliseconds' });

/** One raw point. */
export const TelemetryPointItemSchema = Type.Object({ key: Type.String(), ts: EpochMs, value: TelemetryValueSchema });
export type TelemetryPointItem = Static<typeof TelemetryPointItemSchema>;

/** A page of raw points, ordered by time then key. */
export const TelemetryPointPageSchema = PageSchema(TelemetryPointItemSchema);

/** Names of the aggregate functions. */
export const TELEMETRY_AGGREGATES = ['avg', 'min', 'max', 'sum', 'count', 'first', 'last'] as const;

/** Names of the bucket sizes. */
export const TELEMETRY_BUCKETS = ['1m', '5m', '15m', '1h', '6h', '1d', 'auto'] as const;

// A string enum rather than a union of literals: one clear error (`must be one of …`) instead of one per literal.
function stringEnum<T extends string>(values: readonly T[], description: string) {
  return Type.Unsafe<T>({ type: 'string', enum: [...values], description });
}

/** Aggregate functions. */
export const TelemetryAggregateSchema = stringEnum(
  TELEMETRY_AGGREGATES,
  'avg, min, max and sum of numeric and boolean values; count of all points; first and last numeric value',
);

/** Bucket sizes. */
export const TelemetryBucketSchema = stringEnum(TELEMETRY_BUCKETS, 'bucket size; auto picks one giving 100 to 500 buckets over the range');

/** One non-empty bucket: its start and the aggregate of its points. */
export const TelemetryBucketValueSchema = Type.Object({ ts: EpochMs, value: Type.Number() });

/** Aggregated series of one device. */
export const TelemetryAggregateReplySchema = Type.Object({
  deviceId: Type.String(),
  agg: TelemetryAggregateSchema,
  bucketMs: Type.Integer({ description: 'the bucket size used, in milliseconds' }),
  from: EpochMs,
  to: EpochMs,
  series: Type.Array(Type.Object({ key: Type.String(), points: Type.Array(TelemetryBucketValueSchema) })),
});
export type TelemetryAggregateReply = Static<typeof TelemetryAggregateReplySchema>;

/** The latest values of one device. */
export const TelemetryLatestItemSchema = Type.Object({
  deviceId: Type.String(),
  name: Type.String(),
  values: Type.Record(Type.String(), Type.Object({ ts: EpochMs, value: TelemetryValueSchema })),
});
export type TelemetryLatestItem = Static<typeof TelemetryLatestItemSchema>;

/** A page of devices with their latest values. */
export const TelemetryLatestPageSchema = PageSchema(TelemetryLatestItemSchema);

/** `POST /telemetry/query`: several devices (ids or a selector) × several keys × one aggregate. */
export const TelemetryQueryBodySchema = Type.Object(
  {
    deviceIds: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { minItems: 1, maxItems: 100, uniqueItems: true })),
    selector: Type.Optional(Type.String({ maxLength: 1000, description: 'label selector, e.g. site=oslo,role!=gateway' })),
    keys: Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { minItems: 1, maxItems: 20, uniqueItems: true }),
    from: Type.Optional(Type.Union([Type.String({ maxLength: 40 }), Type.Integer()], { description: 'ISO 8601 or epoch ms; default: a day before to' })),
    to: Type.Optional(Type.Union([Type.String({ maxLength: 40 }), Type.Integer()], { description: 'ISO 8601 or epoch ms; default: now' })),
    agg: TelemetryAggregateSchema,
    bucket: Type.Optional(TelemetryBucketSchema),
  },
  { additionalProperties: false },
);
export type TelemetryQueryBody = Static<typeof TelemetryQueryBodySchema>;

/** The answer of `POST /telemetry/query`. */
export const TelemetryQueryReplySchema = Type.Object({
  agg: TelemetryAggregateSchema,
  bucketMs: Type.Integer(),
  from: EpochMs,
  to: EpochMs,
  series: Type.Array(Type.Object({ deviceId: Type.String(), key: Type.String(), points: Type.Array(TelemetryBucketValueSchema) })),
});
export type TelemetryQueryReply = Static<typeof TelemetryQueryReplySchema>;

/** A tenant's telemetry retention. */
export const TelemetryRetentionSchema = Type.Object(
  { days: Type.Integer({ minimum: 1, maximum: 3650, description: 'points older than this many days are deleted' }) },
  { additionalProperties: false },
);
export type TelemetryRetention = Static<typeof TelemetryRetentionSchema>;

/** What the device route answers once the points are stored. */
export const TelemetryAcceptedSchema = Type.Object({ accepted: Type.Integer({ description: 'points stored (a re-sent point counts but is kept once)' }) });

/** Payloads of a device that were refused. */
export const TelemetryRejectionsSchema = Type.Object({
  count: Type.Integer(),
  lastAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  lastReason: Type.Union([Type.String(), Type.Null()]),
});
