/** Serves the built dashboard at `/`, with index.html for client-side routes. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Registers the dashboard if it is built; returns the fallback for unknown non-API paths. */
export async function installDashboard(
  app: FastifyInstance,
  webDir: string | null,
): Promise<((request: FastifyRequest, reply: FastifyReply) => unknown) | undefined> {
  if (!webDir || !existsSync(join(webDir, 'index.html'))) {
    app.log.warn({ webDir }, 'dashboard not built; serving the API only (run npm run build)');
    return undefined;
  }
  await app.register(fastifyStatic, { root: webDir, prefix: '/', wildcard: true, index: ['index.html'], cacheControl: false });
  return (_request, reply) => reply.type('text/html').sendFile('index.html');
}
