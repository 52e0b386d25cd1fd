/**
 * What the server's own notices (`telemetry.rejected`, `mqtt.publish_denied`, …) look like as
 * stored events: the bus carries only their kind and data, so level and message come from here.
 */
import type { EventLevel } from '@flotilla/protocol';

// Refusals are warnings: the device sent something that was not kept.
const warningKind = /(?:^|[._])(rejected|denied|too_large|dropped|lost)$/;

/** The level of a server-raised event: warn for refusals, info for everything else. */
export function levelOfServerEvent(kind: string): EventLevel {
  return warningKind.test(kind) ? 'warn' : 'info';
}

/** A one-line message for a server-raised event, from its data. */
export function messageOfServerEvent(data: Record<string, unknown>): string {
  if (typeof data.reason === 'string') return data.reason.slice(0, 4096);
  if (typeof data.topic === 'string') return `topic ${data.topic}`;
  if (typeof data.version === 'number') return `version ${data.version}`;
  return '';
}
