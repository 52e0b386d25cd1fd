/** Readings as the offline buffer keeps them: one entry per timestamp, with original times. */
import { TelemetryPayloadError, type TelemetryPoint, type TelemetryValue } from '@flotilla/protocol';

/** One queued telemetry entry, in the protocol's `{"ts":…,"values":{…}}` form. */
export interface TelemetryEntry {
  ts: number;
  values: Record<string, TelemetryValue>;
}

/** Groups points by timestamp, keeping their order of first appearance. */
export function groupPoints(points: TelemetryPoint[]): TelemetryEntry[] {
  const byTs = new Map<number, TelemetryEntry>();
  for (const point of points) {
    const entry = byTs.get(point.ts) ?? { ts: point.ts, values: {} };
    entry.values[point.key] = point.value;
    byTs.set(point.ts, entry);
  }
  return [...byTs.values()];
}

/** Prefixes every key with the module's name (`temp` from module `garden` → `garden.temp`). */
export function prefixKeys(points: TelemetryPoint[], module: string): TelemetryPoint[] {
  return points.map((point) => {
    const key = `${module}.${point.key}`;
    if (key.length > 128) throw new TelemetryPayloadError(`${key}: with the module prefix the key is longer than 128 characters`);
    return { ...point, key };
  });
}
