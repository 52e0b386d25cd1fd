import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ProblemSchema } from '@flotilla/protocol';
import { deviceRouteAuthentication, type DeviceAuthenticator } from '../telemetry/device-auth.js';
import {
  DesiredStateMessageSchema,
  DeviceIdParams,
  DeviceReportBody,
  DeviceStateSchema,
  errors,
  PatchDeviceStateBodySchema,
  PutDeviceStateBodySchema,
  ReportedAcceptedSchema,
  PageQuery,
  RevisionPreconditionHeadersSchema,
  StateDiffQuerySchema,
  StateDiffSchema,
  StateDriftPageSchema,
  StateDriftQuerySchema,
  StateRevertBodySchema,
  StateRevisionPageSchema,
} from './state.schemas.js';
import { expectedRevisionOf, revisionTag } from './revisions.js';
import type { StateService } from './state.service.js';

const tags = ['state'];

/** Desired and reported state of devices: `/devices/{id}/state…`, `/state/drift`, and the device's own routes. */
export function stateRoutes({ state, authenticateDevice }: { state: StateService; authenticateDevice: DeviceAuthenticator }): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/devices/:id/state',
      {
        config: { access: 'viewer' },
        schema: { tags, summary: "A device's layer, effective desired state with provenance, reported state and drift", params: DeviceIdParams, response: { 200: DeviceStateSchema, ...errors } },
      },
      async (request, reply) => {
        const current = await state.get(request.principal!.tenantId, request.params.id);
        return reply.header('etag', revisionTag(current.layer.revision)).send(current);
      },
    );

    app.put(
      '/devices/:id/state',
      {
        config: { access: 'operator', audit: 'state.device.update' },
        schema: {
          tags,
          summary: "Replaces a device's own layer (a new revision); If-Match refuses it when the layer changed meanwhile",
          params: DeviceIdParams,
          headers: RevisionPreconditionHeadersSchema,
          body: PutDeviceStateBodySchema,
          response: { 200: DeviceStateSchema, ...errors },
        },
      },
      async (request, reply) => {
        const saved = await state.put(request.principal!, request.params.id, request.body, expectedRevisionOf(request.headers['if-match']));
        request.audit = { targetType: 'device', detail: { revision: saved.layer.revision, version: saved.desired.version } };
        return reply.header('etag', revisionTag(saved.layer.revision)).send(saved);
      },
    );

    app.patch(
      '/devices/:id/state',
      {
        config: { access: 'operator', audit: 'state.device.update' },
        schema: {
          tags,
          summary: "Merges a JSON merge patch into a device's own layer (a new revision); If-Match refuses it when the layer changed meanwhile",
          params: DeviceIdParams,
          headers: RevisionPreconditionHeadersSchema,
          body: PatchDeviceStateBodySchema,
          response: { 200: DeviceStateSchema, ...errors },
        },
      },
      async (request, reply) => {
        const saved = await state.patch(request.principal!, request.params.id, request.body, expectedRevisionOf(request.headers['if-match']));
        request.audit = { targetType: 'device', detail: { revision: saved.layer.revision, version: saved.desired.version } };
        return reply.header('etag', revisionTag(saved.layer.revision)).send(saved);
      },
    );

    app.get(
      '/devices/:id/state/history',
      {
        config: { access: 'viewer' },
        schema: { tags, summary: "Revisions of a device's own layer, newest first", params: DeviceIdParams, querystring: PageQuery, response: { 200: StateRevisionPageSchema, ...errors } },
      },
      async (request) => state.history(request.principal!.tenantId, request.params.id, request.query),
    );

    app.get(
      '/devices/:id/state/diff',
      {
        config: { access: 'viewer' },
        schema: { tags, summary: "What changed between two revisions of a device's layer", params: DeviceIdParams, querystring: StateDiffQuerySchema, response: { 200: StateDiffSchema, ...errors } },
      },
      async (request) => state.diff(request.principal!.tenantId, request.params.id, request.query.from, request.query.to),
    );

    app.post(
      '/devices/:id/state/revert',
      {
        config: { access: 'operator', audit: 'state.device.revert' },
        schema: { tags, summary: "Makes a new revision of a device's layer with an old one's content", params: DeviceIdParams, body: StateRevertBodySchema, response: { 200: DeviceStateSchema, ...errors } },
      },
      async (request) => {
        const saved = await state.revert(request.principal!, request.params.id, request.body);
        request.audit = { targetType: 'device', detail: { revertedTo: request.body.revision, revision: saved.layer.revision } };
        return saved;
      },
    );

    app.get(
      '/state/drift',
      {
        config: { access: 'viewer' },
        schema: { tags, summary: 'Devices that have not applied their desired version, or failed to', querystring: StateDriftQuerySchema, response: { 200: StateDriftPageSchema, ...errors } },
      },
      async (request) => state.drift(request.principal!.tenantId, request.query),
    );

    await app.register(deviceStateRoutes({ state, authenticateDevice }));
  };
}

/** `GET` and `PATCH /device/state`: a device reads its desired state and reports, with HTTP Basic `deviceId:secret`. */
function deviceStateRoutes({ state, authenticateDevice }: { state: StateService; authenticateDevice: DeviceAuthenticator }): FastifyPluginAsyncTypebox {
  return async (app) => {
    const auth = deviceRouteAuthentication(authenticateDevice);
    // RFC 7386 §4 names the media type of a merge patch; plain JSON is taken too.
    app.addContentTypeParser('application/merge-patch+json', { parseAs: 'string' }, app.getDefaultJsonParser('error', 'error'));
    const deviceErrors = { 400: ProblemSchema, 401: ProblemSchema, 413: ProblemSchema };

    app.get(
      '/device/state',
      {
        config: { access: 'device' },
        schema: { tags: ['device'], summary: 'The desired state of the calling device, secrets in plain text', security: [{ deviceBasic: [] }], response: { 200: DesiredStateMessageSchema, ...deviceErrors } },
        onRequest: auth.onRequest,
      },
      async (request) => state.messageFor(auth.deviceOf(request)),
    );

    app.patch(
      '/device/state',
      {
        config: { access: 'device', audit: false },
        schema: {
          tags: ['device'],
          summary: 'Reports state as a device: a JSON merge patch of its reported document',
          security: [{ deviceBasic: [] }],
          body: DeviceReportBody,
          response: { 200: ReportedAcceptedSchema, ...deviceErrors },
        },
        onRequest: auth.onRequest,
      },
      async (request) => state.report(auth.deviceOf(request), request.body, 'http'),
    );
  };
}
