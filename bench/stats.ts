/** Small statistics helpers of the benchmarks. */

/** The q-quantile (0…1) of sorted samples, nearest rank. */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index] as number;
}

/** Median wall-clock and CPU milliseconds of one call. */
export interface Timing {
  wallMs: number;
  cpuMs: number;
}

/**
 * The medians of several timings of `run`, after one warm-up call. CPU time (the process's, all
 * threads) is reported beside wall time because it is less skewed by other work on the machine.
 */
export async function medianTiming(run: () => unknown, times = 9): Promise<Timing> {
  await run();
  const walls: number[] = [];
  const cpus: number[] = [];
  for (let index = 0; index < times; index++) {
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    await run();
    walls.push(performance.now() - started);
    const cpu = process.cpuUsage(cpuBefore);
    cpus.push((cpu.user + cpu.system) / 1000);
  }
  walls.sort((a, b) => a - b);
  cpus.sort((a, b) => a - b);
  return { wallMs: quantile(walls, 0.5), cpuMs: quantile(cpus, 0.5) };
}

/** A number with thousands separators. */
export function grouped(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}
