import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { CreatedTokenSchema, CreateTokenBody, TokenIdParams, TokenListQuery, TokenListReply } from './tokens.schemas.js';
import type { TokensService } from './tokens.service.js';

const tags = ['tokens'];

/** API tokens of the caller's tenant (admin only): `/tokens` and `/tokens/{id}`. */
export function tokensRoutes({ tokens }: { tokens: TokensService }): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/tokens',
      {
        config: { access: 'admin' },
        schema: { tags, summary: "List the tenant's live API tokens (never the tokens themselves)", querystring: TokenListQuery, response: { 200: TokenListReply } },
      },
      async (request) => tokens.list(request.principal!.tenantId, request.query),
    );

    app.post(
      '/tokens',
      {
        config: { access: 'admin', audit: 'api_token.create' },
        schema: {
          tags,
          summary: 'Create an API token; the token is shown only in this answer',
          description: 'The token acts for you with the role given, which may not be above yours.',
          body: CreateTokenBody,
          response: { 201: CreatedTokenSchema },
        },
      },
      async (request, reply) => {
        request.audit = { detail: { name: request.body.name, role: request.body.role } };
        const created = await tokens.create(request.principal!, request.body);
        request.audit.targetId = created.id;
        return reply.status(201).send(created);
      },
    );

    app.delete(
      '/tokens/:id',
      {
        config: { access: 'admin', audit: 'api_token.revoke' },
        schema: { tags, summary: 'Revoke an API token', params: TokenIdParams, response: { 204: { type: 'null' } } },
      },
      async (request, reply) => {
        await tokens.revoke(request.principal!.tenantId, request.params.id);
        return reply.status(204).send();
      },
    );
  };
}
