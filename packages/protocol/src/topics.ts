/**
 * MQTT topics of the device protocol, version 1. Every topic a device touches starts with its
 * own prefix, `flotilla/v1/d/{deviceId}/`, which is what the broker's ACL checks. Once released,
 * a topic changes only with a new version prefix.
 */

/** The root of every version-1 topic. */
export const TOPIC_ROOT = 'flotilla/v1';

/** The prefix of every topic of one device, ending in a slash. */
export function deviceTopicPrefix(deviceId: string): string {
  return `${TOPIC_ROOT}/d/${deviceId}/`;
}

/** Topics of one device, by purpose. */
export const topics = {
  /** device → server: telemetry readings. */
  telemetry: (deviceId: string) => `${deviceTopicPrefix(deviceId)}telemetry`,
  /** device → server: JSON merge patch of the reported state. */
  stateReported: (deviceId: string) => `${deviceTopicPrefix(deviceId)}state/reported`,
  /** server → device, retained: the effective desired state. */
  stateDesired: (deviceId: string) => `${deviceTopicPrefix(deviceId)}state/desired`,
  /** server → device: one command. */
  command: (deviceId: string, commandId: string) => `${deviceTopicPrefix(deviceId)}commands/${commandId}`,
  /** server → device: subscription filter for all commands. */
  commands: (deviceId: string) => `${deviceTopicPrefix(deviceId)}commands/+`,
  /** server → device: a command the device was given has been cancelled (CommandCancel). */
  commandCancel: (deviceId: string, commandId: string) => `${deviceTopicPrefix(deviceId)}commands/${commandId}/cancel`,
  /** server → device: subscription filter for all cancellations. */
  commandCancels: (deviceId: string) => `${deviceTopicPrefix(deviceId)}commands/+/cancel`,
  /** device → server: a command's result. */
  commandResult: (deviceId: string, commandId: string) => `${deviceTopicPrefix(deviceId)}commands/${commandId}/result`,
  /** device → server: log lines and lifecycle events. */
  events: (deviceId: string) => `${deviceTopicPrefix(deviceId)}events`,
} as const;

/** What a device topic names, once parsed. */
export type ParsedDeviceTopic =
  | { deviceId: string; kind: 'telemetry' | 'stateReported' | 'stateDesired' | 'events' }
  | { deviceId: string; kind: 'command' | 'commandResult' | 'commandCancel'; commandId: string };

const devicePattern = /^flotilla\/v1\/d\/([^/+#]+)\/(.+)$/;
const commandPattern = /^commands\/([^/+#]+)(?:\/(result|cancel))?$/;
const commandKinds = { result: 'commandResult', cancel: 'commandCancel' } as const;
const simpleKinds: Record<string, 'telemetry' | 'stateReported' | 'stateDesired' | 'events'> = {
  telemetry: 'telemetry',
  'state/reported': 'stateReported',
  'state/desired': 'stateDesired',
  events: 'events',
};

/** Parses a version-1 device topic; null for anything else. */
export function parseDeviceTopic(topic: string): ParsedDeviceTopic | null {
  const match = devicePattern.exec(topic);
  if (!match) return null;
  const [, deviceId = '', rest = ''] = match;
  const simple = simpleKinds[rest];
  if (simple) return { deviceId, kind: simple };
  const command = commandPattern.exec(rest);
  if (command?.[1]) return { deviceId, kind: command[2] ? commandKinds[command[2] as keyof typeof commandKinds] : 'command', commandId: command[1] };
  return null;
}
