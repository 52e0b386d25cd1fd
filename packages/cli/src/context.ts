/**
 * What every command receives: the printer, the environment, the credentials store, and the
 * way to a client of the right server with the right authorisation.
 */
import { parseServerUrl } from './args.js';
import { createClient, type ApiClient } from './client.js';
import { createCredentialsStore, credentialsPath, type CredentialsStore, type SavedSession } from './credentials.js';
import { notSignedIn, usageError } from './errors.js';
import type { Output } from './output.js';
import { ask, confirm } from './prompt.js';

/** Where the CLI talks to when nothing else says. */
export const DEFAULT_SERVER = 'http://localhost:8080';

export interface CliContext {
  output: Output;
  env: Readonly<Record<string, string | undefined>>;
  credentials: CredentialsStore;
  /** True when a person can answer questions on stdin. */
  isInteractive: boolean;
  /** FLOTILLA_SERVER, else the saved session's server, else http://localhost:8080. */
  serverUrl(): string;
  /** A client authorised by FLOTILLA_TOKEN or else the saved session; NOT_SIGNED_IN without either. */
  connect(): ApiClient;
  /** A client without authorisation (login, logout). */
  anonymous(server: string): ApiClient;
  ask(question: string, options?: { hidden?: boolean }): Promise<string>;
  confirm(question: string): Promise<boolean>;
}

export interface ContextOptions {
  output: Output;
  env?: Readonly<Record<string, string | undefined>>;
  isInteractive?: boolean;
  fetch?: typeof fetch;
}

/** Builds the context from the process's environment. */
export function createContext({ output, env = process.env, isInteractive = Boolean(process.stdin.isTTY), fetch: fetchFn }: ContextOptions): CliContext {
  const credentials = createCredentialsStore(credentialsPath(env));
  // Checked when first needed, so that a bad FLOTILLA_SERVER does not stop `--help`.
  const serverFromEnv = (): string | null => {
    if (!env.FLOTILLA_SERVER) return null;
    try {
      return parseServerUrl(env.FLOTILLA_SERVER);
    } catch (error) {
      throw usageError(`FLOTILLA_SERVER: ${(error as Error).message}`);
    }
  };
  const savedSession = (): SavedSession | null => credentials.load();
  const fetchOption = fetchFn ? { fetch: fetchFn } : {};

  return {
    output,
    env,
    credentials,
    isInteractive,
    serverUrl: () => serverFromEnv() ?? savedServerOrNull(credentials) ?? DEFAULT_SERVER,
    connect() {
      const envServer = serverFromEnv();
      if (env.FLOTILLA_TOKEN) {
        const server = envServer ?? savedServerOrNull(credentials) ?? DEFAULT_SERVER;
        return createClient({ server, auth: { kind: 'token', token: env.FLOTILLA_TOKEN }, ...fetchOption });
      }
      const session = savedSession();
      // A session belongs to the server that issued it; never send it to another.
      if (!session || (envServer && envServer !== session.server)) throw notSignedIn(envServer ?? session?.server ?? DEFAULT_SERVER);
      return createClient({ server: session.server, auth: { kind: 'session', session, store: credentials }, ...fetchOption });
    },
    anonymous: (server) => createClient({ server, auth: { kind: 'none' }, ...fetchOption }),
    ask: (question, options) => ask(output.writeErr, question, options),
    confirm: (question) => confirm(output.writeErr, question),
  };
}

// The saved file only suggests a server here; a damaged file should not stop a login or a script.
function savedServerOrNull(credentials: CredentialsStore): string | null {
  try {
    return credentials.load()?.server ?? null;
  } catch {
    return null;
  }
}
