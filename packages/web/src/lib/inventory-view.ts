/**
 * A device's inventory shaped for the device page. The inventory is whatever the device reported
 * (the Flotilla agent's keys are in docs/agent.md), so every field is optional and one of the
 * wrong type reads as missing rather than breaking the page.
 */

import { describeCpu, formatBytes, readInventory } from '@flotilla/protocol';

export { formatBytes };

/** One row of the disks table. */
export interface InventoryDisk {
  mount: string;
  device: string;
  fsType: string;
  size: string;
}

/** One row of the network table. */
export interface InventoryInterface {
  name: string;
  mac: string;
  addresses: string[];
}

/** The inventory as the page shows it: headline facts, a definition list, two tables. */
export interface InventoryView {
  agentVersion: string | null;
  boardModel: string | null;
  facts: [string, string][];
  disks: InventoryDisk[];
  network: InventoryInterface[];
}

/** The view of an inventory; facts the device left out are not listed. */
export function inventoryView(inventory: Record<string, unknown>): InventoryView {
  const facts = readInventory(inventory);
  const listed: [string, string | null][] = [
    ['Hostname', facts.hostname],
    ['Operating system', [facts.os.name, facts.os.version].filter((part) => part !== null).join(' ') || null],
    ['Kernel', facts.os.kernel],
    ['Architecture', facts.arch],
    ['CPU', describeCpu(facts.cpu)],
    ['Memory', facts.memoryBytes === null ? null : formatBytes(facts.memoryBytes)],
    ['Board serial', facts.board.serial],
    ['Node.js', facts.agent.node],
  ];
  return {
    agentVersion: facts.agent.version,
    boardModel: facts.board.model,
    facts: listed.filter((fact): fact is [string, string] => fact[1] !== null),
    disks: facts.disks.map((disk) => ({ mount: disk.mount ?? '-', device: disk.device ?? '-', fsType: disk.fsType ?? '-', size: disk.totalBytes === null ? '-' : formatBytes(disk.totalBytes) })),
    network: facts.network.map((link) => ({ name: link.name ?? '-', mac: link.mac ?? '-', addresses: link.addresses })),
  };
}

/** Whether a live device event says the device's inventory changed (a report that carried one). */
export function isInventoryReport(event: { kind: string; data: Record<string, unknown> }): boolean {
  return event.kind === 'state.reported' && event.data['inventory'] === true;
}
