/**
 * Connecting a device, as a list of steps run in series once Aedes has parsed a valid CONNECT
 * (MQTT 3.1.1 section 3.1.4: "the Server MAY check that the contents of the CONNECT Packet meet
 * any further restrictions and MAY perform authentication and authorization checks"). The first
 * step that refuses decides the CONNACK return code ([MQTT-3.2.2-5]: a non-zero code, then the
 * connection closes).
 *
 *   admit        → 3 server unavailable   (connection attempts over the rate, or shutting down)
 *   identify     → 2 identifier rejected  (empty client id with CleanSession 0, [MQTT-3.1.3-8])
 *   authenticate → 4 bad user name or password (username = device id, password = device secret)
 *   authorise    → 5 not authorised       (the device has too many connections already)
 */
import type { Client } from 'aedes';
import type { AuthenticatedDevice, DeviceAuthenticator } from '../telemetry/device-auth.js';
import type { ConnectOutcome } from './broker-metrics.js';
import type { RateLimiter } from './rate-limiter.js';

/** CONNACK return codes of MQTT 3.1.1 (section 3.2.2.3, Table 3.1). */
export const CONNACK = { identifierRejected: 2, serverUnavailable: 3, badUsernameOrPassword: 4, notAuthorized: 5 } as const;

/** Connections one device may hold at once (several client ids: agent, a script, a shell). */
export const MAX_CONNECTIONS_PER_DEVICE = 16;

/** What one attempt carries through the steps; `device` is set by authenticate. */
export interface ConnectAttempt {
  client: Client;
  username: string | undefined;
  password: Buffer | undefined;
  isClientIdEmpty: boolean;
  device: AuthenticatedDevice | null;
}

/** Why a step refused: the CONNACK code, the metric outcome, and a reason for the log. */
export interface ConnectRefusal {
  returnCode: (typeof CONNACK)[keyof typeof CONNACK];
  outcome: ConnectOutcome;
  reason: string;
}

type ConnectStep = (attempt: ConnectAttempt) => ConnectRefusal | null | Promise<ConnectRefusal | null>;

/** What the steps consult. */
export interface ConnectStepDependencies {
  limiter: RateLimiter;
  isStopping: () => boolean;
  authenticateDevice: DeviceAuthenticator;
  connectionsOf: (deviceId: string) => readonly Client[];
}

/** Builds the steps; the function returned runs them and says why the attempt was refused, or null. */
export function createConnectSteps({ limiter, isStopping, authenticateDevice, connectionsOf }: ConnectStepDependencies) {
  const admit: ConnectStep = () => {
    if (isStopping()) return { returnCode: CONNACK.serverUnavailable, outcome: 'shutting_down', reason: 'shutting down' };
    if (!limiter.tryTake()) return { returnCode: CONNACK.serverUnavailable, outcome: 'rate_limited', reason: 'too many connection attempts' };
    return null;
  };

  const identify: ConnectStep = ({ client, isClientIdEmpty }) =>
    isClientIdEmpty && !client.clean
      ? { returnCode: CONNACK.identifierRejected, outcome: 'identifier_rejected', reason: 'empty client id needs a clean session' }
      : null;

  const authenticate: ConnectStep = async (attempt) => {
    const { username, password } = attempt;
    if (!username || !password) {
      return { returnCode: CONNACK.badUsernameOrPassword, outcome: 'bad_credentials', reason: 'username (device id) and password (secret) are required' };
    }
    attempt.device = await authenticateDevice(username, password.toString('utf8'));
    return attempt.device ? null : { returnCode: CONNACK.badUsernameOrPassword, outcome: 'bad_credentials', reason: 'wrong device id or secret' };
  };

  const authorise: ConnectStep = ({ client, device }) => {
    const connections = connectionsOf((device as AuthenticatedDevice).id);
    // A reconnect with a client id in use takes that connection over ([MQTT-3.1.4-2]); it adds none.
    const isTakeover = connections.some((connection) => connection.id === client.id);
    if (connections.length < MAX_CONNECTIONS_PER_DEVICE || isTakeover) return null;
    return { returnCode: CONNACK.notAuthorized, outcome: 'too_many_connections', reason: `device has ${connections.length} connections already` };
  };

  const steps: readonly ConnectStep[] = [admit, identify, authenticate, authorise];

  return async function runConnectSteps(attempt: ConnectAttempt): Promise<ConnectRefusal | null> {
    for (const step of steps) {
      const refusal = await step(attempt);
      if (refusal) return refusal;
    }
    return null;
  };
}
