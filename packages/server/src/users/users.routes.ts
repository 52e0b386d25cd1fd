import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { CreateUserBody, PatchUserBody, UserIdParams, UserListQuery, UserListReply, UserSchema } from './users.schemas.js';
import type { UsersService } from './users.service.js';

const tags = ['users'];

/** Users of the caller's tenant (admin only): `/users` and `/users/{id}`. */
export function usersRoutes({ users }: { users: UsersService }): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/users',
      {
        config: { access: 'admin' },
        schema: { tags, summary: "List the tenant's users", querystring: UserListQuery, response: { 200: UserListReply } },
      },
      async (request) => users.list(request.principal!.tenantId, request.query),
    );

    app.post(
      '/users',
      {
        config: { access: 'admin', audit: 'user.create' },
        schema: { tags, summary: 'Create a user who can sign in at once', body: CreateUserBody, response: { 201: UserSchema } },
      },
      async (request, reply) => {
        request.audit = { detail: { email: request.body.email.toLowerCase(), role: request.body.role } };
        const user = await users.create(request.principal!.tenantId, request.body);
        request.audit.targetId = user.id;
        return reply.status(201).send(user);
      },
    );

    app.get(
      '/users/:id',
      { config: { access: 'admin' }, schema: { tags, summary: 'Get a user', params: UserIdParams, response: { 200: UserSchema } } },
      async (request) => users.get(request.principal!.tenantId, request.params.id),
    );

    app.patch(
      '/users/:id',
      {
        config: { access: 'admin', audit: 'user.update' },
        schema: {
          tags,
          summary: "Change a user's name, role, password or whether they may sign in",
          description: 'Disabling a user or setting their password ends their sessions. The last active admin cannot be demoted or disabled.',
          params: UserIdParams,
          body: PatchUserBody,
          response: { 200: UserSchema },
        },
      },
      async (request) => {
        // Field names, and the values that change access; a new password must not reach the log.
        const { role, disabled } = request.body;
        request.audit = { detail: { fields: Object.keys(request.body), ...(role !== undefined ? { role } : {}), ...(disabled !== undefined ? { disabled } : {}) } };
        return users.update(request.principal!.tenantId, request.params.id, request.body);
      },
    );

    app.delete(
      '/users/:id',
      {
        config: { access: 'admin', audit: 'user.delete' },
        schema: {
          tags,
          summary: 'Delete a user',
          description: 'Their sessions end and the API tokens they created are revoked. The last active admin cannot be deleted.',
          params: UserIdParams,
          response: { 204: { type: 'null' } },
        },
      },
      async (request, reply) => {
        await users.remove(request.principal!.tenantId, request.params.id);
        return reply.status(204).send();
      },
    );
  };
}
