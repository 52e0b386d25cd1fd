/** A server in a child process, as `flotilla server` runs it, for tests of signals and kill -9. */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SETUP_TOKEN } from './helpers.js';

const runner = fileURLToPath(new URL('./fixtures/run-server.ts', import.meta.url));

/** Starts the server in a child process and resolves with its URL once it listens. */
export async function startChild(env: Record<string, string>): Promise<{ child: ChildProcessWithoutNullStreams; url: string }> {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', runner], {
    env: { ...process.env, FLOTILLA_HTTP_HOST: '127.0.0.1', FLOTILLA_HTTP_PORT: '0', FLOTILLA_MQTT_PORT: '0', FLOTILLA_MDNS: 'false', FLOTILLA_SETUP_TOKEN: SETUP_TOKEN, FLOTILLA_WEB_DIR: '', FLOTILLA_LOG_LEVEL: 'info', ...env },
  });
  child.stderr.resume();
  const url = await new Promise<string>((resolve, reject) => {
    let buffer = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const match = /"url":"(http:\/\/[^"]+)"/.exec(buffer);
      if (match?.[1]) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`server exited early with ${code}`)));
  });
  return { child, url };
}
