/** `flotilla enrollment-tokens …`: tokens with which devices enroll themselves (operator). */
import type { EnrollmentToken } from '@flotilla/protocol';
import type { Command } from 'commander';
import { collect, parseDuration, parseLabels, parsePositiveInteger } from '../args.js';
import type { CliContext } from '../context.js';
import { formatLabels, formatRelative, type Column } from '../format.js';
import { fetchList, noteMore, segment, withJson, withPaging, type JsonOptions, type ListOptions } from './shared.js';

interface CreateOptions extends JsonOptions {
  name?: string;
  label: string[];
  expires?: number;
  maxUses?: number;
}

/** Whether a token still enrolls devices, and if not, why. */
export function enrollmentTokenState(token: EnrollmentToken, now: number = Date.now()): string {
  if (token.revokedAt) return 'revoked';
  if (token.expiresAt && Date.parse(token.expiresAt) <= now) return 'expired';
  if (token.maxUses !== null && token.uses >= token.maxUses) return 'used up';
  return 'active';
}

const columns: Column<EnrollmentToken>[] = [
  { heading: 'id', cell: (token) => token.id },
  { heading: 'name', cell: (token) => token.name || '-' },
  { heading: 'state', cell: (token) => enrollmentTokenState(token) },
  { heading: 'uses', cell: (token) => `${token.uses}/${token.maxUses ?? '∞'}` },
  { heading: 'labels', cell: (token) => formatLabels(token.labels) },
  { heading: 'expires', cell: (token) => (token.expiresAt ? formatRelative(token.expiresAt) : 'never') },
  { heading: 'created', cell: (token) => formatRelative(token.createdAt) },
];

/** Adds `enrollment-tokens create|ls|rm`. */
export function registerEnrollmentTokensCommands(program: Command, context: CliContext): void {
  const tokens = program.command('enrollment-tokens').description('tokens with which devices enroll themselves');

  withJson(
    tokens
      .command('create')
      .description('create an enrollment token and print it (shown only once)')
      .option('--name <name>', 'what the token is for, e.g. "oslo rollout"')
      .option('--label <key=value>', 'a label every device enrolled with it gets; repeat for more', collect, [])
      .option('--expires <duration>', 'lifetime such as 1h, 24h or 7d (default: never expires)', parseDuration)
      .option('--max-uses <n>', 'how many devices may enroll with it (default: no limit)', (text) => parsePositiveInteger(text, '--max-uses')),
  ).action(async (options: CreateOptions) => {
    const body = {
      ...(options.name !== undefined ? { name: options.name } : {}),
      labels: parseLabels(options.label),
      ...(options.expires ? { expiresInSeconds: options.expires } : {}),
      ...(options.maxUses ? { maxUses: options.maxUses } : {}),
    };
    const created = await context.connect().post<EnrollmentToken & { token: string }>('/enrollment-tokens', body);
    if (options.json) context.output.json(created);
    else {
      const expiry = created.expiresAt ? `expires ${formatRelative(created.expiresAt)}` : 'never expires';
      const uses = created.maxUses === null ? 'any number of devices' : `up to ${created.maxUses} device${created.maxUses === 1 ? '' : 's'}`;
      context.output.line(`created enrollment token ${created.id}: ${uses}, ${expiry}`);
      context.output.line(`token: ${created.token}`);
    }
    context.output.warn('the token is shown only this once: store it now');
  });

  withPaging(withJson(tokens.command('ls').description('list enrollment tokens'))).action(async (options: ListOptions) => {
    const page = await fetchList<EnrollmentToken>(context.connect(), '/enrollment-tokens', {}, options);
    if (options.json) return context.output.json(page);
    context.output.table(columns, page.items, 'no enrollment tokens');
    noteMore(context, page, 'enrollment tokens');
  });

  withJson(tokens.command('rm').description('revoke an enrollment token').argument('<id>', 'the token id (see enrollment-tokens ls)')).action(
    async (id: string, options: JsonOptions) => {
      await context.connect().delete(`/enrollment-tokens/${segment(id)}`);
      if (options.json) context.output.json({ id, revoked: true });
      else context.output.line(`revoked enrollment token ${id}`);
    },
  );
}
