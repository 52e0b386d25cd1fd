/** Runs the server: opens the store, migrates, builds the app, listens, and shuts down gracefully. */
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import type { Config } from './config.js';
import { createMdnsAdvertiser } from './discovery/mdns-advertiser.js';
import { createLogger, type Logger } from './log.js';
import { openStore } from './store/database.js';

/** A running server. */
export interface RunningServer {
  app: FastifyInstance;
  /** The base URL it answers on, e.g. http://127.0.0.1:8080. */
  url: string;
  /** The port of the embedded MQTT broker's TCP listener; null when FLOTILLA_MQTT_PORT is 0. */
  mqttPort: number | null;
  /** Stops accepting, lets in-flight requests finish, closes the database. */
  close(): Promise<void>;
}

/** Thrown when the server cannot listen; the message names the setting to change. */
export class ListenError extends Error {}

/** Starts a server with this configuration (no signal handling; see runServer). */
export async function startServer(config: Readonly<Config>, log: Logger = createLogger(config)): Promise<RunningServer> {
  const store = await openStore(config, log.child({ feature: 'store' }));
  let app: FastifyInstance;
  try {
    await store.migrate();
    app = await buildApp({ config, log, store });
  } catch (error) {
    await store.close();
    throw error;
  }
  try {
    await app.listen({ host: config.httpHost, port: config.httpPort });
  } catch (error) {
    await app.close();
    throw listenError(error, config.httpHost, config.httpPort, 'HTTP');
  }
  let mqttPort: number | null = null;
  try {
    // With a certificate configured, MQTT on the TCP port is MQTT over TLS, like HTTPS.
    const tls = config.tlsCertFile && config.tlsKeyFile ? { cert: readFileSync(config.tlsCertFile), key: readFileSync(config.tlsKeyFile) } : undefined;
    if (config.mqttPort !== 0) mqttPort = await app.broker.listen(config.mqttHost, config.mqttPort, tls);
  } catch (error) {
    await app.close();
    throw listenError(error, config.mqttHost, config.mqttPort, 'MQTT');
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.httpPort;
  const host = config.httpHost === '0.0.0.0' || config.httpHost === '::' ? '127.0.0.1' : config.httpHost;
  const url = `${config.tlsCertFile ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`;
  log.info({ url, mqttPort }, 'flotilla listening');
  // Announced only once both listeners are up, with the ports they really got.
  const advertiser = config.mdns ? createMdnsAdvertiser({ config, log: log.child({ feature: 'discovery' }) }) : null;
  advertiser?.start({ httpPort: port, mqttPort, isTls: Boolean(config.tlsCertFile) });
  return {
    app,
    url,
    mqttPort,
    async close() {
      // Goodbye first: browsers stop offering a server that is going away.
      await advertiser?.stop();
      await app.close();
    },
  };
}

/** Turns a listen failure into a ListenError naming the setting to change. */
function listenError(error: unknown, host: string, port: number, listener: 'HTTP' | 'MQTT'): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  const setting = listener === 'HTTP' ? 'FLOTILLA_HTTP_PORT (--http-port)' : 'FLOTILLA_MQTT_PORT (--mqtt-port)';
  const hostSetting = listener === 'HTTP' ? 'FLOTILLA_HTTP_HOST (--http-host)' : 'FLOTILLA_MQTT_HOST (--mqtt-host)';
  const disable = listener === 'MQTT' ? ', or 0 to turn the MQTT listener off' : '';
  if (code === 'EADDRINUSE') return new ListenError(`port ${port} is already in use: choose another with ${setting}${disable}`);
  if (code === 'EACCES') return new ListenError(`no permission to listen on port ${port}: choose one above 1023 with ${setting}`);
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') return new ListenError(`cannot listen on ${host}: check ${hostSetting}`);
  return error;
}

/**
 * Starts the server and stops it on SIGTERM or SIGINT: in-flight requests finish (up to the
 * shutdown timeout), then the database closes. Resolves once the server has stopped.
 */
export async function runServer(config: Readonly<Config>): Promise<void> {
  const log = createLogger(config);
  const server = await startServer(config, log);
  await new Promise<void>((resolve) => {
    let isStopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (isStopping) return;
      isStopping = true;
      log.info({ signal }, 'shutting down');
      const timer = setTimeout(() => {
        log.error('shutdown timed out; exiting');
        process.exit(1);
      }, config.shutdownTimeoutMs);
      timer.unref();
      server.close().then(
        () => {
          log.info('stopped');
          resolve();
        },
        (error: unknown) => {
          log.error({ err: error }, 'shutdown failed');
          resolve();
        },
      );
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}
