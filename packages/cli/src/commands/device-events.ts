/**
 * `flotilla devices events <device>`: a device's stored events, newest first, as a table or
 * JSON; with `--follow`, then the new ones as they arrive over the live stream, oldest first.
 */
import { EVENT_LEVELS, type DeviceEventsQuery, type EventLevel, type LiveServerMessage, type StoredEvent } from '@flotilla/protocol';
import type { Command } from 'commander';
import { parsePositiveInteger, parseTimeOption } from '../args.js';
import { MAX_PAGE_SIZE } from '../client.js';
import type { CliContext } from '../context.js';
import { CliError, EXIT_FAILURE, liveStreamClosed, usageError } from '../errors.js';
import { formatClock } from '../format.js';
import { openLiveStream } from '../live-stream.js';
import { resolveDevice } from './devices.js';
import { segment, withJson, type JsonOptions } from './shared.js';

interface EventsOptions extends JsonOptions {
  kind?: string;
  level?: EventLevel;
  from?: number;
  limit?: number;
  follow?: boolean;
}

/** One event as a line: `12:00:01 error app.crashed segfault {"exitCode":139}`. */
export function eventLine(event: { at: number; level: string; kind: string; message: string; data: Record<string, unknown>; source: string }): string {
  const data = Object.keys(event.data).length > 0 ? ` ${JSON.stringify(event.data)}` : '';
  const source = event.source === 'server' ? ' (server)' : '';
  return `${formatClock(event.at)} ${event.level.padEnd(5)} ${event.kind}${source}${event.message ? ` ${event.message}` : ''}${data}`;
}

function parseLevel(text: string): EventLevel {
  if (!(EVENT_LEVELS as readonly string[]).includes(text)) throw usageError(`--level takes ${EVENT_LEVELS.join(', ')}, not "${text}"`);
  return text as EventLevel;
}

function parseKind(text: string): string {
  if (!/^[a-z][a-z0-9._:/-]{0,63}\*?$/.test(text)) throw usageError(`--kind must be an event kind such as app.crashed, or a prefix ending in * (app.*), not "${text}"`);
  return text;
}

/** Whether a live event passes the filters (the live stream knows only devices and event kinds). */
function matches(event: { kind: string; level: EventLevel }, options: EventsOptions): boolean {
  if (options.level && EVENT_LEVELS.indexOf(event.level) < EVENT_LEVELS.indexOf(options.level)) return false;
  if (!options.kind) return true;
  return options.kind.endsWith('*') ? event.kind.startsWith(options.kind.slice(0, -1)) : event.kind === options.kind;
}

/** Adds `events` to the `devices` group. */
export function registerDeviceEventsCommand(devices: Command, context: CliContext): void {
  withJson(
    devices
      .command('events')
      .description("show a device's events (its own and the server's notices), newest first; --follow for new ones")
      .argument('<device>', 'id or name')
      .option('--kind <kind>', 'only this kind, or a prefix ending in * (app.*)', parseKind)
      .option('--level <level>', `this level and above: ${EVENT_LEVELS.join(', ')}`, parseLevel)
      .option('--from <time>', 'since: a duration back from now (1h, 7d) or an ISO 8601 time', (text) => parseTimeOption(text, '--from'))
      .option('--limit <n>', `show at most this many (1-${MAX_PAGE_SIZE}, default 50)`, (text) => parsePositiveInteger(text, '--limit', MAX_PAGE_SIZE))
      .option('-f, --follow', 'then keep printing new events as they happen, until Ctrl-C'),
  ).action((reference: string, options: EventsOptions) => showEvents(context, reference, options));
}

async function showEvents(context: CliContext, reference: string, options: EventsOptions): Promise<void> {
  const client = context.connect();
  const device = await resolveDevice(client, reference);
  const query: DeviceEventsQuery = {
    ...(options.kind ? { kind: options.kind } : {}),
    ...(options.level ? { level: options.level } : {}),
    ...(options.from !== undefined ? { from: new Date(options.from).toISOString() } : {}),
    limit: options.limit ?? 50,
  };
  const page = await client.get<{ items: StoredEvent[]; nextCursor: string | null }>(`/devices/${segment(device.id)}/events`, query);
  const { output } = context;
  if (options.follow) {
    // Following reads like a log: oldest first, then new lines at the bottom.
    for (const event of [...page.items].reverse()) output.line(options.json ? JSON.stringify(event) : eventLine({ ...event, at: Date.parse(event.ts) }));
    return follow(context, device.id, options);
  }
  if (options.json) return output.json(page);
  if (page.items.length === 0) return output.note(`no events of ${device.name}${options.kind || options.level || options.from ? ' match' : ' yet'}`);
  for (const event of page.items) output.line(eventLine({ ...event, at: Date.parse(event.ts) }));
  if (page.nextCursor) output.note('there are older events: use --limit or --from to see more');
}

async function follow(context: CliContext, deviceId: string, options: EventsOptions): Promise<void> {
  const client = context.connect();
  const { output } = context;
  const outcome: { failure: CliError | null } = { failure: null };
  const stream = await openLiveStream(client, {
    onMessage(raw) {
      const message = raw as LiveServerMessage;
      if (message.type === 'subscribed') return output.note('following new events; Ctrl-C to stop');
      if (message.type === 'notice') return output.warn(`server notice: ${message.message}`);
      if (message.type === 'error') {
        if (message.code === 'UNAUTHENTICATED') return output.warn(message.message);
        outcome.failure = new CliError(message.message, message.code, EXIT_FAILURE);
        return stream.close();
      }
      if (message.type !== 'deviceEvent') return;
      const event = { kind: message.kind, level: message.level ?? 'info', message: message.message ?? '', data: message.data, source: message.source ?? 'server', at: message.at };
      if (!matches(event, options)) return;
      output.line(options.json ? JSON.stringify({ deviceId: message.deviceId, ts: new Date(message.at).toISOString(), ...event, at: undefined }) : eventLine(event));
    },
    onRenewFailed: (error) => output.warn(`could not renew the session; the stream ends when the current token expires: ${(error as Error).message}`),
  });
  const stop = () => stream.close();
  process.once('SIGINT', stop).once('SIGTERM', stop);
  stream.send({ type: 'subscribe', id: 'events', devices: [deviceId], events: ['deviceEvent'] });
  const end = await stream.ended;
  process.off('SIGINT', stop).off('SIGTERM', stop);
  if (outcome.failure) throw outcome.failure;
  if (!end.isByClient) throw liveStreamClosed(client.server, end.code, end.reason);
}
