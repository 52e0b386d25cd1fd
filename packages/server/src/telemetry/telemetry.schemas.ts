import {
  ProblemSchema,
  TelemetryAcceptedSchema,
  TelemetryAggregateReplySchema,
  TelemetryAggregateSchema,
  TelemetryBucketSchema,
  TelemetryLatestPageSchema,
  TelemetryPointPageSchema,
  TelemetryRejectionsSchema,
} from '@flotilla/protocol';
import { Type } from '@sinclair/typebox';

const Time = (description: string) =>
  Type.String({ maxLength: 40, description: `${description}: ISO 8601 (2025-01-31T12:00:00Z) or epoch milliseconds` });
const Keys = Type.String({ maxLength: 2000, description: 'comma-separated keys, e.g. temp,humidity; default: every key' });

/** `:id` of a device. */
export const DeviceParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });

/** Query of one device's telemetry: raw points, or aggregates when `agg` is given. */
export const DeviceTelemetryQuery = Type.Object(
  {
    keys: Type.Optional(Keys),
    from: Type.Optional(Time('start of the range, included; default: a day before to')),
    to: Type.Optional(Time('end of the range, excluded; default: now')),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, default: 1000, description: 'raw points per page' })),
    cursor: Type.Optional(Type.String({ maxLength: 512 })),
    order: Type.Optional(Type.Unsafe<'asc' | 'desc'>({ type: 'string', enum: ['asc', 'desc'], description: 'raw points by time; default asc' })),
    agg: Type.Optional(TelemetryAggregateSchema),
    bucket: Type.Optional(TelemetryBucketSchema),
    format: Type.Optional(Type.Unsafe<'json' | 'csv'>({ type: 'string', enum: ['json', 'csv'], description: 'csv streams the whole range' })),
  },
  { additionalProperties: false },
);

/** Query of the fleet's latest values. */
export const LatestQuery = Type.Object(
  {
    selector: Type.Optional(Type.String({ maxLength: 1000, description: 'label selector, e.g. site=oslo,role!=gateway' })),
    devices: Type.Optional(Type.String({ maxLength: 10_100, description: 'comma-separated device ids (at most 100); with a selector, devices must match both' })),
    keys: Type.Optional(Keys),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, default: 1000, description: 'devices per page' })),
    cursor: Type.Optional(Type.String({ maxLength: 512 })),
  },
  { additionalProperties: false },
);

/** Raw points or aggregates, depending on `agg`. */
export const DeviceTelemetryReply = Type.Union([TelemetryPointPageSchema, TelemetryAggregateReplySchema]);

/** A CSV document. */
export const CsvReply = Type.String({ description: 'text/csv: time,key,value (or time,key,<agg>)' });

/** The body of the device route: any payload of docs/protocol.md. */
export const DeviceTelemetryBody = Type.Unknown({
  description: '{"temp":21.5}, {"ts":1700000000000,"values":{"temp":21.5}}, or an array of those',
});

/** Protocol schemas the routes answer with, so the routes import every schema from here. */
export { ProblemSchema, TelemetryAcceptedSchema, TelemetryLatestPageSchema, TelemetryRejectionsSchema };
