import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ProfilesService } from './profiles.service.js';
import { expectedRevisionOf, revisionTag } from './revisions.js';
import {
  DeleteProfileQuery,
  errors,
  ProfileIdParams,
  ProfileInputSchema,
  ProfilePageSchema,
  ProfilePatchSchema,
  ProfilePreviewBodySchema,
  ProfilePreviewSchema,
  ProfileSchema,
  PageQuery,
  RevisionPreconditionHeadersSchema,
  StateDiffQuerySchema,
  StateDiffSchema,
  StateRevertBodySchema,
  StateRevisionPageSchema,
} from './state.schemas.js';

const tags = ['state'];

/** Profiles, label-scoped layers of desired state: `/profiles…`. Operators change them. */
export function profilesRoutes({ profiles }: { profiles: ProfilesService }): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/profiles',
      { config: { access: 'viewer' }, schema: { tags, summary: 'List profiles by name', querystring: PageQuery, response: { 200: ProfilePageSchema, ...errors } } },
      async (request) => profiles.list(request.principal!.tenantId, request.query),
    );

    app.post(
      '/profiles',
      {
        config: { access: 'operator', audit: 'profile.create' },
        schema: { tags, summary: 'Create a profile; the devices it selects get it at once', body: ProfileInputSchema, response: { 201: ProfileSchema, ...errors } },
      },
      async (request, reply) => {
        const created = await profiles.create(request.principal!, request.body);
        request.audit = { targetId: created.id, detail: { name: created.name, revision: created.revision } };
        return reply.status(201).send(created);
      },
    );

    app.post(
      '/profiles/preview',
      {
        config: { access: 'viewer', audit: false },
        schema: { tags, summary: 'What a profile change would do to each device; nothing is saved', body: ProfilePreviewBodySchema, response: { 200: ProfilePreviewSchema, ...errors } },
      },
      async (request) => profiles.preview(request.principal!.tenantId, request.body),
    );

    app.get(
      '/profiles/:id',
      { config: { access: 'viewer' }, schema: { tags, summary: 'Get a profile; its ETag is its revision', params: ProfileIdParams, response: { 200: ProfileSchema, ...errors } } },
      async (request, reply) => {
        const profile = await profiles.get(request.principal!.tenantId, request.params.id);
        return reply.header('etag', revisionTag(profile.revision)).send(profile);
      },
    );

    app.put(
      '/profiles/:id',
      {
        config: { access: 'operator', audit: 'profile.update' },
        schema: {
          tags,
          summary: 'Replace a profile (a new revision); If-Match refuses it when the profile changed meanwhile',
          params: ProfileIdParams,
          headers: RevisionPreconditionHeadersSchema,
          body: ProfileInputSchema,
          response: { 200: ProfileSchema, ...errors },
        },
      },
      async (request, reply) => {
        const saved = await profiles.replace(request.principal!, request.params.id, request.body, expectedRevisionOf(request.headers['if-match']));
        request.audit = { detail: { name: saved.name, revision: saved.revision } };
        return reply.header('etag', revisionTag(saved.revision)).send(saved);
      },
    );

    app.patch(
      '/profiles/:id',
      {
        config: { access: 'operator', audit: 'profile.update' },
        schema: {
          tags,
          summary: 'Change fields of a profile; state is a JSON merge patch (a new revision); If-Match refuses it when the profile changed meanwhile',
          params: ProfileIdParams,
          headers: RevisionPreconditionHeadersSchema,
          body: ProfilePatchSchema,
          response: { 200: ProfileSchema, ...errors },
        },
      },
      async (request, reply) => {
        const saved = await profiles.patch(request.principal!, request.params.id, request.body, expectedRevisionOf(request.headers['if-match']));
        request.audit = { detail: { name: saved.name, revision: saved.revision } };
        return reply.header('etag', revisionTag(saved.revision)).send(saved);
      },
    );

    app.delete(
      '/profiles/:id',
      {
        config: { access: 'operator', audit: 'profile.delete' },
        schema: { tags, summary: 'Delete a profile and its revisions', params: ProfileIdParams, querystring: DeleteProfileQuery, response: { 204: { type: 'null' }, ...errors } },
      },
      async (request, reply) => {
        await profiles.remove(request.principal!, request.params.id, request.query.message);
        return reply.status(204).send();
      },
    );

    app.get(
      '/profiles/:id/history',
      {
        config: { access: 'viewer' },
        schema: { tags, summary: 'Revisions of a profile, newest first', params: ProfileIdParams, querystring: PageQuery, response: { 200: StateRevisionPageSchema, ...errors } },
      },
      async (request) => profiles.history(request.principal!.tenantId, request.params.id, request.query),
    );

    app.get(
      '/profiles/:id/diff',
      {
        config: { access: 'viewer' },
        schema: { tags, summary: 'What changed between two revisions of a profile', params: ProfileIdParams, querystring: StateDiffQuerySchema, response: { 200: StateDiffSchema, ...errors } },
      },
      async (request) => profiles.diff(request.principal!.tenantId, request.params.id, request.query.from, request.query.to),
    );

    app.post(
      '/profiles/:id/revert',
      {
        config: { access: 'operator', audit: 'profile.revert' },
        schema: { tags, summary: "Makes a new revision with an old one's content", params: ProfileIdParams, body: StateRevertBodySchema, response: { 200: ProfileSchema, ...errors } },
      },
      async (request) => {
        const saved = await profiles.revert(request.principal!, request.params.id, request.body);
        request.audit = { detail: { revertedTo: request.body.revision, revision: saved.revision } };
        return saved;
      },
    );
  };
}
