/**
 * The summary of a device's inventory that `devices get` prints. The inventory is whatever the
 * device reported (the Flotilla agent's keys are in docs/agent.md), so every field is optional
 * and a field of the wrong type shows as missing rather than failing the command.
 */

type Fields = Record<string, unknown>;

function objectAt(value: unknown, key: string): Fields | undefined {
  const field = (value as Fields | undefined)?.[key];
  return typeof field === 'object' && field !== null && !Array.isArray(field) ? (field as Fields) : undefined;
}

function textAt(value: Fields | undefined, key: string): string | undefined {
  const field = value?.[key];
  return typeof field === 'string' && field !== '' ? field : typeof field === 'number' ? String(field) : undefined;
}

function numberAt(value: Fields | undefined, key: string): number | undefined {
  const field = value?.[key];
  return typeof field === 'number' && Number.isFinite(field) ? field : undefined;
}

function arrayAt(value: Fields | undefined, key: string): Fields[] {
  const field = value?.[key];
  return Array.isArray(field) ? field.filter((item): item is Fields => typeof item === 'object' && item !== null && !Array.isArray(item)) : [];
}

function stringsAt(value: Fields | undefined, key: string): string[] {
  const field = value?.[key];
  return Array.isArray(field) ? field.filter((item): item is string => typeof item === 'string') : [];
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

function joined(parts: (string | undefined)[], separator = ' '): string | undefined {
  const present = parts.filter((part): part is string => part !== undefined);
  return present.length === 0 ? undefined : present.join(separator);
}

function diskLine(disk: Fields): string | undefined {
  const totalBytes = numberAt(disk, 'totalBytes');
  return joined([textAt(disk, 'mount'), totalBytes === undefined ? undefined : formatBytes(totalBytes), textAt(disk, 'fsType')]);
}

/** Detail rows for the inventory: OS, arch, board, agent, CPU, memory, disks, network. */
export function inventoryRows(inventory: Fields | null): [string, string][] {
  if (inventory === null) return [['inventory', '- (not reported)']];
  const os = objectAt(inventory, 'os');
  const cpu = objectAt(inventory, 'cpu');
  const board = objectAt(inventory, 'board');
  const agent = objectAt(inventory, 'agent');
  const cores = numberAt(cpu, 'cores');
  const memoryBytes = numberAt(inventory, 'memoryBytes');
  const kernel = textAt(os, 'kernel');
  const serial = textAt(board, 'serial');
  const node = textAt(agent, 'node');
  const rows: [string, string | undefined][] = [
    ['hostname', textAt(inventory, 'hostname')],
    ['os', joined([joined([textAt(os, 'name') ?? textAt(os, 'platform'), textAt(os, 'version')]), kernel === undefined ? undefined : `kernel ${kernel}`], ', ')],
    ['arch', textAt(inventory, 'arch')],
    ['board', joined([textAt(board, 'model'), serial === undefined ? undefined : `(serial ${serial})`])],
    ['agent', joined([textAt(agent, 'version'), node === undefined ? undefined : `(node ${node})`])],
    ['cpu', joined([textAt(cpu, 'model'), cores === undefined ? undefined : `× ${cores} ${cores === 1 ? 'core' : 'cores'}`])],
    ['memory', memoryBytes === undefined ? undefined : formatBytes(memoryBytes)],
    ['disks', joined(arrayAt(inventory, 'disks').map(diskLine), '; ')],
    ['network', joined(arrayAt(inventory, 'network').map((link) => joined([textAt(link, 'name'), joined(stringsAt(link, 'addresses'), ', ')])), '; ')],
  ];
  return rows.map(([key, value]) => [key, value ?? '-']);
}
