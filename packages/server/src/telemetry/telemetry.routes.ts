import { Readable } from 'node:stream';
import { TelemetryQueryBodySchema, TelemetryQueryReplySchema, TelemetryRetentionSchema } from '@flotilla/protocol';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Static } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { aggregateCsv, rawCsv } from './csv.js';
import { deviceRouteAuthentication, type DeviceAuthenticator } from './device-auth.js';
import type { TelemetryService } from './telemetry.service.js';
import {
  CsvReply,
  DeviceParams,
  DeviceTelemetryBody,
  DeviceTelemetryQuery,
  DeviceTelemetryReply,
  LatestQuery,
  ProblemSchema,
  TelemetryAcceptedSchema,
  TelemetryLatestPageSchema,
  TelemetryRejectionsSchema,
} from './telemetry.schemas.js';

type DeviceTelemetryQueryType = Static<typeof DeviceTelemetryQuery>;

const errors = { 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema };

/** Sends one device's telemetry as CSV: aggregates when `agg` is given, else every raw point, streamed. */
async function sendCsv(telemetry: TelemetryService, request: FastifyRequest, reply: FastifyReply, id: string, query: DeviceTelemetryQueryType) {
  const tenantId = request.principal!.tenantId;
  const { agg, bucket, ...raw } = query;
  // Computed before the headers go out, so a bad query still gets a problem+json answer.
  const body = agg ? aggregateCsv(await telemetry.aggregate(tenantId, id, { ...raw, agg, bucket })) : Readable.from(await rawCsv(telemetry, tenantId, id, raw));
  return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${id}-telemetry.csv"`).send(body);
}

/** One device's telemetry as JSON: aggregates when `agg` is given, else a page of raw points. */
async function deviceTelemetry(telemetry: TelemetryService, request: FastifyRequest, id: string, query: DeviceTelemetryQueryType) {
  const tenantId = request.principal!.tenantId;
  const { agg, bucket, ...raw } = query;
  return agg ? telemetry.aggregate(tenantId, id, { ...raw, agg, bucket }) : telemetry.pointsPage(tenantId, id, raw);
}

/** Telemetry queries for people and tools, retention, and the HTTP device route. */
export function telemetryRoutes({ telemetry, authenticateDevice }: { telemetry: TelemetryService; authenticateDevice: DeviceAuthenticator }): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/devices/:id/telemetry',
      {
        config: { access: 'viewer' },
        schema: {
          tags: ['telemetry'],
          summary: "A device's points in a time range (paginated), or aggregates in time buckets with agg and bucket",
          params: DeviceParams,
          querystring: DeviceTelemetryQuery,
          response: { 200: DeviceTelemetryReply, ...errors },
        },
      },
      async (request, reply) =>
        request.query.format === 'csv'
          ? sendCsv(telemetry, request, reply, request.params.id, request.query)
          : deviceTelemetry(telemetry, request, request.params.id, request.query),
    );

    app.get(
      '/devices/:id/telemetry.csv',
      {
        config: { access: 'viewer' },
        schema: {
          tags: ['telemetry'],
          summary: "A device's points (or aggregates) as CSV, streamed",
          params: DeviceParams,
          querystring: DeviceTelemetryQuery,
          produces: ['text/csv'],
          response: { 200: CsvReply, ...errors },
        },
      },
      async (request, reply) => sendCsv(telemetry, request, reply, request.params.id, request.query),
    );

    app.get(
      '/devices/:id/telemetry/rejections',
      {
        config: { access: 'viewer' },
        schema: { tags: ['telemetry'], summary: "How many of a device's payloads were refused, and why the last was", params: DeviceParams, response: { 200: TelemetryRejectionsSchema, ...errors } },
      },
      async (request) => telemetry.rejections(request.principal!.tenantId, request.params.id),
    );

    app.get(
      '/telemetry/latest',
      {
        config: { access: 'viewer' },
        schema: { tags: ['telemetry'], summary: 'Latest value of every key of every device (or those a selector chooses)', querystring: LatestQuery, response: { 200: TelemetryLatestPageSchema, ...errors } },
      },
      async (request) => telemetry.latest(request.principal!.tenantId, request.query),
    );

    app.post(
      '/telemetry/query',
      {
        config: { access: 'viewer', audit: false },
        schema: { tags: ['telemetry'], summary: 'Aggregates of several devices and keys', body: TelemetryQueryBodySchema, response: { 200: TelemetryQueryReplySchema, ...errors } },
      },
      async (request) => telemetry.query(request.principal!.tenantId, request.body),
    );

    app.get(
      '/telemetry/retention',
      {
        config: { access: 'viewer' },
        schema: { tags: ['telemetry'], summary: "The tenant's telemetry retention", response: { 200: TelemetryRetentionSchema, ...errors } },
      },
      async (request) => telemetry.retention(request.principal!.tenantId),
    );

    app.put(
      '/telemetry/retention',
      {
        config: { access: 'admin', audit: 'telemetry.retention.update' },
        schema: { tags: ['telemetry'], summary: "Sets the tenant's telemetry retention", body: TelemetryRetentionSchema, response: { 200: TelemetryRetentionSchema, ...errors } },
      },
      async (request) => {
        request.audit = { targetType: 'telemetry', targetId: null, detail: { days: request.body.days } };
        return telemetry.setRetention(request.principal!.tenantId, request.body.days);
      },
    );

    deviceRoute(app, telemetry, authenticateDevice);
  };
}

/** `POST /device/telemetry`: a device posts readings with HTTP Basic `deviceId:secret`. */
function deviceRoute(app: Parameters<FastifyPluginAsyncTypebox>[0], telemetry: TelemetryService, authenticateDevice: DeviceAuthenticator): void {
  const authentication = deviceRouteAuthentication(authenticateDevice);
  app.post(
    '/device/telemetry',
    {
      config: { access: 'device', audit: false },
      schema: {
        tags: ['device'],
        summary: 'Post readings as a device; answers once they are stored',
        security: [{ deviceBasic: [] }],
        body: DeviceTelemetryBody,
        response: { 200: TelemetryAcceptedSchema, 400: ProblemSchema, 401: ProblemSchema, 503: ProblemSchema },
      },
      onRequest: authentication.onRequest,
    },
    async (request) => telemetry.acceptFromDevice(authentication.deviceOf(request), request.body),
  );
}
