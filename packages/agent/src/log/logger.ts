/**
 * The agent's logger: pino JSON lines to stdout (journald keeps them under systemd), and the last
 * lines in memory so the `collect-logs` command can answer without reading any file.
 */
import { pino, type Logger } from 'pino';
import type { AgentConfig } from '../config/config.js';

export type { Logger };

/** The last lines written, oldest first, up to a fixed count. */
export interface LogRing {
  write(line: string): void;
  tail(lines: number): string[];
}

/** A ring of at most `capacity` lines. */
export function createLogRing(capacity = 2000): LogRing {
  const lines: string[] = [];
  let next = 0;
  return {
    write(line) {
      const trimmed = line.endsWith('\n') ? line.slice(0, -1) : line;
      if (lines.length < capacity) lines.push(trimmed);
      else lines[next] = trimmed;
      next = (next + 1) % capacity;
    },
    tail(count) {
      const ordered = lines.length < capacity ? lines : [...lines.slice(next), ...lines.slice(0, next)];
      return ordered.slice(Math.max(0, ordered.length - count));
    },
  };
}

/** The process logger writing to `destination` (stdout by default) and to `ring`. */
export function createAgentLogger(config: Pick<AgentConfig, 'logLevel'>, ring: LogRing, destination: NodeJS.WritableStream = process.stdout): Logger {
  const level = config.logLevel;
  return pino(
    {
      level,
      base: { service: 'flotilla-agent' },
      redact: { paths: ['*.secret', '*.token', '*.enrollToken', '*.claimCode'], censor: '[redacted]' },
    },
    pino.multistream([
      { level: level === 'silent' ? 'fatal' : level, stream: destination },
      { level: level === 'silent' ? 'fatal' : level, stream: { write: (line: string) => ring.write(line) } },
    ]),
  );
}
