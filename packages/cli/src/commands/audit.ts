/** `flotilla audit ls`: who did what, when (admin). */
import type { AuditEntry } from '@flotilla/protocol';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { usageError } from '../errors.js';
import type { Column } from '../format.js';
import { fetchList, noteMore, withJson, withPaging, type ListOptions } from './shared.js';

interface AuditOptions extends ListOptions {
  action?: string;
  actor?: string;
  target?: string;
  outcome?: string;
}

const OUTCOMES = ['success', 'failure'];

const columns: Column<AuditEntry>[] = [
  { heading: 'at', cell: (entry) => entry.at },
  { heading: 'action', cell: (entry) => entry.action },
  { heading: 'outcome', cell: (entry) => entry.outcome },
  { heading: 'status', cell: (entry) => String(entry.status) },
  { heading: 'actor', cell: (entry) => (entry.actor.id ? `${entry.actor.type}:${entry.actor.id}` : entry.actor.type) },
  { heading: 'target', cell: (entry) => (entry.target.type ? `${entry.target.type}${entry.target.id ? `:${entry.target.id}` : ''}` : '-') },
  { heading: 'ip', cell: (entry) => entry.ip ?? '-' },
];

/** Adds `audit ls`. */
export function registerAuditCommands(program: Command, context: CliContext): void {
  const audit = program.command('audit').description('the audit log: who did what, when');

  withPaging(
    withJson(
      audit
        .command('ls')
        .description('list audit entries, newest first')
        .option('--action <action>', 'only this action, e.g. device.delete')
        .option('--actor <id>', 'only what this user or token did')
        .option('--target <id>', 'only what was done to this resource')
        .option('--outcome <outcome>', 'success or failure'),
    ),
  ).action(async (options: AuditOptions) => {
    if (options.outcome !== undefined && !OUTCOMES.includes(options.outcome)) throw usageError(`--outcome must be success or failure, not "${options.outcome}"`);
    const query = { action: options.action, actorId: options.actor, targetId: options.target, outcome: options.outcome };
    const page = await fetchList<AuditEntry>(context.connect(), '/audit', query, options);
    if (options.json) return context.output.json(page);
    context.output.table(columns, page.items, 'no audit entries');
    noteMore(context, page, 'audit entries');
  });
}
