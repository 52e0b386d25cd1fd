/**
 * Metrics of the device, collected from /proc, /sys, node:os and statfs without any native
 * module. Each call returns flat telemetry values; keys are listed in docs/agent.md.
 */
import { readdirSync, readFileSync, statfsSync } from 'node:fs';
import { cpus, freemem, loadavg, totalmem, uptime } from 'node:os';
import { join } from 'node:path';
import { cpuPercent, dataMounts, keyPart, parseMeminfo, parseMounts, parseNetDev, parseProcStat, round, type CpuTimes } from './proc-parsers.js';

/** Where the kernel's files are; tests point these at sample trees. */
export interface MetricsSources {
  procDir?: string;
  sysDir?: string;
}

/** Collects one sample each call; CPU percent is measured since the previous call. */
export interface MetricsCollector {
  collect(): Record<string, number>;
}

export function createMetricsCollector(sources: MetricsSources = {}): MetricsCollector {
  const procDir = sources.procDir ?? '/proc';
  const sysDir = sources.sysDir ?? '/sys';
  let previousCpu = readCpuTimes(procDir);

  return {
    collect() {
      const values: Record<string, number> = {};
      const currentCpu = readCpuTimes(procDir);
      const percent = previousCpu && currentCpu ? cpuPercent(previousCpu, currentCpu) : null;
      if (percent !== null) values['cpu.percent'] = percent;
      previousCpu = currentCpu;
      const [load1, load5, load15] = loadavg();
      Object.assign(values, { 'load.1': round(load1 ?? 0), 'load.5': round(load5 ?? 0), 'load.15': round(load15 ?? 0) });
      Object.assign(values, memoryValues(procDir));
      Object.assign(values, diskValues(procDir));
      Object.assign(values, temperatureValues(sysDir));
      Object.assign(values, networkValues(procDir));
      values['uptime.seconds'] = Math.round(uptime());
      return values;
    },
  };
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

function readCpuTimes(procDir: string): CpuTimes | null {
  const text = readText(join(procDir, 'stat'));
  if (text) return parseProcStat(text);
  // Not Linux: node's per-core counters, summed.
  let busy = 0;
  let total = 0;
  for (const cpu of cpus()) {
    const { user, nice, sys, idle, irq } = cpu.times;
    busy += user + nice + sys + irq;
    total += user + nice + sys + idle + irq;
  }
  return total > 0 ? { busy, total } : null;
}

function memoryValues(procDir: string): Record<string, number> {
  const text = readText(join(procDir, 'meminfo'));
  const info = text ? parseMeminfo(text) : new Map<string, number>();
  const total = info.get('MemTotal') ?? totalmem();
  const available = info.get('MemAvailable') ?? freemem();
  const values: Record<string, number> = {
    'mem.total_bytes': total,
    'mem.available_bytes': available,
    'mem.used_bytes': total - available,
    'mem.used_percent': total > 0 ? round(((total - available) / total) * 100) : 0,
  };
  const swapTotal = info.get('SwapTotal') ?? 0;
  if (swapTotal > 0) {
    const swapUsed = swapTotal - (info.get('SwapFree') ?? swapTotal);
    values['swap.used_bytes'] = swapUsed;
    values['swap.used_percent'] = round((swapUsed / swapTotal) * 100);
  }
  return values;
}

function diskValues(procDir: string): Record<string, number> {
  const text = readText(join(procDir, 'mounts'));
  if (!text) return {};
  const values: Record<string, number> = {};
  for (const mount of dataMounts(parseMounts(text))) {
    let stats;
    try {
      stats = statfsSync(mount.mountPoint);
    } catch {
      continue; // Unmounted since, or not ours to read.
    }
    const total = stats.blocks * stats.bsize;
    if (total === 0) continue;
    // Used as `df` counts it: what is not free; percent against what a user can fill.
    const used = (stats.blocks - stats.bfree) * stats.bsize;
    const usable = used + stats.bavail * stats.bsize;
    const prefix = `disk.${keyPart(mount.mountPoint)}`;
    values[`${prefix}.total_bytes`] = total;
    values[`${prefix}.used_bytes`] = used;
    values[`${prefix}.used_percent`] = usable > 0 ? round((used / usable) * 100) : 0;
  }
  return values;
}

function temperatureValues(sysDir: string): Record<string, number> {
  const thermal = join(sysDir, 'class', 'thermal');
  let zones: string[];
  try {
    zones = readdirSync(thermal).filter((name) => name.startsWith('thermal_zone'));
  } catch {
    return {};
  }
  const values: Record<string, number> = {};
  for (const zone of zones.sort()) {
    const milli = Number(readText(join(thermal, zone, 'temp'))?.trim());
    if (!Number.isFinite(milli) || readText(join(thermal, zone, 'temp')) === null) continue;
    const type = keyPart(readText(join(thermal, zone, 'type'))?.trim() || zone);
    const key = values[`temp.${type}`] === undefined ? `temp.${type}` : `temp.${type}-${zone.slice('thermal_zone'.length)}`;
    values[key] = round(milli / 1000);
  }
  return values;
}

function networkValues(procDir: string): Record<string, number> {
  const text = readText(join(procDir, 'net', 'dev'));
  if (!text) return {};
  const values: Record<string, number> = {};
  for (const counters of parseNetDev(text)) {
    // Loopback and the per-container veth pairs would only crowd the telemetry keys.
    if (counters.name === 'lo' || counters.name.startsWith('veth')) continue;
    values[`net.${keyPart(counters.name)}.rx_bytes`] = counters.rxBytes;
    values[`net.${keyPart(counters.name)}.tx_bytes`] = counters.txBytes;
  }
  return values;
}
