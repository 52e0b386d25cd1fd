import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Config } from '../config.js';
import { AppError } from '../errors.js';
import { ClaimBody, ClaimCodeListQuery, ClaimCodeListReply, CreateClaimCodesBody, CreatedClaimCodesReply, DeviceSchema } from './claims.schemas.js';
import type { ClaimsService } from './claims.service.js';

interface Dependencies {
  claims: ClaimsService;
  config: Pick<Config, 'enrollRateLimitPerMinute'>;
}

const tags = ['claims'];

/** Claim codes for makers (`/claim-codes`) and claiming a device for owners (`/claims`). */
export function claimsRoutes({ claims, config }: Dependencies): FastifyPluginAsyncTypebox {
  return async (app) => {
    // Codes have 80 bits, but guessing still must not be cheap from any one address.
    const perAddress = app.rateLimit({
      max: config.enrollRateLimitPerMinute,
      timeWindow: 60_000,
      keyGenerator: (request) => `claim-ip:${request.ip}`,
      errorResponseBuilder: (_request, context) => new AppError('RATE_LIMITED', `too many claims from this address; try again in ${context.after}`),
    });

    app.post(
      '/claim-codes',
      {
        config: { access: 'operator', audit: 'claim_code.create' },
        schema: {
          tags,
          summary: 'Make devices with one claim code each (maker); the codes are shown only here',
          body: CreateClaimCodesBody,
          response: { 201: CreatedClaimCodesReply },
        },
      },
      async (request, reply) => {
        const created = await claims.createCodes(request.principal!.tenantId, request.body);
        request.audit = { targetType: 'claim_code', targetId: null, detail: { count: created.items.length } };
        return reply.status(201).send(created);
      },
    );

    app.get(
      '/claim-codes',
      {
        config: { access: 'operator' },
        schema: { tags, summary: "List the maker's claim codes, newest first", querystring: ClaimCodeListQuery, response: { 200: ClaimCodeListReply } },
      },
      async (request) => claims.list(request.principal!.tenantId, request.query),
    );

    app.post(
      '/claims',
      {
        config: { access: 'operator', audit: 'device.claim' },
        onRequest: perAddress,
        schema: {
          tags,
          summary: "Claim a device by its code (owner): it moves into your tenant, keeping its labels plus any given",
          body: ClaimBody,
          response: { 201: DeviceSchema },
        },
      },
      async (request, reply) => {
        const device = await claims.claim(request.principal!.tenantId, request.body);
        request.audit = { targetType: 'device', targetId: device.id };
        return reply.status(201).send(device);
      },
    );
  };
}
