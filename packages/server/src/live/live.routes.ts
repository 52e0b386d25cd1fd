/**
 * `GET /api/v1/live` as a plain HTTP request: the stream itself is a WebSocket (the upgrade is
 * taken before routing, see live.service.ts), so a request without the upgrade is told so.
 */
import { ProblemSchema } from '@flotilla/protocol';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { appError } from '../errors.js';

/** The documented live route. */
export function liveRoutes(): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/live',
      {
        config: { access: 'viewer' },
        schema: {
          tags: ['live'],
          summary: 'Live telemetry, presence and device events over a WebSocket (see docs/api.md)',
          description:
            'Open a WebSocket here with `Authorization: Bearer <token>` or `?token=<token>`, then send ' +
            '`{"type":"subscribe","id":"s1","selector":"site=oslo","keys":["temp"],"events":["telemetry","presence"]}`. ' +
            'A plain GET is answered 426.',
          response: { 426: ProblemSchema },
        },
      },
      async () => {
        throw appError('UPGRADE_REQUIRED', 'open a WebSocket at this address (Upgrade: websocket)');
      },
    );
  };
}
