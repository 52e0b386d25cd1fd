/** Parsers of the Linux text files the metrics come from; pure, so tests feed them samples. */

/** Busy and total jiffies of all CPUs, from the first line of /proc/stat. */
export interface CpuTimes {
  busy: number;
  total: number;
}

/** Reads the aggregate `cpu` line of /proc/stat. */
export function parseProcStat(text: string): CpuTimes | null {
  const line = text.split('\n').find((candidate) => candidate.startsWith('cpu '));
  if (!line) return null;
  const fields = line.trim().split(/\s+/).slice(1).map(Number);
  if (fields.length < 4 || fields.some((field) => !Number.isFinite(field))) return null;
  // user nice system idle iowait irq softirq steal (guest time is already in user and nice).
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = fields;
  const idleAll = idle + iowait;
  const total = user + nice + system + idleAll + irq + softirq + steal;
  return { busy: total - idleAll, total };
}

/** Percent busy between two samples, or null when no time passed. */
export function cpuPercent(before: CpuTimes, after: CpuTimes): number | null {
  const total = after.total - before.total;
  if (total <= 0) return null;
  return round(((after.busy - before.busy) / total) * 100);
}

/** Fields of /proc/meminfo in bytes (the file says kB). */
export function parseMeminfo(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^(\w+(?:\(\w+\))?):\s+(\d+)(?:\s+kB)?$/.exec(line.trim());
    if (match) values.set(match[1] as string, Number(match[2]) * (line.includes('kB') ? 1024 : 1));
  }
  return values;
}

/** Received and sent byte counters of one interface. */
export interface InterfaceCounters {
  name: string;
  rxBytes: number;
  txBytes: number;
}

/** Reads /proc/net/dev (two header lines, then `name: rx_bytes … tx_bytes …`). */
export function parseNetDev(text: string): InterfaceCounters[] {
  const counters: InterfaceCounters[] = [];
  for (const line of text.split('\n').slice(2)) {
    const match = /^\s*([^:\s]+):\s*(.*)$/.exec(line);
    if (!match) continue;
    const fields = (match[2] as string).trim().split(/\s+/).map(Number);
    if (fields.length < 9) continue;
    counters.push({ name: match[1] as string, rxBytes: fields[0] as number, txBytes: fields[8] as number });
  }
  return counters;
}

/** One line of /proc/mounts. */
export interface MountEntry {
  source: string;
  mountPoint: string;
  fsType: string;
}

// Octal escapes in /proc/mounts: space is \040, tab \011, newline \012, backslash \134.
function unescapeMount(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_match, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}

/** Reads /proc/mounts. */
export function parseMounts(text: string): MountEntry[] {
  return text
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields.length >= 3)
    .map(([source, mountPoint, fsType]) => ({ source: unescapeMount(source as string), mountPoint: unescapeMount(mountPoint as string), fsType: fsType as string }));
}

// Filesystems that hold no user data or that mirror another mount.
const PSEUDO_FILESYSTEMS = new Set([
  'autofs', 'binfmt_misc', 'bpf', 'cgroup', 'cgroup2', 'configfs', 'debugfs', 'devpts', 'devtmpfs', 'efivarfs', 'fusectl',
  'fuse.lxcfs', 'fuse.gvfsd-fuse', 'fuse.portal', 'hugetlbfs', 'mqueue', 'nsfs', 'proc', 'pstore', 'ramfs', 'rpc_pipefs',
  'securityfs', 'selinuxfs', 'squashfs', 'sysfs', 'tmpfs', 'tracefs', 'overlay', 'shm', 'nfsd', 'rootfs',
]);

/** The mounts that hold data: no pseudo filesystem, each device once (its shortest mount point). */
export function dataMounts(mounts: MountEntry[]): MountEntry[] {
  const byDevice = new Map<string, MountEntry>();
  for (const mount of mounts) {
    // A container's root is an overlay: it is the one disk there is, so keep it.
    const isContainerRoot = mount.fsType === 'overlay' && mount.mountPoint === '/';
    if (PSEUDO_FILESYSTEMS.has(mount.fsType) && !isContainerRoot) continue;
    if (mount.mountPoint.startsWith('/proc') || mount.mountPoint.startsWith('/sys') || mount.mountPoint.startsWith('/dev')) continue;
    const known = byDevice.get(mount.source);
    if (!known || mount.mountPoint.length < known.mountPoint.length) byDevice.set(mount.source, mount);
  }
  return [...byDevice.values()].sort((a, b) => a.mountPoint.localeCompare(b.mountPoint));
}

/** A telemetry-key-safe form of a name (keys allow letters, digits and `_.:/-`). */
export function keyPart(name: string): string {
  return name.replace(/[^A-Za-z0-9_.:/-]/g, '_').slice(0, 64);
}

/** Rounds to two decimals, enough for percents and degrees. */
export function round(value: number): number {
  return Math.round(value * 100) / 100;
}
