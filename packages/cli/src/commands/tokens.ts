/** `flotilla tokens …`: API tokens for scripts and CI (admin). */
import type { ApiToken } from '@flotilla/protocol';
import type { Command } from 'commander';
import { parseDuration, parseRole } from '../args.js';
import type { CliContext } from '../context.js';
import { formatRelative, type Column } from '../format.js';
import { fetchList, noteMore, segment, withJson, withPaging, type JsonOptions, type ListOptions } from './shared.js';

const tokenColumns: Column<ApiToken>[] = [
  { heading: 'id', cell: (token) => token.id },
  { heading: 'name', cell: (token) => token.name },
  { heading: 'role', cell: (token) => token.role },
  { heading: 'prefix', cell: (token) => token.prefix },
  { heading: 'created', cell: (token) => formatRelative(token.createdAt) },
  { heading: 'expires', cell: (token) => (token.expiresAt ? formatRelative(token.expiresAt) : 'never') },
  { heading: 'last used', cell: (token) => (token.lastUsedAt ? formatRelative(token.lastUsedAt) : 'never') },
];

/** Adds `tokens create|ls|rm`. */
export function registerTokensCommands(program: Command, context: CliContext): void {
  const tokens = program.command('tokens').description('API tokens for scripts and CI (FLOTILLA_TOKEN)');

  withJson(
    tokens
      .command('create')
      .description('create an API token and print it (shown only once)')
      .requiredOption('--name <name>', 'what the token is for, e.g. ci')
      .requiredOption('--role <role>', 'viewer, operator or admin', parseRole)
      .option('--expires <duration>', 'lifetime such as 12h, 30d or 2w (default: never expires)', parseDuration),
  ).action(async (options: JsonOptions & { name: string; role: string; expires?: number }) => {
    const body = { name: options.name, role: options.role, ...(options.expires ? { expiresInSeconds: options.expires } : {}) };
    const created = await context.connect().post<ApiToken & { token: string }>('/tokens', body);
    if (options.json) context.output.json(created);
    else {
      const expiry = created.expiresAt ? `expires ${formatRelative(created.expiresAt)}` : 'never expires';
      context.output.line(`created API token ${created.name} (${created.id}), role ${created.role}, ${expiry}`);
      context.output.line(`token: ${created.token}`);
    }
    context.output.warn('the token is shown only this once: store it now (use it as FLOTILLA_TOKEN)');
  });

  withPaging(withJson(tokens.command('ls').description('list API tokens'))).action(async (options: ListOptions) => {
    const page = await fetchList<ApiToken>(context.connect(), '/tokens', {}, options);
    if (options.json) return context.output.json(page);
    context.output.table(tokenColumns, page.items, 'no API tokens');
    noteMore(context, page, 'API tokens');
  });

  withJson(tokens.command('rm').description('revoke an API token').argument('<id>', 'the token id (see tokens ls)')).action(
    async (id: string, options: JsonOptions) => {
      await context.connect().delete(`/tokens/${segment(id)}`);
      if (options.json) context.output.json({ id, revoked: true });
      else context.output.line(`revoked API token ${id}`);
    },
  );
}
