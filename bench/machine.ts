/** The machine a benchmark ran on, for the results table. */
import { cpus, totalmem } from 'node:os';
import { execFileSync } from 'node:child_process';

/** CPU model, cores, memory, Node and SQLite versions. */
export function describeMachine(sqliteVersion: string): Record<string, string> {
  const cpuList = cpus();
  return {
    cpu: cpuModel() ?? cpuList[0]?.model ?? 'unknown',
    cores: String(cpuList.length),
    memory: `${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    node: process.version,
    sqlite: sqliteVersion,
  };
}

// os.cpus() reports only a family name on some virtual machines; lscpu often knows more.
function cpuModel(): string | null {
  try {
    const line = execFileSync('lscpu', { encoding: 'utf8' }).split('\n').find((text) => text.startsWith('Model name:'));
    return line ? line.slice('Model name:'.length).trim() : null;
  } catch {
    return null;
  }
}
