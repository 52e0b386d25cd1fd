/**
 * `flotilla telemetry tail`: follows telemetry, presence and device events as they happen, over
 * the live stream, one line per event (`12:00:01 kitchen-pi temp=21.5 hum=40`) or NDJSON.
 */
import { LIVE_EVENTS, type LiveEventName, type LiveServerMessage, type LiveSubscribe } from '@flotilla/protocol';
import type { Command } from 'commander';
import { parseList } from '../args.js';
import type { CliContext } from '../context.js';
import { CliError, EXIT_FAILURE, EXIT_USAGE, liveStreamClosed, usageError } from '../errors.js';
import { formatClock, formatValue } from '../format.js';
import { openLiveStream } from '../live-stream.js';
import { checkSelector, createDeviceNames, resolveDevice } from './devices.js';
import { withJson, type JsonOptions } from './shared.js';

/** A message that reports an event of a device. */
type LiveEventMessage = Extract<LiveServerMessage, { deviceId: string }>;

interface TailOptions extends JsonOptions {
  selector?: string;
  keys?: string[];
  events?: LiveEventName[];
}

const SUBSCRIPTION_ID = 'tail';

/** Adds `telemetry tail` to the `telemetry` group. */
export function registerTailCommand(telemetry: Command, context: CliContext): void {
  withJson(
    telemetry
      .command('tail')
      .description('follow telemetry, presence and device events live, until Ctrl-C')
      .argument('[devices...]', 'ids or names (default: every device, or those --selector chooses)')
      .option('-l, --selector <selector>', 'only devices with these labels, e.g. "site=oslo,role!=gateway"')
      .option('--keys <keys>', 'only these telemetry keys, comma-separated', parseList)
      .option('--events <events>', `kinds of event, comma-separated: ${LIVE_EVENTS.join(', ')} (default: all)`, parseEvents),
  ).action((references: string[], options: TailOptions) => tail(context, references, options));
}

function parseEvents(text: string): LiveEventName[] {
  const events = parseList(text);
  const unknown = events.find((event) => !(LIVE_EVENTS as readonly string[]).includes(event));
  if (unknown !== undefined || events.length === 0) throw usageError(`--events takes ${LIVE_EVENTS.join(', ')}, not "${unknown ?? text}"`);
  return events as LiveEventName[];
}

async function tail(context: CliContext, references: string[], options: TailOptions): Promise<void> {
  if (options.selector !== undefined) checkSelector(options.selector);
  const client = context.connect();
  const devices = await Promise.all(references.map((reference) => resolveDevice(client, reference)));
  const names = createDeviceNames(client, new Map(devices.map((device) => [device.id, device.name])));
  const { output } = context;

  // Set by a server error; an object, as TypeScript does not follow assignments made in callbacks.
  const outcome: { failure: CliError | null } = { failure: null };
  // Lines are printed in the order messages came, even while a device's name is being looked up.
  let printing = Promise.resolve();
  const stream = await openLiveStream(client, {
    onMessage(message) {
      printing = printing.then(() => handle(message as LiveServerMessage)).catch((error: unknown) => output.warn((error as Error).message));
    },
    onRenewFailed: (error) => output.warn(`could not renew the session; the stream ends when the current token expires: ${(error as Error).message}`),
  });

  async function handle(message: LiveServerMessage): Promise<void> {
    switch (message.type) {
      case 'subscribed':
        return output.note(`following live events${describe(references, options)}; Ctrl-C to stop`);
      case 'notice':
        return output.warn(`server notice: ${message.message}`);
      case 'error':
        // A refused renewal leaves the old token in use; anything else means the subscription failed.
        if (message.code === 'UNAUTHENTICATED') return output.warn(message.message);
        outcome.failure = new CliError(message.message, message.code, message.code === 'INVALID_SELECTOR' ? EXIT_USAGE : EXIT_FAILURE);
        return stream.close();
      case 'telemetry':
      case 'presence':
      case 'deviceEvent':
        if (options.json) return output.line(JSON.stringify(message));
        for (const line of eventLines(message, await names.of(message.deviceId))) output.line(line);
    }
  }

  const stop = () => stream.close();
  process.once('SIGINT', stop).once('SIGTERM', stop);
  const subscribe: LiveSubscribe = {
    type: 'subscribe',
    id: SUBSCRIPTION_ID,
    ...(devices.length > 0 ? { devices: devices.map((device) => device.id) } : {}),
    ...(options.selector ? { selector: options.selector } : {}),
    ...(options.keys && options.keys.length > 0 ? { keys: options.keys } : {}),
    ...(options.events ? { events: options.events } : {}),
  };
  stream.send(subscribe);
  const end = await stream.ended;
  process.off('SIGINT', stop).off('SIGTERM', stop);
  await printing;
  if (outcome.failure) throw outcome.failure;
  if (!end.isByClient) throw liveStreamClosed(client.server, end.code, end.reason);
}

/** The text lines of one event: a telemetry message gives one line per reading time. */
export function eventLines(message: LiveEventMessage, name: string): string[] {
  if (message.type === 'presence') return [`${formatClock(message.at)} ${name} ${message.online ? 'online' : 'offline'}`];
  if (message.type === 'deviceEvent') {
    const data = Object.keys(message.data ?? {}).length > 0 ? ` ${JSON.stringify(message.data)}` : '';
    return [`${formatClock(message.at)} ${name} ${message.kind}${data}`];
  }
  if (message.type === 'command') {
    return [`${formatClock(message.at)} ${name} command ${message.name} ${message.status}${message.error ? `: ${message.error}` : ''}`];
  }
  const byTime = new Map<number, string[]>();
  for (const point of message.points) byTime.set(point.ts, [...(byTime.get(point.ts) ?? []), `${point.key}=${formatValue(point.value)}`]);
  return [...byTime.entries()].sort(([a], [b]) => a - b).map(([ts, readings]) => `${formatClock(ts)} ${name} ${readings.join(' ')}`);
}

function describe(references: string[], options: TailOptions): string {
  const parts = [
    references.length > 0 ? ` of ${references.join(', ')}` : '',
    options.selector ? ` of devices matching ${options.selector}` : '',
    options.keys ? ` (keys ${options.keys.join(', ')})` : '',
  ];
  return parts.join('');
}
