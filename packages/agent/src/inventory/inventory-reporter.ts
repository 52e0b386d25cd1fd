/** Reports the inventory at start and again whenever its hash changes. */
import type { Logger } from 'pino';
import type { ReportedState } from '../session/reported-state.js';
import { collectInventory, inventoryHash } from './collect-inventory.js';

export interface InventoryReporter {
  stop(): void;
}

export function startInventoryReporter(options: { intervalMs: number; reported: ReportedState; log: Logger; agentVersion: string }): InventoryReporter {
  let lastHash: string | null = null;
  const check = () => {
    try {
      const inventory = collectInventory({ agentVersion: options.agentVersion });
      const hash = inventoryHash(inventory);
      if (hash === lastHash) return;
      if (lastHash !== null) options.log.info('inventory changed');
      lastHash = hash;
      options.reported.set('inventory', inventory as never);
    } catch (error) {
      options.log.warn({ err: error }, 'collecting the inventory failed');
    }
  };
  check();
  const timer = setInterval(check, options.intervalMs);
  return { stop: () => clearInterval(timer) };
}
