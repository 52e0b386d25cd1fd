import { pino, type Logger } from 'pino';
import type { Config } from './config.js';

export type { Logger };

/** The process logger; each feature takes a child: `log.child({ feature: 'devices' })`. */
export function createLogger(config: Pick<Config, 'logLevel'>): Logger {
  return pino({
    level: config.logLevel,
    base: { service: 'flotilla' },
    redact: { paths: ['req.headers.authorization', '*.password', '*.secret', '*.token'], censor: '[redacted]' },
  });
}
