/**
 * A real Flotilla server in a child process on fixed free ports and its own data directory, so a
 * test can kill it and start it again at the same address; and the REST calls the tests need.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const runner = fileURLToPath(new URL('../../server/test/fixtures/run-server.ts', import.meta.url));
export const SETUP_TOKEN = 'agent-test-setup-token-0123456789';

/** A port free right now (the kernel's pick, released at once). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export interface ServerProcess {
  url: string;
  httpPort: number;
  mqttPort: number;
  dataDir: string;
  /** Starts it (again) on the same ports and data directory. */
  start(): Promise<void>;
  /** kill -9: nothing is flushed, as in a crash or a power cut. */
  kill(): Promise<void>;
  /** Stops it and removes its data. */
  destroy(): Promise<void>;
}

export async function createServerProcess(env: Record<string, string> = {}): Promise<ServerProcess> {
  const httpPort = await freePort();
  const mqttPort = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'flotilla-agent-server-'));
  let child: ChildProcessWithoutNullStreams | null = null;

  async function start(): Promise<void> {
    const spawned = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', runner], {
      env: {
        ...process.env,
        FLOTILLA_DATA_DIR: dataDir,
        FLOTILLA_HTTP_HOST: '127.0.0.1',
        FLOTILLA_HTTP_PORT: String(httpPort),
        FLOTILLA_MQTT_HOST: '127.0.0.1',
        FLOTILLA_MQTT_PORT: String(mqttPort),
        FLOTILLA_SETUP_TOKEN: SETUP_TOKEN,
        FLOTILLA_WEB_DIR: '',
        FLOTILLA_LOG_LEVEL: 'info',
        FLOTILLA_STATE_GIT: 'false',
        FLOTILLA_COMMAND_SWEEP_INTERVAL: '1s',
        ...env,
      },
    });
    child = spawned;
    spawned.stderr.resume();
    await new Promise<void>((resolve, reject) => {
      let buffer = '';
      spawned.stdout.on('data', (chunk: Buffer) => {
        buffer += chunk.toString();
        if (/"url":"http:\/\/[^"]+"/.test(buffer)) {
          buffer = '';
          resolve();
        }
        if (buffer.length > 100_000) buffer = buffer.slice(-10_000);
      });
      spawned.once('exit', (code) => reject(new Error(`server exited early with ${code}`)));
    });
  }

  async function kill(): Promise<void> {
    const running = child;
    child = null;
    if (!running || running.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      running.once('exit', () => resolve());
      running.kill('SIGKILL');
    });
  }

  await start();
  return {
    url: `http://127.0.0.1:${httpPort}`,
    httpPort,
    mqttPort,
    dataDir,
    start,
    kill,
    async destroy() {
      await kill();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A signed-in admin of the server, with the calls the tests make. */
export interface AdminApi {
  call<T = unknown>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
  enrollmentToken(): Promise<string>;
}

export async function adminOf(server: Pick<ServerProcess, 'url'>): Promise<AdminApi> {
  const setup = await fetch(`${server.url}/api/v1/setup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: SETUP_TOKEN, email: 'admin@example.com', password: 'correct horse battery', tenantName: 'Agents' }),
  });
  if (setup.status !== 201) throw new Error(`setup failed: ${setup.status} ${await setup.text()}`);
  const { accessToken } = (await setup.json()) as { accessToken: string };
  // A long-lived API token, so the session expiring mid-test does not matter.
  const created = await fetch(`${server.url}/api/v1/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` },
    body: JSON.stringify({ name: 'agent tests', role: 'admin' }),
  });
  const { token } = (await created.json()) as { token: string };
  const call: AdminApi['call'] = async (method, path, body) => {
    const response = await fetch(`${server.url}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : null) as never };
  };
  return {
    call,
    async enrollmentToken() {
      const { status, body } = await call<{ token: string }>('POST', '/enrollment-tokens', { name: `agents-${Date.now()}` });
      if (status !== 201) throw new Error(`enrollment token: ${status}`);
      return body.token;
    },
  };
}

/** Polls `check` until it returns something other than undefined/false, or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown = null;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`timed out waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
}
