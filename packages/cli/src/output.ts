/**
 * Everything the CLI prints goes through here: results to stdout (tables, details, or JSON with
 * `--json`), notes, warnings and errors to stderr, so that stdout stays clean for scripts.
 */
import { CliError } from './errors.js';
import { formatDetails, formatTable, type Column } from './format.js';

/** Where output goes; the process's streams unless a test passes others. */
export interface OutputStreams {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/** The CLI's printer. */
export interface Output {
  /** True when results may be coloured: stdout is a terminal (or FORCE_COLOR is set) and NO_COLOR is not. */
  readonly colors: boolean;
  /** Prints a value as indented JSON on stdout. */
  json(value: unknown): void;
  /** Prints rows as an aligned table on stdout, or `empty` on stderr when there are none. */
  table<Row>(columns: readonly Column<Row>[], rows: readonly Row[], empty: string): void;
  /** Prints `label: value` pairs of one resource on stdout. */
  details(pairs: readonly (readonly [string, string])[]): void;
  /** Prints a line of result on stdout. */
  line(text: string): void;
  /** Prints text on stdout exactly as given (a CSV export). */
  raw(text: string): void;
  /** Prints a line of information on stderr (hints, progress). */
  note(text: string): void;
  /** Prints `warning: <text>` on stderr. */
  warn(text: string): void;
  /** Prints an error as the one line `flotilla: <detail> (<code>)` on stderr. */
  error(error: unknown): void;
  /** Raw text for commander's help and messages. */
  writeOut(text: string): void;
  writeErr(text: string): void;
}

/** Creates the printer over the given streams. */
export function createOutput(
  streams: OutputStreams = { stdout: process.stdout, stderr: process.stderr },
  env: Readonly<Record<string, string | undefined>> = process.env,
): Output {
  const out = (text: string) => void streams.stdout.write(text);
  const err = (text: string) => void streams.stderr.write(text);
  return {
    colors: hasColors(streams.stdout, env),
    json: (value) => out(`${JSON.stringify(value, null, 2)}\n`),
    table(columns, rows, empty) {
      if (rows.length === 0) err(`${empty}\n`);
      else out(`${formatTable(columns, rows)}\n`);
    },
    details: (pairs) => out(`${formatDetails(pairs)}\n`),
    line: (text) => out(`${text}\n`),
    raw: out,
    note: (text) => err(`${text}\n`),
    warn: (text) => err(`warning: ${text}\n`),
    error: (error) => err(`${errorLine(error)}\n`),
    writeOut: out,
    writeErr: err,
  };
}

// The conventions of https://no-color.org and FORCE_COLOR, as most command-line tools honour them.
function hasColors(stream: NodeJS.WritableStream, env: Readonly<Record<string, string | undefined>>): boolean {
  if (env.NO_COLOR) return false;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0';
  return Boolean((stream as { isTTY?: boolean }).isTTY) && env.TERM !== 'dumb';
}

/** The one line an error prints as. */
export function errorLine(error: unknown): string {
  if (error instanceof CliError) return `flotilla: ${error.message}${error.code ? ` (${error.code})` : ''}`;
  const message = error instanceof Error ? error.message : String(error);
  return `flotilla: ${message} (INTERNAL)`;
}
