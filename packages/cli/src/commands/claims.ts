/**
 * `flotilla claim-codes …` for makers, who pre-register devices with a code each, and
 * `flotilla claim <code>` for owners, who take such a device into their own tenant.
 */
import type { ClaimCode, Device } from '@flotilla/protocol';
import type { Command } from 'commander';
import { collect, parseLabels, parsePositiveInteger } from '../args.js';
import type { CliContext } from '../context.js';
import { formatRelative, type Column } from '../format.js';
import { fetchList, noteMore, withJson, withPaging, type JsonOptions, type ListOptions } from './shared.js';

interface CreatedCode {
  deviceId: string;
  claimCode: string;
}

const codeColumns: Column<ClaimCode>[] = [
  { heading: 'id', cell: (code) => code.id },
  { heading: 'device', cell: (code) => code.deviceId },
  { heading: 'enrolled', cell: (code) => (code.enrolled ? formatRelative(code.enrolledAt) : 'no') },
  { heading: 'claimed', cell: (code) => (code.claimed ? formatRelative(code.claimedAt) : 'no') },
  { heading: 'created', cell: (code) => formatRelative(code.createdAt) },
];

const createdColumns: Column<CreatedCode>[] = [
  { heading: 'device', cell: (code) => code.deviceId },
  { heading: 'claim code', cell: (code) => code.claimCode },
];

/** Adds `claim-codes create|ls` and `claim`. */
export function registerClaimCommands(program: Command, context: CliContext): void {
  const codes = program.command('claim-codes').description('claim codes, for makers who ship devices to owners');

  withJson(
    codes
      .command('create')
      .description('pre-register devices, each with a claim code (shown only once)')
      .requiredOption('--count <n>', 'how many devices and codes', (text) => parsePositiveInteger(text, '--count'))
      .option('--name-prefix <prefix>', 'the devices are named <prefix>-<number>')
      .option('--label <key=value>', 'a label every device gets; repeat for more', collect, []),
  ).action(async (options: JsonOptions & { count: number; namePrefix?: string; label: string[] }) => {
    const body = {
      count: options.count,
      labels: parseLabels(options.label),
      ...(options.namePrefix !== undefined ? { namePrefix: options.namePrefix } : {}),
    };
    const created = await context.connect().post<{ items: CreatedCode[] }>('/claim-codes', body);
    if (options.json) context.output.json(created);
    else context.output.table(createdColumns, created.items, 'no claim codes created');
    context.output.warn('the claim codes are shown only this once: print them on the devices or their boxes now');
  });

  withPaging(withJson(codes.command('ls').description('list claim codes you created'))).action(async (options: ListOptions) => {
    const page = await fetchList<ClaimCode>(context.connect(), '/claim-codes', {}, options);
    if (options.json) return context.output.json(page);
    context.output.table(codeColumns, page.items, 'no claim codes');
    noteMore(context, page, 'claim codes');
  });

  withJson(
    program
      .command('claim')
      .description('claim a device into your tenant with its code')
      .argument('<code>', 'the claim code')
      .option('--name <name>', 'name the device')
      .option('--label <key=value>', 'a label; repeat for more', collect, []),
  ).action(async (code: string, options: JsonOptions & { name?: string; label: string[] }) => {
    const body = { code, labels: parseLabels(options.label), ...(options.name !== undefined ? { name: options.name } : {}) };
    const device = await context.connect().post<Device>('/claims', body);
    if (options.json) context.output.json(device);
    else context.output.line(`claimed device ${device.name} (${device.id})`);
  });
}
