/**
 * (i) CLI start: wall time of `flotilla --version` and `flotilla --help`, run as users run them
 * (node packages/cli/bin/flotilla.js, the built bundle), against `node -e 0` in the same run: the
 * floor any Node command line pays before its first line of code.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { quantile } from './stats.js';

const bin = fileURLToPath(new URL('../packages/cli/bin/flotilla.js', import.meta.url));

/** Median and p90 milliseconds of running `node <args>` to its end, after one warm-up run. */
function timeRuns(args: string[], times: number): { p50: number; p90: number } {
  execFileSync(process.execPath, args, { stdio: 'ignore' });
  const samples: number[] = [];
  for (let index = 0; index < times; index++) {
    const started = performance.now();
    execFileSync(process.execPath, args, { stdio: 'ignore' });
    samples.push(performance.now() - started);
  }
  samples.sort((a, b) => a - b);
  return { p50: quantile(samples, 0.5), p90: quantile(samples, 0.9) };
}

/** The rows of (i). */
export function measureCliStart(times: number): { measure: string; result: string; target: string }[] {
  const floor = timeRuns(['-e', '0'], times);
  const format = (timing: { p50: number; p90: number }) => `p50 **${timing.p50.toFixed(0)} ms**, p90 ${timing.p90.toFixed(0)} ms (node -e 0 in the same run: p50 ${floor.p50.toFixed(0)} ms)`;
  return [
    { measure: `(i) CLI start: flotilla --version, ${times} runs`, result: format(timeRuns([bin, '--version'], times)), target: '< 300 ms' },
    { measure: `(i) CLI start: flotilla --help, ${times} runs`, result: format(timeRuns([bin, '--help'], times)), target: '< 300 ms' },
  ];
}
