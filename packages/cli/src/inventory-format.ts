/**
 * The summary of a device's inventory that `devices get` prints, from the protocol's reading of
 * it (`readInventory`: every field optional, a field of the wrong type shows as missing).
 */
import { describeCpu, formatBytes, readInventory } from '@flotilla/protocol';

export { formatBytes };

function joined(parts: (string | null)[], separator = ' '): string | null {
  const present = parts.filter((part): part is string => part !== null);
  return present.length === 0 ? null : present.join(separator);
}

/** Detail rows for the inventory: OS, arch, board, agent, CPU, memory, disks, network. */
export function inventoryRows(inventory: Record<string, unknown> | null): [string, string][] {
  if (inventory === null) return [['inventory', '- (not reported)']];
  const facts = readInventory(inventory);
  const { os, board, agent } = facts;
  const rows: [string, string | null][] = [
    ['hostname', facts.hostname],
    ['os', joined([joined([os.name, os.version]), os.kernel === null ? null : `kernel ${os.kernel}`], ', ')],
    ['arch', facts.arch],
    ['board', joined([board.model, board.serial === null ? null : `(serial ${board.serial})`])],
    ['agent', joined([agent.version, agent.node === null ? null : `(node ${agent.node})`])],
    ['cpu', describeCpu(facts.cpu)],
    ['memory', facts.memoryBytes === null ? null : formatBytes(facts.memoryBytes)],
    ['disks', joined(facts.disks.map((disk) => joined([disk.mount, disk.totalBytes === null ? null : formatBytes(disk.totalBytes), disk.fsType])), '; ')],
    ['network', joined(facts.network.map((link) => joined([link.name, joined(link.addresses, ', ')])), '; ')],
  ];
  return rows.map(([key, value]) => [key, value ?? '-']);
}
