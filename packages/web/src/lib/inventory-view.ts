/**
 * A device's inventory shaped for the device page. The inventory is whatever the device reported
 * (the Flotilla agent's keys are in docs/agent.md), so every field is optional and one of the
 * wrong type reads as missing rather than breaking the page.
 */

type Fields = Record<string, unknown>;

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

function objectAt(value: Fields | undefined, key: string): Fields | undefined {
  const field = value?.[key];
  return typeof field === 'object' && field !== null && !Array.isArray(field) ? (field as Fields) : undefined;
}

function textAt(value: Fields | undefined, key: string): string | null {
  const field = value?.[key];
  if (typeof field === 'string' && field !== '') return field;
  return typeof field === 'number' && Number.isFinite(field) ? String(field) : null;
}

function numberAt(value: Fields | undefined, key: string): number | null {
  const field = value?.[key];
  return typeof field === 'number' && Number.isFinite(field) ? field : null;
}

function objectsAt(value: Fields, key: string): Fields[] {
  const field = value[key];
  return Array.isArray(field) ? field.filter((item): item is Fields => typeof item === 'object' && item !== null && !Array.isArray(item)) : [];
}

function joined(parts: (string | null)[], separator = ' '): string | null {
  const present = parts.filter((part): part is string => part !== null);
  return present.length === 0 ? null : present.join(separator);
}

/** Bytes in binary units with one decimal: `3.7 GiB`. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** The view of an inventory; facts the device left out are not listed. */
export function inventoryView(inventory: Fields): InventoryView {
  const os = objectAt(inventory, 'os');
  const cpu = objectAt(inventory, 'cpu');
  const board = objectAt(inventory, 'board');
  const agent = objectAt(inventory, 'agent');
  const cores = numberAt(cpu, 'cores');
  const memoryBytes = numberAt(inventory, 'memoryBytes');
  const facts: [string, string | null][] = [
    ['Hostname', textAt(inventory, 'hostname')],
    ['Operating system', joined([textAt(os, 'name') ?? textAt(os, 'platform'), textAt(os, 'version')])],
    ['Kernel', textAt(os, 'kernel')],
    ['Architecture', textAt(inventory, 'arch')],
    ['CPU', joined([textAt(cpu, 'model'), cores === null ? null : `× ${cores} ${cores === 1 ? 'core' : 'cores'}`])],
    ['Memory', memoryBytes === null ? null : formatBytes(memoryBytes)],
    ['Board serial', textAt(board, 'serial')],
    ['Node.js', textAt(agent, 'node')],
  ];
  return {
    agentVersion: textAt(agent, 'version'),
    boardModel: textAt(board, 'model'),
    facts: facts.filter((fact): fact is [string, string] => fact[1] !== null),
    disks: objectsAt(inventory, 'disks').map((disk) => {
      const totalBytes = numberAt(disk, 'totalBytes');
      return { mount: textAt(disk, 'mount') ?? '-', device: textAt(disk, 'device') ?? '-', fsType: textAt(disk, 'fsType') ?? '-', size: totalBytes === null ? '-' : formatBytes(totalBytes) };
    }),
    network: objectsAt(inventory, 'network').map((link) => {
      const addresses = link['addresses'];
      return {
        name: textAt(link, 'name') ?? '-',
        mac: textAt(link, 'mac') ?? '-',
        addresses: Array.isArray(addresses) ? addresses.filter((address): address is string => typeof address === 'string') : [],
      };
    }),
  };
}

/** Whether a live device event says the device's inventory changed (a report that carried one). */
export function isInventoryReport(event: { kind: string; data: Record<string, unknown> }): boolean {
  return event.kind === 'state.reported' && event.data['inventory'] === true;
}
