/**
 * Labels of the devices of every tenant that has a selector subscription open, so that each
 * event is matched without a query. A tenant's labels are loaded when its first selector
 * subscription starts and dropped after its last ends; registry changes (deviceChanged on the
 * bus) refresh single devices in between.
 */
import type { BusEvents } from '../bus/bus.js';
import type { Logger } from '../log.js';
import type { Labels, LiveRepository } from './live.repository.js';

interface TenantLabels {
  users: number;
  labels: Map<string, Labels>;
  loaded: Promise<void>;
}

/** Creates the cache. */
export function createLabelCache(repository: LiveRepository, log: Logger) {
  const tenants = new Map<string, TenantLabels>();

  function load(tenantId: string, entry: TenantLabels): Promise<void> {
    return repository.labelsOfTenant(tenantId).then((loaded) => {
      // A refresh that landed while loading is newer than what the load read.
      for (const [deviceId, labels] of loaded) if (!entry.labels.has(deviceId)) entry.labels.set(deviceId, labels);
    });
  }

  return {
    /** Starts using a tenant's labels; resolves once they are loaded. */
    async acquire(tenantId: string): Promise<void> {
      let entry = tenants.get(tenantId);
      if (!entry) {
        entry = { users: 0, labels: new Map(), loaded: Promise.resolve() };
        entry.loaded = load(tenantId, entry);
        tenants.set(tenantId, entry);
      }
      entry.users++;
      try {
        await entry.loaded;
      } catch (error) {
        this.release(tenantId);
        throw error;
      }
    },

    /** Stops using a tenant's labels. */
    release(tenantId: string): void {
      const entry = tenants.get(tenantId);
      if (entry && --entry.users <= 0) tenants.delete(tenantId);
    },

    /** A device's labels, when its tenant is cached. */
    labelsOf(tenantId: string, deviceId: string): Labels | undefined {
      return tenants.get(tenantId)?.labels.get(deviceId);
    },

    /** Applies a registry change: re-reads the device, or forgets it. Never throws. */
    async refresh(event: BusEvents['deviceChanged']): Promise<void> {
      try {
        const current = event.change === 'deleted' ? null : await repository.deviceLabels(event.deviceId);
        for (const [tenantId, entry] of tenants) {
          if (current && current.tenantId === tenantId) entry.labels.set(event.deviceId, current.labels);
          else entry.labels.delete(event.deviceId);
        }
      } catch (error) {
        log.warn({ err: error, deviceId: event.deviceId }, 'refreshing device labels failed');
      }
    },
  };
}

/** The label cache. */
export type LabelCache = ReturnType<typeof createLabelCache>;
