/** `flotilla login`, `flotilla logout` and `flotilla me`. */
import type { Me, Session } from '@flotilla/protocol';
import type { Command } from 'commander';
import { parseServerUrl } from '../args.js';
import { toSavedSession } from '../client.js';
import { DEFAULT_SERVER, type CliContext } from '../context.js';
import { CliError, usageError } from '../errors.js';
import { withJson, type JsonOptions } from './shared.js';

interface LoginOptions extends JsonOptions {
  server?: string;
  email?: string;
  password?: string;
}

/** Adds `login`, `logout` and `me`. */
export function registerAuthCommands(program: Command, context: CliContext): void {
  withJson(
    program
      .command('login')
      .description('sign in and save the session')
      .option('--server <url>', `server address (default: $FLOTILLA_SERVER, else the last one, else ${DEFAULT_SERVER})`, parseServerUrl)
      .option('--email <email>', 'your email; asked for when missing')
      .option('--password <password>', 'your password; asked for (hidden) when missing, which keeps it out of shell history'),
  ).action((options: LoginOptions) => login(context, options));

  withJson(program.command('logout').description('end the saved session and forget it')).action(async (options: JsonOptions) => {
    const session = context.credentials.load();
    if (!session) {
      if (options.json) context.output.json({ signedOut: false });
      else context.output.note('not signed in');
      return;
    }
    try {
      await context.anonymous(session.server).post('/auth/logout', { refreshToken: session.refreshToken });
    } catch (error) {
      // Forget the session anyway: the user asked to be signed out of this machine.
      if (!(error instanceof CliError)) throw error;
      context.output.warn(`the server did not end the session (${error.message}); it ends when it expires`);
    }
    context.credentials.remove();
    if (options.json) context.output.json({ server: session.server, signedOut: true });
    else context.output.line(`signed out of ${session.server}`);
  });

  withJson(program.command('me').description('show who you are signed in as')).action(async (options: JsonOptions) => {
    const client = context.connect();
    const me = await client.get<Me>('/me');
    if (options.json) return context.output.json(me);
    context.output.details([
      ['server', client.server],
      ['email', me.user.email],
      ['name', me.user.name || '-'],
      ['role', me.user.role],
      ['user id', me.user.id],
      ['tenant', `${me.tenant.name} (${me.tenant.id})`],
      ['signed in with', me.via === 'token' ? 'API token (FLOTILLA_TOKEN)' : 'session (flotilla login)'],
    ]);
  });
}

async function login(context: CliContext, options: LoginOptions): Promise<void> {
  const server = options.server ?? context.serverUrl();
  const email = options.email ?? (await askFor(context, 'email', false));
  const password = options.password ?? (await askFor(context, 'password', true));
  if (email.trim() === '' || password === '') throw usageError('email and password must not be empty');
  const session = await context.anonymous(server).post<Session>('/auth/login', { email: email.trim(), password });
  const saved = toSavedSession(server, session);
  context.credentials.save(saved);
  if (options.json) context.output.json({ server, user: session.user, expiresAt: saved.expiresAt });
  else context.output.line(`signed in to ${server} as ${session.user.email} (${session.user.role})`);
  if (context.env.FLOTILLA_TOKEN) context.output.warn('FLOTILLA_TOKEN is set: commands use that token, not this session, until you unset it');
}

async function askFor(context: CliContext, field: 'email' | 'password', isHidden: boolean): Promise<string> {
  if (!context.isInteractive) throw usageError(`--${field} is required when stdin is not a terminal`);
  return context.ask(`${field}: `, { hidden: isHidden });
}
