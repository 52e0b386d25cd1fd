import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { deviceRouteAuthentication, type DeviceAuthenticator } from '../telemetry/device-auth.js';
import {
  BulkCommandBodySchema,
  BulkCommandReplySchema,
  CommandPageSchema,
  CommandResultReplySchema,
  CommandResultSchema,
  CommandSchema,
  CommandsQuerySchema,
  DeviceCommandPollQuerySchema,
  DeviceCommandPollReplySchema,
  DeviceCommandsQuerySchema,
  errors,
  IdParams,
  ProblemSchema,
  SendCommandBodySchema,
} from './commands.schemas.js';
import type { CommandsService } from './commands.service.js';

const tags = ['commands'];

/** Commands for people and tools: send to a device or a selector, list, get, cancel. */
export function commandsRoutes({ commands, authenticateDevice }: { commands: CommandsService; authenticateDevice: DeviceAuthenticator }): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/devices/:id/commands',
      {
        // Named after its target, so that a refused attempt (no handler ran) is filed under the device too.
        config: { access: 'operator', audit: 'device.send_command' },
        schema: { tags, summary: 'Send a command to a device; it is queued until the device takes it', params: IdParams, body: SendCommandBodySchema, response: { 201: CommandSchema, ...errors } },
      },
      async (request, reply) => {
        const { tenantId, userId } = request.principal!;
        request.audit = { detail: { name: request.body.name } };
        const command = await commands.send({ tenantId, userId }, request.params.id, request.body);
        request.audit.detail = { name: command.name, commandId: command.id };
        return reply.status(201).send(command);
      },
    );

    app.get(
      '/devices/:id/commands',
      {
        config: { access: 'viewer' },
        schema: { tags, summary: "A device's commands, newest first", params: IdParams, querystring: DeviceCommandsQuerySchema, response: { 200: CommandPageSchema, ...errors } },
      },
      async (request) => commands.listOfDevice(request.principal!.tenantId, request.params.id, request.query),
    );

    app.post(
      '/commands',
      {
        config: { access: 'operator', audit: 'command.send_bulk' },
        schema: {
          tags,
          summary: 'Send a command to every device a selector chooses (at most 1,000): one command each, sharing a batch id; with dryRun, only say which',
          body: BulkCommandBodySchema,
          response: { 200: BulkCommandReplySchema, 201: BulkCommandReplySchema, ...errors },
        },
      },
      async (request, reply) => {
        const { tenantId, userId } = request.principal!;
        // A dry run changes nothing, so it leaves no audit entry, whatever its outcome.
        const isDryRun = request.body.dryRun === true;
        request.audit = { targetType: 'selector', targetId: request.body.selector, detail: { name: request.body.name }, isSkipped: isDryRun };
        const created = await commands.sendBulk({ tenantId, userId }, request.body);
        if (isDryRun) return reply.status(200).send(created);
        request.audit.detail = { name: request.body.name, batchId: created.batchId, count: created.count };
        return reply.status(201).send(created);
      },
    );

    app.get(
      '/commands',
      {
        config: { access: 'viewer' },
        schema: { tags, summary: "The tenant's commands, newest first; filter by device, status, name or batch", querystring: CommandsQuerySchema, response: { 200: CommandPageSchema, ...errors } },
      },
      async (request) => commands.list(request.principal!.tenantId, request.query),
    );

    app.get(
      '/commands/:id',
      { config: { access: 'viewer' }, schema: { tags, summary: 'Get a command with its result', params: IdParams, response: { 200: CommandSchema, ...errors } } },
      async (request) => commands.get(request.principal!.tenantId, request.params.id),
    );

    app.post(
      '/commands/:id/cancel',
      {
        config: { access: 'operator', audit: 'command.cancel' },
        schema: { tags, summary: 'Cancel a command that is queued or sent (not yet acknowledged)', params: IdParams, response: { 200: CommandSchema, 409: ProblemSchema, ...errors } },
      },
      async (request) => commands.cancel(request.principal!.tenantId, request.params.id),
    );

    deviceRoutes(app, commands, authenticateDevice);
  };
}

/** The HTTP side of the device protocol: poll for commands, post results (HTTP Basic `deviceId:secret`). */
function deviceRoutes(app: Parameters<FastifyPluginAsyncTypebox>[0], commands: CommandsService, authenticateDevice: DeviceAuthenticator): void {
  const authentication = deviceRouteAuthentication(authenticateDevice);
  const security = [{ deviceBasic: [] }];

  app.get(
    '/device/commands',
    {
      config: { access: 'device' },
      schema: {
        tags: ['device'],
        summary: 'Pending commands of the calling device, oldest first; with waitSeconds, wait for one when none is pending',
        security,
        querystring: DeviceCommandPollQuerySchema,
        response: { 200: DeviceCommandPollReplySchema, 400: ProblemSchema, 401: ProblemSchema },
      },
      onRequest: authentication.onRequest,
    },
    async (request, reply) => {
      const aborted = new AbortController();
      // The device hung up: stop waiting for it.
      reply.raw.once('close', () => aborted.abort());
      const waitMs = (request.query.waitSeconds ?? 0) * 1000;
      return { commands: await commands.poll(authentication.deviceOf(request), waitMs, aborted.signal) };
    },
  );

  app.post(
    '/device/commands/:id/result',
    {
      config: { access: 'device', audit: false },
      schema: {
        tags: ['device'],
        summary: 'Report a command acknowledged, succeeded or failed; answers once it is stored',
        security,
        params: IdParams,
        body: CommandResultSchema,
        response: { 200: CommandResultReplySchema, 400: ProblemSchema, 401: ProblemSchema, 404: ProblemSchema, 409: ProblemSchema },
      },
      onRequest: authentication.onRequest,
    },
    async (request) => commands.recordResult(authentication.deviceOf(request), request.params.id, request.body),
  );
}
