import { pino, type Logger, type LoggerOptions } from 'pino';
import type { Config } from './config.js';

export type { Logger };

/**
 * The process logger; each feature takes a child: `log.child({ feature: 'devices' })`.
 * JSON lines for machines; on a terminal, readable lines for the person watching it.
 */
export function createLogger(config: Pick<Config, 'logLevel'>, isTerminal = process.stdout.isTTY === true): Logger {
  const options: LoggerOptions = {
    level: config.logLevel,
    base: { service: 'flotilla' },
    redact: { paths: ['req.headers.authorization', '*.password', '*.secret', '*.token'], censor: '[redacted]' },
  };
  if (!isTerminal) return pino(options);
  return pino(options, pino.transport({ target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname,service', singleLine: true } }));
}
