/**
 * MQTT over WebSocket at `/mqtt` on the HTTP server (MQTT 3.1.1 section 6): each binary
 * WebSocket message carries MQTT bytes, and the stream is handed to the broker like a TCP socket.
 */
import { WebSocketServer, createWebSocketStream } from 'ws';
import type { UpgradeHandler } from '../http/upgrade.js';
import type { Broker } from './broker.js';

/** The upgrade handler of `/mqtt`; frames over `maxFrameBytes` close the socket (1009). */
export function createMqttWebSocketHandler(broker: Pick<Broker, 'handle'>, maxFrameBytes: number): UpgradeHandler {
  const server = new WebSocketServer({
    noServer: true,
    maxPayload: maxFrameBytes,
    perMessageDeflate: false,
    // [MQTT-6.0.0-3], [MQTT-6.0.0-4]: the client offers "mqtt" and the server selects it
    // ("mqttv3.1" is what MQTT 3.1 clients offer).
    handleProtocols: (protocols) => (protocols.has('mqtt') ? 'mqtt' : protocols.has('mqttv3.1') ? 'mqttv3.1' : false),
  });
  return (request, socket, head) => {
    server.handleUpgrade(request, socket, head, (webSocket) => broker.handle(createWebSocketStream(webSocket), request));
  };
}
