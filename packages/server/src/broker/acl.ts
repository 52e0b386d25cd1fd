/**
 * Topic access of a device: it publishes and subscribes only under its own prefix,
 * `flotilla/v1/d/{id}/`, and publishes only the topics that go device → server. Topics are
 * built and parsed by the protocol package alone.
 */
import { deviceTopicPrefix, parseDeviceTopic, type ParsedDeviceTopic } from '@flotilla/protocol';

/** Topic kinds a device sends to the server. */
export type DeviceToServerKind = 'telemetry' | 'stateReported' | 'commandResult' | 'events';

const deviceToServer = new Set<ParsedDeviceTopic['kind']>(['telemetry', 'stateReported', 'commandResult', 'events']);
const serverToDevice = new Set<ParsedDeviceTopic['kind']>(['stateDesired', 'command', 'commandCancel']);

/** The kind of a topic this device may publish to, or null when the ACL forbids it. */
export function publishableKind(deviceId: string, topic: string): { kind: DeviceToServerKind; parsed: ParsedDeviceTopic } | null {
  const parsed = parseDeviceTopic(topic);
  if (!parsed || parsed.deviceId !== deviceId || !deviceToServer.has(parsed.kind)) return null;
  return { kind: parsed.kind as DeviceToServerKind, parsed };
}

/** True when the device may subscribe to this filter: anything under its own prefix. */
export function isSubscriptionAllowed(deviceId: string, topicFilter: string): boolean {
  return topicFilter.startsWith(deviceTopicPrefix(deviceId));
}

/** True when a message on this topic may be delivered to this device: server → device topics of its own. */
export function isDeliveryAllowed(deviceId: string, topic: string): boolean {
  const parsed = parseDeviceTopic(topic);
  return parsed !== null && parsed.deviceId === deviceId && serverToDevice.has(parsed.kind);
}

/** True when the server may publish on this topic (server → device topics only). */
export function isServerTopic(topic: string): boolean {
  const parsed = parseDeviceTopic(topic);
  return parsed !== null && serverToDevice.has(parsed.kind);
}

/** True when an MQTT topic filter (with `+` and `#` wildcards) matches a topic name ([MQTT-4.7.1]). */
export function topicMatches(filter: string, topic: string): boolean {
  const filterLevels = filter.split('/');
  const topicLevels = topic.split('/');
  for (let index = 0; index < filterLevels.length; index++) {
    const level = filterLevels[index];
    if (level === '#') return true;
    if (index >= topicLevels.length) return false;
    if (level !== '+' && level !== topicLevels[index]) return false;
  }
  return filterLevels.length === topicLevels.length;
}
