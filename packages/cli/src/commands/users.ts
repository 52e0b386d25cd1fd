/** `flotilla users …`: the people of your tenant and their roles (admin). */
import type { Role, User } from '@flotilla/protocol';
import type { Command } from 'commander';
import { parseRole } from '../args.js';
import type { ApiClient } from '../client.js';
import type { CliContext } from '../context.js';
import { ApiError, usageError } from '../errors.js';
import { formatRelative, type Column } from '../format.js';
import { confirmDeletion, fetchList, noteMore, segment, withJson, withPaging, type JsonOptions, type ListOptions } from './shared.js';

interface CreateOptions extends JsonOptions {
  email: string;
  role: Role;
  name?: string;
  password?: string;
}

const columns: Column<User>[] = [
  { heading: 'email', cell: (user) => user.email },
  { heading: 'name', cell: (user) => user.name || '-' },
  { heading: 'role', cell: (user) => user.role },
  { heading: 'status', cell: (user) => (user.disabled ? 'disabled' : 'active') },
  { heading: 'id', cell: (user) => user.id },
  { heading: 'created', cell: (user) => formatRelative(user.createdAt) },
];

/** Adds `users ls|create|set-role|rm`. */
export function registerUsersCommands(program: Command, context: CliContext): void {
  const users = program.command('users').description('people of your tenant and their roles');

  withPaging(withJson(users.command('ls').description('list users'))).action(async (options: ListOptions) => {
    const page = await fetchList<User>(context.connect(), '/users', {}, options);
    if (options.json) return context.output.json(page);
    context.output.table(columns, page.items, 'no users');
    noteMore(context, page, 'users');
  });

  withJson(
    users
      .command('create')
      .description('add a user')
      .requiredOption('--email <email>', 'their email, with which they sign in')
      .requiredOption('--role <role>', 'viewer, operator or admin', parseRole)
      .option('--name <name>', 'their name')
      .option('--password <password>', 'their first password; asked for (hidden) when missing'),
  ).action(async (options: CreateOptions) => {
    // Connect first: no point asking for a password when you are not signed in.
    const client = context.connect();
    const password = options.password ?? (await askNewPassword(context));
    const body = { email: options.email, password, role: options.role, ...(options.name !== undefined ? { name: options.name } : {}) };
    const user = await client.post<User>('/users', body);
    if (options.json) context.output.json(user);
    else context.output.line(`created user ${user.email} (${user.id}), role ${user.role}`);
  });

  withJson(
    users
      .command('set-role')
      .description("change a user's role")
      .argument('<user>', 'id or email')
      .argument('<role>', 'viewer, operator or admin', parseRole),
  ).action(async (reference: string, role: Role, options: JsonOptions) => {
    const client = context.connect();
    const user = await resolveUser(client, reference);
    const updated = await client.patch<User>(`/users/${segment(user.id)}`, { role });
    if (options.json) context.output.json(updated);
    else context.output.line(`${updated.email} is now ${updated.role}`);
  });

  withJson(
    users
      .command('rm')
      .description('delete a user')
      .argument('<user>', 'id or email')
      .option('-y, --yes', 'do not ask for confirmation'),
  ).action(async (reference: string, options: JsonOptions & { yes?: boolean }) => {
    const client = context.connect();
    const user = await resolveUser(client, reference);
    await confirmDeletion(context, `user ${user.email} (${user.id})`, options.yes);
    await client.delete(`/users/${segment(user.id)}`);
    if (options.json) context.output.json({ id: user.id, email: user.email, deleted: true });
    else context.output.line(`deleted user ${user.email} (${user.id})`);
  });
}

/** Finds a user by id, or by email (any case) when the reference has an `@`. */
async function resolveUser(client: ApiClient, reference: string): Promise<User> {
  if (!reference.includes('@')) return client.get<User>(`/users/${segment(reference)}`);
  const wanted = reference.toLowerCase();
  const found = (await client.listAll<User>('/users')).find((user) => user.email.toLowerCase() === wanted);
  if (!found) throw new ApiError(`no user has the email ${reference}`, 'USER_NOT_FOUND', 404);
  return found;
}

async function askNewPassword(context: CliContext): Promise<string> {
  if (!context.isInteractive) throw usageError('--password is required when stdin is not a terminal');
  const password = await context.ask('password for the new user: ', { hidden: true });
  const again = await context.ask('the same again: ', { hidden: true });
  if (password !== again) throw usageError('the passwords differ');
  return password;
}
