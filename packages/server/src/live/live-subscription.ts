/** A client's subscription: which devices, keys and kinds of event it wants. */
import { LIVE_EVENTS, matchesSelector, type LabelRequirement, type LiveEventName, type LiveSubscribe, type TelemetryPoint } from '@flotilla/protocol';
import { parseRequirements } from '../devices/devices.service.js';
import type { Labels } from './live.repository.js';

/** A subscription, compiled for matching. Null filters match everything. */
export interface LiveSubscription {
  id: string;
  devices: ReadonlySet<string> | null;
  requirements: readonly LabelRequirement[] | null;
  keys: ReadonlySet<string> | null;
  events: ReadonlySet<LiveEventName>;
}

/** Compiles a subscribe message; a bad selector throws INVALID_SELECTOR. */
export function toSubscription(message: LiveSubscribe): LiveSubscription {
  const selector = message.selector?.trim();
  return {
    id: message.id,
    devices: message.devices ? new Set(message.devices) : null,
    requirements: selector ? parseRequirements(selector) : null,
    keys: message.keys ? new Set(message.keys) : null,
    events: new Set(message.events ?? LIVE_EVENTS),
  };
}

/** True when an event of this device is for the subscription; `labels` are needed for a selector. */
export function matchesDevice(subscription: LiveSubscription, deviceId: string, labels: Labels | undefined): boolean {
  if (subscription.devices && !subscription.devices.has(deviceId)) return false;
  if (!subscription.requirements) return true;
  return labels !== undefined && matchesSelector(labels, subscription.requirements);
}

/** The points the subscription wants. */
export function selectPoints(subscription: LiveSubscription, points: TelemetryPoint[]): TelemetryPoint[] {
  const keys = subscription.keys;
  return keys ? points.filter((point) => keys.has(point.key)) : points;
}
