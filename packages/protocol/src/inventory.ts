/**
 * A device's inventory, read. The inventory is whatever the device reported (the Flotilla
 * agent's keys are in docs/agent.md; any device may PATCH its own), so every field is optional
 * and one of the wrong type reads as absent. The CLI and the dashboard show it from this reading.
 */

type Fields = Record<string, unknown>;

/** One disk of an inventory. */
export interface InventoryDiskFacts {
  mount: string | null;
  device: string | null;
  fsType: string | null;
  totalBytes: number | null;
}

/** One network interface of an inventory. */
export interface InventoryInterfaceFacts {
  name: string | null;
  mac: string | null;
  addresses: string[];
}

/** The facts of an inventory that people look for; null where the device did not say. */
export interface InventoryFacts {
  hostname: string | null;
  os: { name: string | null; version: string | null; kernel: string | null };
  arch: string | null;
  cpu: { model: string | null; cores: number | null };
  memoryBytes: number | null;
  board: { model: string | null; serial: string | null };
  agent: { version: string | null; node: string | null };
  disks: InventoryDiskFacts[];
  network: InventoryInterfaceFacts[];
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

/** Reads the facts of a reported inventory. */
export function readInventory(inventory: Fields): InventoryFacts {
  const os = objectAt(inventory, 'os');
  const cpu = objectAt(inventory, 'cpu');
  const board = objectAt(inventory, 'board');
  const agent = objectAt(inventory, 'agent');
  return {
    hostname: textAt(inventory, 'hostname'),
    os: { name: textAt(os, 'name') ?? textAt(os, 'platform'), version: textAt(os, 'version'), kernel: textAt(os, 'kernel') },
    arch: textAt(inventory, 'arch'),
    cpu: { model: textAt(cpu, 'model'), cores: numberAt(cpu, 'cores') },
    memoryBytes: numberAt(inventory, 'memoryBytes'),
    board: { model: textAt(board, 'model'), serial: textAt(board, 'serial') },
    agent: { version: textAt(agent, 'version'), node: textAt(agent, 'node') },
    disks: objectsAt(inventory, 'disks').map((disk) => ({ mount: textAt(disk, 'mount'), device: textAt(disk, 'device'), fsType: textAt(disk, 'fsType'), totalBytes: numberAt(disk, 'totalBytes') })),
    network: objectsAt(inventory, 'network').map((link) => {
      const addresses = link['addresses'];
      return { name: textAt(link, 'name'), mac: textAt(link, 'mac'), addresses: Array.isArray(addresses) ? addresses.filter((address): address is string => typeof address === 'string') : [] };
    }),
  };
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

/** `Cortex-A72 × 4 cores`, from what the inventory has of the two. */
export function describeCpu(cpu: InventoryFacts['cpu']): string | null {
  const parts = [cpu.model, cpu.cores === null ? null : `× ${cpu.cores} ${cpu.cores === 1 ? 'core' : 'cores'}`].filter((part): part is string => part !== null);
  return parts.length === 0 ? null : parts.join(' ');
}
