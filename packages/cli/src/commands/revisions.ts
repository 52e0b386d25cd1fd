/**
 * What device layers and profiles share: every change is a revision, listed by `history`,
 * compared by `diff` and restored by `revert` (as a new revision). The two groups differ only in
 * the API path of the thing revised and in how the current revision is read.
 */
import type { Page, StateDiff, StateRevision } from '@flotilla/protocol';
import type { Command } from 'commander';
import { parseInteger } from '../args.js';
import type { ApiClient } from '../client.js';
import type { CliContext } from '../context.js';
import { formatRelative, type Column } from '../format.js';
import { formatChanges } from '../state-format.js';
import { fetchList, noteMore, withJson, withPaging, type JsonOptions, type ListOptions } from './shared.js';

/** A thing with revisions: a device's layer or a profile. */
export interface Revised {
  /** How it reads in messages: `the layer of kitchen-pi`, `profile base`. */
  label: string;
  /** Its API path, e.g. `/devices/dev_…/state` or `/profiles/prf_…`. */
  path: string;
  /** Its current revision (0 before the first), read when a diff needs it. */
  currentRevision(): Promise<number>;
}

/** How a command group finds what it revises. */
export interface RevisedKind {
  /** Names the argument: `device`, `profile`. */
  noun: string;
  /** Finds the revised thing a command line names. */
  resolve(client: ApiClient, reference: string): Promise<Revised>;
  /** The revision a write answered with (the answer is a DeviceState or a Profile). */
  revisionOf(answer: unknown): number;
}

/** The largest revision number a user can type; far above any real one. */
const MAX_REVISION = 2 ** 31 - 1;

const revisionColumns: Column<StateRevision>[] = [
  { heading: 'revision', cell: (revision) => String(revision.revision) },
  { heading: 'author', cell: (revision) => revision.author.name },
  { heading: 'when', cell: (revision) => formatRelative(revision.createdAt) },
  { heading: 'message', cell: (revision) => revision.message || '-' },
];

/** Parses a revision number for the named argument; 0 (the empty document) only where `allowZero`. */
export function parseRevision(text: string, name: string, allowZero = false): number {
  return parseInteger(text, name, allowZero ? 0 : 1, MAX_REVISION);
}

/** Adds `history`, `diff` and `revert` to a command group. */
export function registerRevisionCommands(group: Command, context: CliContext, { noun, resolve, revisionOf }: RevisedKind): void {
  withPaging(withJson(group.command('history').description('revisions, newest first: who changed what, when and why').argument(`<${noun}>`, 'id or name'))).action(
    async (reference: string, options: ListOptions) => {
      const client = context.connect();
      const revised = await resolve(client, reference);
      const page: Page<StateRevision> = await fetchList(client, `${revised.path}/history`, {}, options);
      if (options.json) return context.output.json(page);
      context.output.table(revisionColumns, page.items, `${revised.label} has no revisions yet`);
      noteMore(context, page, 'revisions');
    },
  );

  withJson(
    group
      .command('diff')
      .description('what changed between two revisions, path by path')
      .argument(`<${noun}>`, 'id or name')
      .argument('<from>', 'revision number; 0 is the empty document before the first')
      .argument('[to]', 'revision number (default: the current one)'),
  ).action(async (reference: string, fromText: string, toText: string | undefined, options: JsonOptions) => {
    const from = parseRevision(fromText, '<from>', true);
    const to = toText === undefined ? undefined : parseRevision(toText, '<to>', true);
    const client = context.connect();
    const revised = await resolve(client, reference);
    const diff = await client.get<StateDiff>(`${revised.path}/diff`, { from, to: to ?? (await revised.currentRevision()) });
    if (options.json) return context.output.json(diff);
    if (diff.changes.length === 0) return context.output.note(`no changes between revisions ${diff.from} and ${diff.to}`);
    const lines = formatChanges(diff.changes, { from: `revision ${diff.from}`, to: `revision ${diff.to}` }, context.output.colors);
    for (const line of lines) context.output.line(line);
  });

  withJson(
    group
      .command('revert')
      .description("make a new revision with an old revision's content")
      .argument(`<${noun}>`, 'id or name')
      .argument('<revision>', 'the revision to go back to')
      .option('-m, --message <message>', 'why (kept with the new revision)'),
  ).action(async (reference: string, revisionText: string, options: JsonOptions & { message?: string }) => {
    const revision = parseRevision(revisionText, '<revision>');
    const client = context.connect();
    const revised = await resolve(client, reference);
    const saved = await client.post<unknown>(`${revised.path}/revert`, { revision, ...(options.message !== undefined ? { message: options.message } : {}) });
    if (options.json) return context.output.json(saved);
    context.output.line(`reverted ${revised.label} to revision ${revision}: now revision ${revisionOf(saved)}`);
  });
}
