import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { DeviceConnection } from '@flotilla/protocol';
import type { ClaimsService } from '../claims/claims.service.js';
import type { Config } from '../config.js';
import { AppError } from '../errors.js';
import {
  CreatedEnrollmentTokenReply,
  CreateEnrollmentTokenBody,
  EnrollBody,
  EnrolledDeviceSchema,
  EnrollmentTokenIdParams,
  EnrollmentTokenListQuery,
  EnrollmentTokenListReply,
} from './enrollment.schemas.js';
import type { EnrollmentService } from './enrollment.service.js';

interface Dependencies {
  enrollment: EnrollmentService;
  claims: ClaimsService;
  config: Pick<Config, 'enrollRateLimitPerMinute'>;
  /** Where the new device reaches the broker, told in the answer so it need not guess. */
  connection: () => DeviceConnection;
}

const tags = ['enrollment'];

/** Enrollment tokens (`/enrollment-tokens`) and self-enrollment of devices (`/device/enroll`). */
export function enrollmentRoutes({ enrollment, claims, config, connection }: Dependencies): FastifyPluginAsyncTypebox {
  return async (app) => {
    // Guessing tokens or codes from one address is slowed to the configured pace.
    const perAddress = app.rateLimit({
      max: config.enrollRateLimitPerMinute,
      timeWindow: 60_000,
      keyGenerator: (request) => `enroll-ip:${request.ip}`,
      errorResponseBuilder: (_request, context) => new AppError('RATE_LIMITED', `too many enrollments from this address; try again in ${context.after}`),
    });

    app.get(
      '/enrollment-tokens',
      {
        config: { access: 'operator' },
        schema: { tags, summary: 'List enrollment tokens, newest first, revoked ones included', querystring: EnrollmentTokenListQuery, response: { 200: EnrollmentTokenListReply } },
      },
      async (request) => enrollment.list(request.principal!.tenantId, request.query),
    );

    app.post(
      '/enrollment-tokens',
      {
        config: { access: 'operator', audit: 'enrollment_token.create' },
        schema: {
          tags,
          summary: 'Create an enrollment token; the token is shown only here',
          body: CreateEnrollmentTokenBody,
          response: { 201: CreatedEnrollmentTokenReply },
        },
      },
      async (request, reply) => {
        const principal = request.principal!;
        const created = await enrollment.create(principal.tenantId, principal.userId, request.body);
        request.audit = { targetId: created.id, detail: { name: created.name, maxUses: created.maxUses, expiresAt: created.expiresAt } };
        return reply.status(201).send(created);
      },
    );

    app.delete(
      '/enrollment-tokens/:id',
      {
        config: { access: 'operator', audit: 'enrollment_token.revoke' },
        schema: { tags, summary: 'Revoke an enrollment token', params: EnrollmentTokenIdParams, response: { 204: { type: 'null' } } },
      },
      async (request, reply) => {
        await enrollment.revoke(request.principal!.tenantId, request.params.id);
        return reply.status(204).send();
      },
    );

    app.post(
      '/device/enroll',
      {
        config: { access: 'public', audit: 'device.enroll' },
        onRequest: perAddress,
        schema: {
          tags,
          summary: 'A device enrolls itself with an enrollment token or its claim code and gets its id and secret, and where the broker is',
          security: [],
          body: EnrollBody,
          response: { 201: EnrolledDeviceSchema },
        },
      },
      async (request, reply) => {
        request.audit = { tenantId: null, actorType: 'device', actorId: null, targetType: 'device', targetId: null };
        const body = request.body;
        const result = 'token' in body ? await enrollment.enroll(body.token, body.name) : await claims.enroll(body.claimCode, body.name);
        request.audit = {
          tenantId: result.tenantId,
          actorType: 'device',
          actorId: result.id,
          targetType: 'device',
          targetId: result.id,
          detail: { name: result.name, via: result.via },
        };
        return reply.status(201).send({ id: result.id, secret: result.secret, name: result.name, connection: connection() });
      },
    );
  };
}
