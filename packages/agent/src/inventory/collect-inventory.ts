/**
 * The device's inventory: what it is rather than how it is doing. Sent as the `inventory`
 * section of the reported state at start and whenever its hash changes.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statfsSync } from 'node:fs';
import { arch, cpus, hostname, networkInterfaces, platform, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { dataMounts, parseMounts } from '../metrics/proc-parsers.js';

/** The inventory document (its keys are documented in docs/agent.md). */
export interface Inventory {
  hostname: string;
  os: { platform: string; name: string | null; version: string | null; kernel: string };
  arch: string;
  cpu: { model: string | null; cores: number };
  memoryBytes: number;
  disks: Array<{ mount: string; device: string; fsType: string; totalBytes: number }>;
  network: Array<{ name: string; mac: string; addresses: string[] }>;
  board: { model: string | null; serial: string | null };
  agent: { version: string; node: string };
}

/** Where the kernel's files are; tests point these at sample trees. */
export interface InventorySources {
  procDir?: string;
  etcDir?: string;
  /** /proc/device-tree on boards that have one (every Raspberry Pi). */
  deviceTreeDir?: string;
  agentVersion: string;
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** Collects the inventory now. */
export function collectInventory(sources: InventorySources): Inventory {
  const procDir = sources.procDir ?? '/proc';
  const etcDir = sources.etcDir ?? '/etc';
  const deviceTreeDir = sources.deviceTreeDir ?? join(procDir, 'device-tree');
  const osRelease = parseOsRelease(readText(join(etcDir, 'os-release')) ?? '');
  const cores = cpus();
  return {
    hostname: hostname(),
    os: { platform: platform(), name: osRelease.get('NAME') ?? null, version: osRelease.get('VERSION') ?? osRelease.get('VERSION_ID') ?? null, kernel: release() },
    arch: arch(),
    cpu: { model: cpuModel(procDir) ?? cores[0]?.model ?? null, cores: cores.length },
    memoryBytes: totalmem(),
    disks: disks(procDir),
    network: network(),
    board: {
      // Device-tree strings end with a NUL byte.
      model: readText(join(deviceTreeDir, 'model'))?.replace(/\0/g, '').trim() || null,
      serial: readText(join(deviceTreeDir, 'serial-number'))?.replace(/\0/g, '').trim() || null,
    },
    agent: { version: sources.agentVersion, node: process.version },
  };
}

/** A stable digest of the inventory, to tell whether it changed. */
export function inventoryHash(inventory: Inventory): string {
  return createHash('sha256').update(JSON.stringify(inventory)).digest('hex');
}

/** KEY=value lines of /etc/os-release, quotes removed. */
export function parseOsRelease(text: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (match) values.set(match[1] as string, (match[2] as string).replace(/^["']|["']$/g, ''));
  }
  return values;
}

// ARM kernels name the CPU in `model name` on some boards and only in `Hardware`/`Model` on others.
function cpuModel(procDir: string): string | null {
  const text = readText(join(procDir, 'cpuinfo'));
  if (!text) return null;
  for (const field of ['model name', 'Hardware', 'Model', 'cpu model']) {
    const match = new RegExp(`^${field}\\s*:\\s*(.+)$`, 'm').exec(text);
    if (match) return (match[1] as string).trim();
  }
  return null;
}

function disks(procDir: string): Inventory['disks'] {
  const text = readText(join(procDir, 'mounts'));
  if (!text) return [];
  return dataMounts(parseMounts(text)).flatMap((mount) => {
    try {
      const stats = statfsSync(mount.mountPoint);
      return [{ mount: mount.mountPoint, device: mount.source, fsType: mount.fsType, totalBytes: stats.blocks * stats.bsize }];
    } catch {
      return [];
    }
  });
}

function network(): Inventory['network'] {
  return Object.entries(networkInterfaces())
    .filter(([name, addresses]) => name !== 'lo' && !name.startsWith('veth') && addresses?.some((address) => !address.internal))
    .map(([name, addresses]) => ({
      name,
      mac: addresses?.[0]?.mac ?? '',
      addresses: (addresses ?? []).map((address) => address.cidr ?? address.address),
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}
