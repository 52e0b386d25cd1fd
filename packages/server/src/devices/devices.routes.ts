import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  CreateDeviceBody,
  CreateDeviceReply,
  DeviceIdParams,
  DeviceListQuery,
  DeviceListReply,
  DeviceSchema,
  PatchDeviceBody,
  SecretReply,
} from './devices.schemas.js';
import type { DevicesService } from './devices.service.js';

const tags = ['devices'];

/** The device registry: `/devices` and `/devices/{id}`. */
export function devicesRoutes({ devices }: { devices: DevicesService }): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/devices',
      {
        config: { access: 'viewer' },
        schema: { tags, summary: 'List devices, filtered by label selector and name', querystring: DeviceListQuery, response: { 200: DeviceListReply } },
      },
      async (request) => devices.list(request.principal!.tenantId, request.query),
    );

    app.post(
      '/devices',
      {
        config: { access: 'operator', audit: 'device.create' },
        schema: { tags, summary: 'Register a device; its secret is shown only here', body: CreateDeviceBody, response: { 201: CreateDeviceReply } },
      },
      async (request, reply) => {
        const created = await devices.create(request.principal!.tenantId, request.body);
        request.audit = { targetId: created.device.id, detail: { name: created.device.name } };
        return reply.status(201).send(created);
      },
    );

    app.get(
      '/devices/:id',
      { config: { access: 'viewer' }, schema: { tags, summary: 'Get a device', params: DeviceIdParams, response: { 200: DeviceSchema } } },
      async (request) => devices.get(request.principal!.tenantId, request.params.id),
    );

    app.patch(
      '/devices/:id',
      {
        config: { access: 'operator', audit: 'device.update' },
        schema: {
          tags,
          summary: 'Rename a device or merge its labels and metadata (null removes a key)',
          params: DeviceIdParams,
          body: PatchDeviceBody,
          response: { 200: DeviceSchema },
        },
      },
      async (request) => {
        request.audit = { detail: { fields: Object.keys(request.body) } };
        return devices.update(request.principal!.tenantId, request.params.id, request.body);
      },
    );

    app.delete(
      '/devices/:id',
      {
        config: { access: 'operator', audit: 'device.delete' },
        schema: { tags, summary: 'Delete a device', params: DeviceIdParams, response: { 204: { type: 'null' } } },
      },
      async (request, reply) => {
        await devices.remove(request.principal!.tenantId, request.params.id);
        return reply.status(204).send();
      },
    );

    app.post(
      '/devices/:id/secret',
      {
        config: { access: 'operator', audit: 'device.rotate_secret' },
        schema: { tags, summary: 'Give a device a new secret; the old one stops working', params: DeviceIdParams, response: { 200: SecretReply } },
      },
      async (request) => devices.rotateSecret(request.principal!.tenantId, request.params.id),
    );
  };
}
