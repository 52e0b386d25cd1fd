/**
 * An app's log: stdout and stderr split into lines, kept in a bounded ring buffer for
 * collect-logs, and optionally appended to a size-capped file (one rotation, `<file>.1`).
 */
import { createWriteStream, mkdirSync, renameSync, statSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import type { Readable } from 'node:stream';

/** Lines longer than this are cut, so one runaway line cannot hold memory. */
export const MAX_LOG_LINE_CHARS = 4096;

/** A fixed-size buffer of the last lines written. */
export class LineRing {
  readonly #lines: string[] = [];
  #next = 0;

  constructor(readonly capacity: number) {}

  push(line: string): void {
    if (this.#lines.length < this.capacity) this.#lines.push(line);
    else this.#lines[this.#next] = line;
    this.#next = (this.#next + 1) % this.capacity;
  }

  /** The last `count` lines, oldest first. */
  tail(count: number): string[] {
    const ordered = this.#lines.length < this.capacity ? this.#lines : [...this.#lines.slice(this.#next), ...this.#lines.slice(0, this.#next)];
    return count >= ordered.length ? [...ordered] : ordered.slice(ordered.length - count);
  }
}

/** A log file that rotates to `<path>.1` once it passes maxBytes. */
class CappedLogFile {
  #stream: WriteStream;
  #bytes: number;

  constructor(
    readonly path: string,
    readonly maxBytes: number,
  ) {
    mkdirSync(dirname(path), { recursive: true });
    this.#bytes = sizeOf(path);
    this.#stream = createWriteStream(path, { flags: 'a' });
    this.#stream.on('error', () => undefined);
  }

  write(line: string): void {
    const text = `${line}\n`;
    if (this.#bytes + Buffer.byteLength(text) > this.maxBytes) this.#rotate();
    this.#stream.write(text);
    this.#bytes += Buffer.byteLength(text);
  }

  close(): void {
    this.#stream.end();
  }

  #rotate(): void {
    this.#stream.end();
    try {
      renameSync(this.path, `${this.path}.1`);
    } catch {
      // Nothing written yet, or the file was removed by hand: start a new one either way.
    }
    this.#stream = createWriteStream(this.path, { flags: 'a' });
    this.#stream.on('error', () => undefined);
    this.#bytes = 0;
  }
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** Where an app's log goes: the ring always, the file when configured. */
export interface AppLogOptions {
  ringLines: number;
  file?: { path: string; maxBytes: number };
}

/** The log of one app across its restarts. */
export class AppLog {
  readonly #ring: LineRing;
  readonly #file: CappedLogFile | undefined;

  constructor(options: AppLogOptions) {
    this.#ring = new LineRing(options.ringLines);
    this.#file = options.file ? new CappedLogFile(options.file.path, options.file.maxBytes) : undefined;
  }

  /** Adds one line (cut to MAX_LOG_LINE_CHARS). */
  write(line: string): void {
    const cut = line.length > MAX_LOG_LINE_CHARS ? `${line.slice(0, MAX_LOG_LINE_CHARS)}…` : line;
    this.#ring.push(cut);
    this.#file?.write(cut);
  }

  /** A note of the agent about the app (start, exit, restart), marked so it reads apart from app output. */
  note(message: string): void {
    this.write(`[flotilla] ${message}`);
  }

  /** Reads a stream line by line into this log until it ends. */
  follow(stream: Readable): void {
    let partial = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const pieces = (partial + chunk).split('\n');
      partial = pieces.pop() ?? '';
      for (const piece of pieces) this.write(piece.replace(/\r$/, ''));
      // A process that prints without newlines still must not grow this without bound.
      if (partial.length > MAX_LOG_LINE_CHARS) {
        this.write(partial);
        partial = '';
      }
    });
    stream.on('end', () => {
      if (partial !== '') this.write(partial);
      partial = '';
    });
    stream.on('error', () => undefined);
  }

  tail(lines: number): string[] {
    return this.#ring.tail(lines);
  }

  close(): void {
    this.#file?.close();
  }
}
