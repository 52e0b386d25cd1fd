import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AuditService } from './audit.service.js';
import { AuditListQuery, AuditListReply } from './audit.schemas.js';

/** `GET /audit`: the tenant's audit log, newest first. */
export function auditRoutes({ audit }: { audit: AuditService }): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/audit',
      {
        config: { access: 'admin' },
        schema: { tags: ['audit'], summary: 'List audit entries, newest first', querystring: AuditListQuery, response: { 200: AuditListReply } },
      },
      async (request) => audit.list(request.principal!.tenantId, request.query),
    );
  };
}
