import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { deviceRouteAuthentication, type DeviceAuthenticator } from '../telemetry/device-auth.js';
import { DeviceEventsAcceptedSchema, DeviceEventsBody, DeviceEventsQuerySchema, EventPageSchema, EventsQuerySchema, errors, IdParams, ProblemSchema } from './events.schemas.js';
import type { EventsService } from './events.service.js';

const tags = ['events'];

/** Device events: read a device's or the fleet's; devices post their own. */
export function eventsRoutes({ events, authenticateDevice }: { events: EventsService; authenticateDevice: DeviceAuthenticator }): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/devices/:id/events',
      {
        config: { access: 'viewer' },
        schema: {
          tags,
          summary: "A device's events (its own and the server's notices about it), newest first",
          params: IdParams,
          querystring: DeviceEventsQuerySchema,
          response: { 200: EventPageSchema, ...errors },
        },
      },
      async (request) => events.listOfDevice(request.principal!.tenantId, request.params.id, request.query),
    );

    app.get(
      '/events',
      {
        config: { access: 'viewer' },
        schema: { tags, summary: "The tenant's device events, newest first; narrow by selector, kind, level, source and time", querystring: EventsQuerySchema, response: { 200: EventPageSchema, ...errors } },
      },
      async (request) => events.list(request.principal!.tenantId, request.query),
    );

    const authentication = deviceRouteAuthentication(authenticateDevice);
    app.post(
      '/device/events',
      {
        config: { access: 'device', audit: false },
        schema: {
          tags: ['device'],
          summary: 'Post events as a device (one or an array of up to 100); answers once they are stored',
          security: [{ deviceBasic: [] }],
          body: DeviceEventsBody,
          response: { 200: DeviceEventsAcceptedSchema, 400: ProblemSchema, 401: ProblemSchema, 429: ProblemSchema, 503: ProblemSchema },
        },
        onRequest: authentication.onRequest,
      },
      async (request) => events.acceptFromDevice(authentication.deviceOf(request), request.body),
    );
  };
}
