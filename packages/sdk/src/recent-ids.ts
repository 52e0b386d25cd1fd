/**
 * The ids of the last commands handed to the device's code. Delivery is at least once (again on
 * every MQTT subscription and HTTP poll until answered), so a repeated id is dropped here.
 */
export function createRecentIds(capacity = 1000) {
  const ids = new Set<string>();
  return {
    /** True the first time an id is seen; false for a repeat. */
    add(id: string): boolean {
      if (ids.has(id)) return false;
      ids.add(id);
      // A Set iterates in insertion order: the first entry is the oldest.
      if (ids.size > capacity) ids.delete(ids.values().next().value as string);
      return true;
    },
    has: (id: string) => ids.has(id),
  };
}
