/**
 * `cmd send --wait`: follows commands to their end. The live stream is opened and subscribed
 * before the command is sent, so that no status change is missed; where the stream is not
 * available (or ends early), `GET /commands/{id}` is polled instead. Each status change prints
 * one line; the commands as they ended are the result.
 */
import { FINAL_COMMAND_STATUSES, type Command, type CommandStatus, type LiveServerMessage } from '@flotilla/protocol';
import type { ApiClient } from '../client.js';
import type { CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { formatClock } from '../format.js';
import { openLiveStream, type LiveStream } from '../live-stream.js';
import type { DeviceNames } from './devices.js';
import { segment } from './shared.js';

/** Which devices' command events to follow: some ids, or those a selector chooses. */
export type WaitScope = { devices: string[] } | { selector: string };

/** What was sent: its commands, and for a bulk send its batch. */
export interface Sent {
  commandIds: string[];
  batchId: string | null;
}

type CommandEvent = Extract<LiveServerMessage, { type: 'command' }>;

const SUBSCRIPTION_ID = 'wait';
const POLL_INTERVAL_MS = 1000;

const isFinal = (status: CommandStatus) => FINAL_COMMAND_STATUSES.includes(status);

/**
 * Runs `send` and follows what it sent until every command has ended, printing each status
 * change (to stdout, or to stderr when stdout is JSON). Ctrl-C stops waiting, not the commands.
 */
export async function sendAndWait(context: CliContext, client: ApiClient, scope: WaitScope, names: DeviceNames, send: () => Promise<Sent>, isJson: boolean): Promise<Command[]> {
  const print = (line: string) => (isJson ? context.output.note(line) : context.output.line(line));
  const statuses = new Map<string, CommandStatus>();
  let printing = Promise.resolve();
  /** Prints a status the command has not shown yet. */
  const show = (event: { commandId: string; deviceId: string; name: string; status: CommandStatus; at: number; error: string | null }) => {
    if (statuses.get(event.commandId) === event.status) return;
    statuses.set(event.commandId, event.status);
    printing = printing.then(async () => print(`${formatClock(event.at)} ${await names.of(event.deviceId)} ${event.name} ${event.status}${event.error ? `: ${event.error}` : ''}`));
  };

  const follower = await followLive(context, client, scope);
  let sent: Sent;
  try {
    sent = await send();
  } catch (error) {
    follower?.stream.close();
    throw error;
  }
  const wanted = new Set(sent.commandIds);
  const isDone = () => sent.commandIds.every((id) => isFinal(statuses.get(id) ?? 'queued'));

  let stop = () => {};
  const interrupted = new Promise<'interrupted'>((resolve) => (stop = () => resolve('interrupted')));
  process.once('SIGINT', stop).once('SIGTERM', stop);
  try {
    if (follower) {
      const ended = await Promise.race([follower.follow(wanted, show, isDone), interrupted]);
      if (ended === 'interrupted') throw stoppedWaiting(sent);
      if (ended === 'lost') context.output.warn('the live stream ended; polling for the status instead');
    }
    while (!isDone()) {
      for (const command of await fetchCommands(client, sent)) show({ ...commandEvent(command), at: Date.now() });
      if (isDone()) break;
      const slept = await Promise.race([sleep(POLL_INTERVAL_MS), interrupted]);
      if (slept === 'interrupted') throw stoppedWaiting(sent);
    }
  } finally {
    follower?.stream.close();
    process.off('SIGINT', stop).off('SIGTERM', stop);
  }
  await printing;
  return fetchCommands(client, sent);
}

/** The live stream, subscribed to command events of the scope; null (and a note) when it cannot be had. */
async function followLive(context: CliContext, client: ApiClient, scope: WaitScope) {
  const events: CommandEvent[] = [];
  let onEvent = () => {};
  let stream: LiveStream;
  let subscribed!: (outcome: string | null) => void;
  const isSubscribed = new Promise<string | null>((resolve) => (subscribed = resolve));
  try {
    stream = await openLiveStream(client, {
      onMessage(message) {
        const event = message as LiveServerMessage;
        if (event.type === 'subscribed') subscribed(null);
        else if (event.type === 'error') subscribed(event.message);
        else if (event.type === 'command') {
          events.push(event);
          onEvent();
        }
      },
      onRenewFailed: (error) => context.output.warn(`could not renew the session for the live stream: ${(error as Error).message}`),
    });
  } catch (error) {
    context.output.note(`the live stream is not available (${(error as Error).message}); polling for the status instead`);
    return null;
  }
  stream.send({ type: 'subscribe', id: SUBSCRIPTION_ID, events: ['command'], ...scope });
  const refusal = await Promise.race([isSubscribed, stream.ended.then(() => 'the stream ended')]);
  if (refusal !== null) {
    stream.close();
    context.output.note(`the live stream refused to follow the commands (${refusal}); polling for the status instead`);
    return null;
  }
  return {
    stream,
    /** Shows the events of `wanted` commands until `isDone`; 'lost' when the stream ended first. */
    follow(wanted: Set<string>, show: (event: CommandEvent) => void, isDone: () => boolean): Promise<'done' | 'lost'> {
      return new Promise((resolve) => {
        onEvent = () => {
          for (const event of events.splice(0)) if (wanted.has(event.commandId)) show(event);
          if (isDone()) resolve('done');
        };
        onEvent();
        void stream.ended.then(() => resolve('lost'));
      });
    },
  };
}

/** The commands as they are now: one batch page by page, or each command by id. */
function fetchCommands(client: ApiClient, sent: Sent): Promise<Command[]> {
  if (sent.batchId) return client.listAll<Command>('/commands', { batchId: sent.batchId });
  return Promise.all(sent.commandIds.map((id) => client.get<Command>(`/commands/${segment(id)}`)));
}

function commandEvent(command: Command) {
  return { commandId: command.id, deviceId: command.deviceId, name: command.name, status: command.status, error: command.error };
}

function stoppedWaiting(sent: Sent): CliError {
  const [first] = sent.commandIds;
  const how = sent.batchId ? `flotilla cmd ls --batch ${sent.batchId}` : `flotilla cmd get ${first}`;
  return new CliError(`stopped waiting; the command${sent.commandIds.length === 1 ? ' goes' : 's go'} on: see ${how}`, null);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
