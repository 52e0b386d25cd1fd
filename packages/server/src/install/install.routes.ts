/**
 * What a device needs to install the agent from this server: the install script (`curl -fsSL
 * <server>/install/agent.sh | sh -s -- --enroll-token …`), the agent as one file, and its
 * systemd unit, all taken from the agent package's files and its build output.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppError } from '../errors.js';

// src/install and dist/install both sit two levels below packages/server.
const agentPackageDir = fileURLToPath(new URL('../../../agent/', import.meta.url));

/** Where the agent's install files are; tests point this elsewhere. */
export interface InstallFiles {
  script: string;
  bundle: string;
  unit: string;
}

export const defaultInstallFiles: InstallFiles = {
  script: `${agentPackageDir}install/install.sh`,
  bundle: `${agentPackageDir}dist/flotilla-agent.mjs`,
  unit: `${agentPackageDir}systemd/flotilla-agent.service`,
};

const tags = ['install'];

/** `GET /install/agent.sh`, `/install/flotilla-agent.mjs` and `/install/flotilla-agent.service`. */
export function installRoutes(files: InstallFiles = defaultInstallFiles): FastifyPluginAsyncTypebox {
  return async (app) => {
    const read = (path: string, what: string): Buffer => {
      if (!existsSync(path)) {
        throw new AppError('AGENT_BUNDLE_MISSING', `the ${what} is not on this server (${path}); build it with: npm run build -w packages/agent`);
      }
      return readFileSync(path);
    };

    app.get('/install/agent.sh', { config: { access: 'public' }, schema: { tags, summary: 'The agent install script, for this server' } }, async (request, reply) => {
      // The script downloads the agent from the address the device reached this server at.
      const origin = `${request.protocol}://${request.host}`;
      const script = read(files.script, 'agent install script').toString('utf8').replace('__FLOTILLA_SERVER_URL__', origin);
      return reply.type('text/x-shellscript; charset=utf-8').send(script);
    });

    app.get('/install/flotilla-agent.mjs', { config: { access: 'public' }, schema: { tags, summary: 'The agent as one file, run with node' } }, async (_request, reply) =>
      reply.type('text/javascript; charset=utf-8').send(read(files.bundle, 'agent bundle')),
    );

    app.get('/install/flotilla-agent.service', { config: { access: 'public' }, schema: { tags, summary: "The agent's systemd unit" } }, async (_request, reply) =>
      reply.type('text/plain; charset=utf-8').send(read(files.unit, 'agent systemd unit')),
    );
  };
}
