/** Pieces every command group uses: the `--json` flag, list options, and confirmation. */
import type { Page } from '@flotilla/protocol';
import { Option, type Command } from 'commander';
import { parsePositiveInteger } from '../args.js';
import { MAX_PAGE_SIZE, type ApiClient, type Query } from '../client.js';
import type { CliContext } from '../context.js';
import { CliError, EXIT_FAILURE, usageError } from '../errors.js';
import type { Output } from '../output.js';

/** Options of a command that has `--json`. */
export interface JsonOptions {
  json?: boolean;
}

/** Adds `--json`, which prints the API's answer as JSON instead of a table. */
export function withJson(command: Command): Command {
  return command.option('--json', 'print the raw JSON answer, for scripts');
}

/** Options of a list command. */
export interface ListOptions extends JsonOptions {
  limit?: number;
  all?: boolean;
}

/** Adds `--limit` and `--all` to a list command. */
export function withPaging(command: Command): Command {
  return command
    .option('--limit <n>', `show at most this many (1-${MAX_PAGE_SIZE}, default 50)`, (text) => parsePositiveInteger(text, '--limit', MAX_PAGE_SIZE))
    .addOption(new Option('--all', 'show every one, following every page').conflicts('limit'));
}

/** One page of a list, or with `--all` every item as a single page. */
export async function fetchList<T>(client: ApiClient, path: string, query: Query, options: ListOptions): Promise<Page<T>> {
  if (options.all) return { items: await client.listAll<T>(path, query), nextCursor: null };
  return client.get<Page<T>>(path, { ...query, limit: options.limit });
}

/** After a table: tells that there is more than was shown. */
export function noteMore(context: CliContext, page: Page<unknown>, noun: string): void {
  if (page.nextCursor) context.output.note(`there are more ${noun}: add --all to list them all, or --limit to show more`);
}

/**
 * Asks before a deletion unless `--yes` was given. Without a terminal to ask on, refuses rather
 * than guessing, so a script never deletes by accident.
 */
export async function confirmDeletion(context: CliContext, what: string, isConfirmed: boolean | undefined): Promise<void> {
  if (isConfirmed) return;
  if (!context.isInteractive) throw usageError(`refusing to delete ${what} without --yes (stdin is not a terminal)`);
  if (!(await context.confirm(`delete ${what}?`))) throw new CliError('nothing deleted', null, EXIT_FAILURE);
}

/** A path segment, escaped. */
export function segment(value: string): string {
  return encodeURIComponent(value);
}

/**
 * Sends commander's help and messages through the output module and makes it throw instead of
 * exiting, so that every error leaves as one line with the right exit status.
 */
export function routeThroughOutput(command: Command, output: Output): Command {
  return command.exitOverride().configureOutput({ writeOut: output.writeOut, writeErr: output.writeErr, outputError: () => {} });
}
