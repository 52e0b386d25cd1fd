/**
 * `flotilla cmd …`: send commands to a device or to every device a selector chooses, follow them
 * to their end with `--wait`, list, inspect and cancel them, and list the well-known commands.
 */
import {
  COMMAND_NAME_PATTERN,
  COMMAND_STATUSES,
  MAX_COMMAND_EXPIRY_MS,
  MAX_COMMAND_TIMEOUT_MS,
  WELL_KNOWN_COMMANDS,
  type BulkCommandReply,
  type Command,
  type CommandStatus,
} from '@flotilla/protocol';
import { Option, type Command as Program } from 'commander';
import { collect, parseDurationMs } from '../args.js';
import { buildParams, checkParams, describeParams } from '../command-params.js';
import type { CliContext } from '../context.js';
import { CliError, usageError } from '../errors.js';
import { formatDurationMs, formatRelative, formatTimestamp, type Column } from '../format.js';
import { sendAndWait, type Sent, type WaitScope } from './cmd-wait.js';
import { checkSelector, createDeviceNames, resolveDevice } from './devices.js';
import { fetchList, noteMore, segment, withJson, withPaging, type JsonOptions, type ListOptions } from './shared.js';

interface SendOptions extends JsonOptions {
  param: string[];
  params?: string;
  timeout?: number;
  expires?: number;
  selector?: string;
  wait?: boolean;
  dryRun?: boolean;
}

interface ListCommandsOptions extends ListOptions {
  device?: string;
  status?: CommandStatus;
  name?: string;
  batch?: string;
}

const commandName = new RegExp(COMMAND_NAME_PATTERN);

/** Adds `cmd send|ls|get|cancel|list-known`. */
export function registerCmdCommands(program: Program, context: CliContext): void {
  const cmd = program.command('cmd').description('send commands to devices and follow them: ping, reboot, collect-logs, … or your own');

  withJson(
    cmd
      .command('send')
      .description('send a command to a device, or with --selector to every device it chooses')
      .argument('<device>', 'id or name of the device (with --selector: the command name)')
      .argument('[name]', 'the command: a well-known one (flotilla cmd list-known) or your own')
      .option('-p, --param <key=value>', 'a param; the value is read as JSON where it parses (5, true), else as text; repeat for more', collect, [])
      .option('--params <json>', 'the params as a JSON object, e.g. \'{"lines":50}\'')
      .option('--timeout <duration>', "how long the device may run it once acknowledged, e.g. 30s (default: the command's own)", (text) =>
        parseDurationMs(text, '--timeout', MAX_COMMAND_TIMEOUT_MS),
      )
      .option('--expires <duration>', 'expire it unless done within this, e.g. 1h (default 7d)', (text) => parseDurationMs(text, '--expires', MAX_COMMAND_EXPIRY_MS))
      .option('-l, --selector <selector>', 'send to every device with these labels, e.g. "site=oslo" (at most 1,000)')
      .option('-w, --wait', 'follow the command to its end, print its output, and fail when it does')
      .option('--dry-run', 'with --selector: show how many and which devices it would reach; send nothing'),
  ).action((first: string, second: string | undefined, options: SendOptions) => send(context, first, second, options));

  withPaging(
    withJson(
      cmd
        .command('ls')
        .description('list commands, newest first')
        .option('-d, --device <device>', "only this device's (id or name)")
        .addOption(new Option('--status <status>', 'only commands in this status').choices(COMMAND_STATUSES))
        .option('--name <name>', 'only commands of this name')
        .option('--batch <id>', 'only the commands of one bulk send'),
    ),
  ).action((options: ListCommandsOptions) => listCommands(context, options));

  withJson(cmd.command('get').description('show a command with its params, times and result').argument('<id>', 'command id')).action(async (id: string, options: JsonOptions) => {
    const client = context.connect();
    const command = await client.get<Command>(`/commands/${segment(id)}`);
    if (options.json) return context.output.json(command);
    context.output.details(commandDetails(command, command.deviceName ?? '(left your tenant)'));
  });

  withJson(cmd.command('cancel').description('cancel a command that its device has not acknowledged yet').argument('<id>', 'command id')).action(async (id: string, options: JsonOptions) => {
    const client = context.connect();
    const command = await client.post<Command>(`/commands/${segment(id)}/cancel`);
    if (options.json) return context.output.json(command);
    context.output.line(`cancelled ${command.id} (${command.name} on ${command.deviceName ?? command.deviceId})`);
  });

  withJson(cmd.command('list-known').description('the well-known commands every Flotilla agent understands, with their params')).action((options: JsonOptions) => {
    const known = Object.values(WELL_KNOWN_COMMANDS);
    if (options.json) return context.output.json(known);
    const columns: Column<(typeof known)[number]>[] = [
      { heading: 'name', cell: (command) => command.name },
      { heading: 'params', cell: (command) => describeParams(command).join('; ') || '-' },
      { heading: 'timeout', cell: (command) => formatDurationMs(command.timeoutMs) },
      { heading: 'description', cell: (command) => command.description },
    ];
    context.output.table(columns, known, 'no well-known commands');
  });
}

async function send(context: CliContext, first: string, second: string | undefined, options: SendOptions): Promise<void> {
  if (options.selector !== undefined && second !== undefined) throw usageError('with --selector, give only the command name, not a device');
  if (options.selector === undefined && second === undefined) throw usageError('give the device and the command name, or --selector and the command name');
  if (options.dryRun && options.selector === undefined) throw usageError('--dry-run needs --selector: it shows which devices a bulk send would reach');
  if (options.dryRun && options.wait) throw usageError('--dry-run sends nothing, so there is nothing to --wait for');
  const name = second ?? first;
  if (!commandName.test(name)) throw usageError(`malformed command name "${name}": lower-case letters, digits and ._:/- , starting with a letter`);
  if (options.selector !== undefined) checkSelector(options.selector);
  const params = buildParams(options.params, options.param);
  checkParams(name, params);
  const body = {
    name,
    params,
    ...(options.timeout !== undefined ? { timeoutMs: options.timeout } : {}),
    ...(options.expires !== undefined ? { expiresInMs: options.expires } : {}),
  };
  const client = context.connect();
  const { output } = context;

  if (options.selector !== undefined) {
    const selector = options.selector;
    if (options.dryRun) return dryRun(context, options, { selector, ...body });
    const sendBulk = async (): Promise<Sent> => {
      const reply = await client.post<BulkCommandReply>('/commands', { selector, ...body });
      if (!options.json || !options.wait) report(context, options, reply, `sent ${name} to ${reply.count} device${reply.count === 1 ? '' : 's'} matching ${selector || 'anything'} (batch ${reply.batchId})`);
      if (reply.count === 0) output.warn(`no device matches "${selector}": nothing was sent`);
      return reply;
    };
    if (!options.wait) return void (await sendBulk());
    return finish(context, options, await sendAndWait(context, client, { selector }, createDeviceNames(client), sendBulk, Boolean(options.json)), true);
  }

  const device = await resolveDevice(client, first);
  const names = createDeviceNames(client, new Map([[device.id, device.name]]));
  const sendOne = async (): Promise<Sent> => {
    const command = await client.post<Command>(`/devices/${segment(device.id)}/commands`, body);
    if (!options.json || !options.wait) report(context, options, command, `sent ${name} to ${device.name}: ${command.id} (${command.status})`);
    return { commandIds: [command.id], batchId: null };
  };
  if (!options.wait) return void (await sendOne());
  const scope: WaitScope = { devices: [device.id] };
  return finish(context, options, await sendAndWait(context, client, scope, names, sendOne, Boolean(options.json)), false);
}

/** Asks the server which devices a bulk send would reach, and prints them; nothing is sent. */
async function dryRun(context: CliContext, options: SendOptions, body: { selector: string; name: string }): Promise<void> {
  const reply = await context.connect().post<BulkCommandReply>('/commands', { ...body, dryRun: true });
  const { output } = context;
  if (options.json) return output.json(reply);
  const devices = reply.devices ?? [];
  output.line(`${body.name} would go to ${reply.count} device${reply.count === 1 ? '' : 's'} matching ${body.selector || 'anything'}${reply.count > 0 ? ':' : ''}`);
  for (const device of devices) output.line(`  ${device.name} (${device.id})`);
  if (reply.count > devices.length) output.line(`  … and ${reply.count - devices.length} more`);
  output.note('dry run: nothing was sent');
}

/** What a send answered: the API's JSON, or one line. */
function report(context: CliContext, options: SendOptions, answer: unknown, line: string): void {
  if (options.json) context.output.json(answer);
  else context.output.line(line);
}

/** Prints the ended commands' output and fails unless every one succeeded. */
async function finish(context: CliContext, options: SendOptions, commands: Command[], isBulk: boolean): Promise<void> {
  const { output } = context;
  if (options.json) output.json(isBulk ? { batchId: commands[0]?.batchId ?? null, items: commands } : commands[0]);
  else if (!isBulk) {
    const result = commands[0]?.output;
    if (result !== null && result !== undefined) output.line(formatOutput(result));
  } else {
    const names = createDeviceNames(context.connect());
    const withOutput = commands.filter((command) => command.output !== null && command.output !== undefined);
    output.details(await Promise.all(withOutput.map(async (command) => [await names.of(command.deviceId), formatOutput(command.output)] as const)));
  }
  const unsuccessful = commands.filter((command) => command.status !== 'succeeded');
  if (unsuccessful.length === 0) return;
  if (!isBulk) {
    const [command] = unsuccessful as [Command];
    throw new CliError(`${command.name} ${command.status}${command.error ? `: ${command.error}` : ''}`, `COMMAND_${command.status.toUpperCase()}`);
  }
  const counts = COMMAND_STATUSES.map((status) => [status, unsuccessful.filter((command) => command.status === status).length] as const).filter(([, count]) => count > 0);
  throw new CliError(`${unsuccessful.length} of ${commands.length} commands did not succeed: ${counts.map(([status, count]) => `${count} ${status}`).join(', ')}`, 'COMMAND_FAILED');
}

async function listCommands(context: CliContext, options: ListCommandsOptions): Promise<void> {
  const client = context.connect();
  const device = options.device === undefined ? undefined : await resolveDevice(client, options.device);
  const query = { deviceId: device?.id, status: options.status, name: options.name, batchId: options.batch };
  const page = await fetchList<Command>(client, '/commands', query, options);
  if (options.json) return context.output.json(page);
  const columns: Column<Command>[] = [
    { heading: 'id', cell: (command) => command.id },
    { heading: 'device', cell: (command) => command.deviceName ?? command.deviceId },
    { heading: 'command', cell: (command) => command.name },
    { heading: 'status', cell: (command) => command.status },
    { heading: 'created', cell: (command) => formatRelative(command.createdAt) },
    { heading: 'finished', cell: (command) => formatRelative(command.finishedAt) },
  ];
  const isFiltered = Object.values(query).some((value) => value !== undefined);
  context.output.table(columns, page.items, isFiltered ? 'no commands match' : 'no commands yet');
  noteMore(context, page, 'commands');
}

function commandDetails(command: Command, deviceName: string): [string, string][] {
  return [
    ['id', command.id],
    ['device', `${deviceName} (${command.deviceId})`],
    ['command', command.name],
    ['status', command.status],
    ['params', Object.keys(command.params).length === 0 ? '-' : JSON.stringify(command.params, null, 2)],
    ['timeout', formatDurationMs(command.timeoutMs)],
    ['expires', formatTimestamp(command.expiresAt)],
    ['created', formatTimestamp(command.createdAt)],
    ['sent', formatTimestamp(command.sentAt)],
    ['acknowledged', formatTimestamp(command.acknowledgedAt)],
    ['finished', formatTimestamp(command.finishedAt)],
    ['batch', command.batchId ?? '-'],
    ['error', command.error ?? '-'],
    ['output', command.output === null || command.output === undefined ? '-' : formatOutput(command.output)],
  ];
}

/** A command's output: text as it is, anything else as indented JSON. */
function formatOutput(output: unknown): string {
  return typeof output === 'string' ? output.replace(/\n$/, '') : JSON.stringify(output, null, 2);
}
