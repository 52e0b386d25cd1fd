import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Store } from '../store/database.js';
import type { Metrics } from './metrics.js';

const Status = Type.Object({ status: Type.String() });

/** `/healthz` (the process runs), `/readyz` (the database answers) and `/metrics`. */
export function opsRoutes({ store, metrics }: { store: Store; metrics: Metrics }): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/healthz',
      { config: { access: 'public' }, schema: { tags: ['operations'], summary: 'Liveness', response: { 200: Status } } },
      async () => ({ status: 'ok' }),
    );
    app.get(
      '/readyz',
      { config: { access: 'public' }, schema: { tags: ['operations'], summary: 'Readiness: the database answers', response: { 200: Status, 503: Status } } },
      async (_request, reply) => ((await store.isReady()) ? { status: 'ready' } : reply.status(503).send({ status: 'database unavailable' })),
    );
    app.get(
      '/metrics',
      { config: { access: 'public' }, schema: { tags: ['operations'], summary: 'Prometheus metrics', hide: true } },
      async (_request, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
    );
  };
}
