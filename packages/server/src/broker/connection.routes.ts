/**
 * `GET /device/connection`: where the calling device reaches the broker — the TCP listener's
 * real port and whether it is TLS, and the WebSocket path — so a device given only the server's
 * URL does not have to guess port 1883 (the enrollment answer carries the same).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { DeviceConnectionSchema, ProblemSchema, type DeviceConnection } from '@flotilla/protocol';
import { deviceRouteAuthentication, type DeviceAuthenticator } from '../telemetry/device-auth.js';
import type { Broker } from './broker.js';

/** The path of MQTT over WebSocket on the HTTP server (app.ts routes its upgrades there). */
export const MQTT_WEBSOCKET_PATH = '/mqtt';

/** Where devices reach the broker right now: read at each answer, since the port is known only after listening. */
export function deviceConnectionOf(broker: Pick<Broker, 'tcpListener'>): DeviceConnection {
  return { mqtt: broker.tcpListener(), websocketPath: MQTT_WEBSOCKET_PATH };
}

export function connectionRoutes({ broker, authenticateDevice }: { broker: Pick<Broker, 'tcpListener'>; authenticateDevice: DeviceAuthenticator }): FastifyPluginAsyncTypebox {
  return async (app) => {
    const auth = deviceRouteAuthentication(authenticateDevice);
    app.get(
      '/device/connection',
      {
        config: { access: 'device' },
        schema: {
          tags: ['device'],
          summary: "Where the calling device reaches the server's MQTT broker (TCP port and TLS, WebSocket path)",
          security: [{ deviceBasic: [] }],
          response: { 200: DeviceConnectionSchema, 401: ProblemSchema },
        },
        onRequest: auth.onRequest,
      },
      async () => deviceConnectionOf(broker),
    );
  };
}
