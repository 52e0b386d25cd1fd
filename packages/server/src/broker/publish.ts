/**
 * What happens to a PUBLISH from a device, as a list of steps run in series. MQTT 3.1.1 has no
 * negative acknowledgement: "If a Server implementation does not authorize a PUBLISH to be
 * performed by a Client; it has no way of informing that Client. It MUST either make a positive
 * acknowledgement, according to the normal QoS rules, or close the Network Connection"
 * [MQTT-3.3.5-2]. A refused message is therefore acknowledged and dropped (and counted, and told
 * to the device's owner as a deviceEvent): closing would only make the device send it again.
 * Only a failure to store is answered by closing, so that the device keeps and resends it.
 *
 *   checkTopic  → drop 'acl'             (not under flotilla/v1/d/{its id}/, or a server → device topic)
 *   checkSize   → drop 'too_large'       (payload over FLOTILLA_MQTT_MAX_PAYLOAD)
 *   deliver     → the topic's handler: telemetry is parsed and committed before the acknowledgement
 */
import { TelemetryPayloadError, defaultTelemetryLimits, parseTelemetry, type ParsedDeviceTopic } from '@flotilla/protocol';
import type { Bus } from '../bus/bus.js';
import type { Logger } from '../log.js';
import type { AuthenticatedDevice } from '../telemetry/device-auth.js';
import type { Ingest } from '../telemetry/ingest.js';
import { publishableKind, type DeviceToServerKind } from './acl.js';
import type { BrokerMetrics, DropReason } from './broker-metrics.js';

/** One publish as the steps see it. */
export interface DevicePublish {
  device: AuthenticatedDevice;
  topic: string;
  payload: Buffer;
  qos: 0 | 1 | 2;
}

/**
 * Handles a device → server message of one topic kind; resolves once it is safe to acknowledge.
 * Throwing means "not stored": the connection closes (QoS 1 and 2) so the device resends.
 */
export type DevicePublishHandler = (publish: DevicePublish, topic: ParsedDeviceTopic) => Promise<void>;

/** The outcome of one publish: acknowledge (null) or close the connection (the error). */
export type PublishOutcome = Error | null;

/** What the steps use. */
export interface PublishDependencies {
  maxPayloadBytes: number;
  ingest: Pick<Ingest, 'submit'>;
  /** Counts a refused telemetry payload on the device and tells its owner (never throws). */
  rejectTelemetry: (device: AuthenticatedDevice, reason: string, transport: string) => Promise<void>;
  bus: Bus;
  metrics: BrokerMetrics;
  log: Logger;
}

/** A publish on its way through the steps; checkTopic learns its topic's kind. */
interface PublishInProgress extends DevicePublish {
  route?: { kind: DeviceToServerKind; parsed: ParsedDeviceTopic };
}

type PublishStep = (publish: PublishInProgress) => Promise<PublishOutcome | undefined> | PublishOutcome | undefined;

/** Builds the steps; the function returned runs them for one publish and never rejects. */
export function createPublishSteps({ maxPayloadBytes, ingest, rejectTelemetry, bus, metrics, log }: PublishDependencies) {
  const handlers = new Map<DeviceToServerKind, DevicePublishHandler>();

  function drop(publish: DevicePublish, reason: DropReason, kind: string | null, data: Record<string, unknown>): null {
    metrics.drop(reason);
    log.debug({ deviceId: publish.device.id, topic: publish.topic, reason }, 'mqtt publish dropped');
    if (kind) bus.publish('deviceEvent', { tenantId: publish.device.tenantId, deviceId: publish.device.id, kind, at: Date.now(), data });
    return null;
  }

  handlers.set('telemetry', async (publish) => {
    let points;
    try {
      points = parseTelemetry(publish.payload.toString('utf8'), Date.now(), defaultTelemetryLimits);
    } catch (error) {
      if (!(error instanceof TelemetryPayloadError)) throw error;
      metrics.drop('invalid_payload');
      await rejectTelemetry(publish.device, error.message, 'mqtt');
      return;
    }
    await ingest.submit({ tenantId: publish.device.tenantId, deviceId: publish.device.id, points });
  });

  const checkTopic: PublishStep = (publish) => {
    publish.route = publishableKind(publish.device.id, publish.topic) ?? undefined;
    if (publish.route) return undefined;
    return drop(publish, 'acl', 'mqtt.publish_denied', { topic: publish.topic, reason: 'a device publishes only to its own device → server topics' });
  };

  const checkSize: PublishStep = (publish) =>
    publish.payload.length <= maxPayloadBytes
      ? undefined
      : drop(publish, 'too_large', 'mqtt.payload_too_large', { topic: publish.topic, bytes: publish.payload.length, limit: maxPayloadBytes });

  const deliver: PublishStep = async (publish) => {
    const { kind, parsed } = publish.route as NonNullable<PublishInProgress['route']>;
    const handler = handlers.get(kind);
    if (!handler) return drop(publish, 'no_handler', null, {});
    try {
      await handler(publish, parsed);
      return null;
    } catch (error) {
      metrics.drop('ingest_failed');
      log.warn({ err: error, deviceId: publish.device.id, topic: publish.topic }, 'mqtt message not stored');
      // QoS 0 promised nothing; for QoS 1 and 2, closing without an acknowledgement makes the device resend.
      return publish.qos === 0 ? null : error instanceof Error ? error : new Error(String(error));
    }
  };

  const steps: readonly PublishStep[] = [checkTopic, checkSize, deliver];

  return {
    /** Runs the steps: null to acknowledge, an error to close the connection. */
    async run(incoming: DevicePublish): Promise<PublishOutcome> {
      const publish: PublishInProgress = incoming;
      metrics.publish();
      try {
        for (const step of steps) {
          const outcome = await step(publish);
          if (outcome !== undefined) return outcome;
        }
        return null;
      } catch (error) {
        log.error({ err: error, deviceId: publish.device.id }, 'mqtt publish step failed');
        return error instanceof Error ? error : new Error(String(error));
      }
    },
    /** Lets another feature handle a device → server topic kind (state, command results, events). */
    setHandler(kind: DeviceToServerKind, handler: DevicePublishHandler): void {
      handlers.set(kind, handler);
    },
  };
}

/** The publish steps of a broker. */
export type PublishSteps = ReturnType<typeof createPublishSteps>;
