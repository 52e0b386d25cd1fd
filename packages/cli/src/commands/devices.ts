/** `flotilla devices …`: list, inspect, create, label and delete devices. */
import { parseSelector, SelectorSyntaxError, type Device, type Page, type StateDrift } from '@flotilla/protocol';
import type { Command } from 'commander';
import { collect, parseJsonObject, parseLabelChanges, parseLabels } from '../args.js';
import { MAX_PAGE_SIZE, type ApiClient } from '../client.js';
import type { CliContext } from '../context.js';
import { registerDeviceEventsCommand } from './device-events.js';
import { ApiError, CliError, EXIT_USAGE, usageError } from '../errors.js';
import { formatLabels, formatRelative, formatTimestamp, type Column } from '../format.js';
import { inventoryRows } from '../inventory-format.js';
import { confirmDeletion, fetchList, noteMore, segment, withJson, withPaging, type JsonOptions, type ListOptions } from './shared.js';

interface ListDevicesOptions extends ListOptions {
  selector?: string;
  search?: string;
  sort?: string;
  /** true: only devices in drift; false (--no-drift): only the others; undefined: all. */
  drift?: boolean;
}

const SORT_FIELDS = ['name', 'createdAt', 'updatedAt', 'lastSeenAt'];

const deviceColumns: Column<Device>[] = [
  { heading: 'name', cell: (device) => device.name },
  { heading: 'id', cell: (device) => device.id },
  { heading: 'status', cell: (device) => (device.online ? 'online' : 'offline') },
  { heading: 'drift', cell: (device) => formatDrift(device.drift) },
  { heading: 'labels', cell: (device) => formatLabels(device.labels) },
  { heading: 'last seen', cell: (device) => formatRelative(device.lastSeenAt) },
  { heading: 'created', cell: (device) => formatRelative(device.createdAt) },
];

/** Adds `devices ls|get|create|label|rm`. */
export function registerDevicesCommands(program: Command, context: CliContext): void {
  const devices = program.command('devices').description('list, inspect, create, label and delete devices');

  withPaging(
    withJson(
      devices
        .command('ls')
        .description('list devices')
        .option('-l, --selector <selector>', 'label selector, e.g. "site=oslo,role!=gateway,tier in (a,b)"')
        .option('--search <text>', 'only devices whose name contains this text')
        .option('--drift', 'only devices in drift: desired version not applied, or the apply failed')
        .option('--no-drift', 'only devices not in drift')
        .option('--sort <field>', `${SORT_FIELDS.join(', ')}; put - in front for descending`),
    ),
  ).action((options: ListDevicesOptions) => listDevices(context, options));

  withJson(devices.command('get').description('show one device').argument('<device>', 'id or name'))
    .action(async (reference: string, options: JsonOptions) => {
      const device = await resolveDevice(context.connect(), reference);
      if (options.json) context.output.json(device);
      else context.output.details(deviceDetails(device));
    });

  withJson(
    devices
      .command('create')
      .description('register a device and print its secret (shown only once)')
      .argument('<name>', 'unique name in your tenant')
      .option('--label <key=value>', 'a label; repeat for more', collect, [])
      .option('--metadata <json>', 'free-form JSON object, e.g. \'{"rack":4}\''),
  ).action(async (name: string, options: JsonOptions & { label: string[]; metadata?: string }) => {
    const body = {
      name,
      labels: parseLabels(options.label),
      ...(options.metadata !== undefined ? { metadata: parseJsonObject(options.metadata, '--metadata') } : {}),
    };
    const created = await context.connect().post<{ device: Device; secret: string }>('/devices', body);
    if (options.json) context.output.json(created);
    else {
      context.output.line(`created device ${created.device.name} (${created.device.id})`);
      context.output.line(`secret: ${created.secret}`);
    }
    context.output.warn('the device secret is shown only this once: store it on the device now');
  });

  withJson(
    devices
      .command('label')
      .description('set labels (key=value) and remove them (key-)')
      .argument('<device>', 'id or name')
      .argument('<changes...>', 'key=value to set a label, key- to remove it'),
  ).action(async (reference: string, changes: string[], options: JsonOptions) => {
    const labels = parseLabelChanges(changes);
    const client = context.connect();
    const device = await resolveDevice(client, reference);
    const updated = await client.patch<Device>(`/devices/${segment(device.id)}`, { labels });
    if (options.json) context.output.json(updated);
    else context.output.line(`${updated.name}: ${formatLabels(updated.labels)}`);
  });

  withJson(
    devices
      .command('rm')
      .description('delete a device')
      .argument('<device>', 'id or name')
      .option('-y, --yes', 'do not ask for confirmation'),
  ).action(async (reference: string, options: JsonOptions & { yes?: boolean }) => {
    const client = context.connect();
    const device = await resolveDevice(client, reference);
    await confirmDeletion(context, `device ${device.name} (${device.id})`, options.yes);
    await client.delete(`/devices/${segment(device.id)}`);
    if (options.json) context.output.json({ id: device.id, name: device.name, deleted: true });
    else context.output.line(`deleted device ${device.name} (${device.id})`);
  });
  registerDeviceEventsCommand(devices, context);
}

async function listDevices(context: CliContext, options: ListDevicesOptions): Promise<void> {
  if (options.selector !== undefined) checkSelector(options.selector);
  if (options.sort !== undefined && !SORT_FIELDS.includes(options.sort.replace(/^-/, ''))) {
    throw usageError(`cannot sort by "${options.sort}": expected ${SORT_FIELDS.join(', ')}, with - in front for descending`);
  }
  const query = { selector: options.selector, q: options.search, sort: options.sort, drift: options.drift === undefined ? undefined : String(options.drift) };
  const page = await fetchList<Device>(context.connect(), '/devices', query, options);
  if (options.json) return context.output.json(page);
  const isFiltered = options.selector || options.search || options.drift !== undefined;
  context.output.table(deviceColumns, page.items, isFiltered ? 'no devices match' : 'no devices yet');
  noteMore(context, page, 'devices');
}

/**
 * Checks a label selector with the server's own parser, so a typo is answered before any
 * request (INVALID_SELECTOR, exit 2). The server checks too.
 */
export function checkSelector(selector: string): void {
  try {
    parseSelector(selector);
  } catch (error) {
    if (error instanceof SelectorSyntaxError) throw new CliError(error.message, 'INVALID_SELECTOR', EXIT_USAGE);
    throw error;
  }
}

const DEVICE_ID = /^dev_[0-9a-z]{26}$/;

/**
 * Finds a device by id or by exact name. Names are searched with `?q=`, which matches parts of
 * names, so the pages are scanned for the one whose name is exactly `reference`.
 */
export async function resolveDevice(client: ApiClient, reference: string): Promise<Device> {
  if (DEVICE_ID.test(reference)) {
    try {
      return await client.get<Device>(`/devices/${segment(reference)}`);
    } catch (error) {
      // A device may be named like an id; look for that name before giving up.
      if (!(error instanceof ApiError && error.code === 'DEVICE_NOT_FOUND')) throw error;
    }
  }
  let cursor: string | undefined;
  do {
    const page = await client.get<Page<Device>>('/devices', { q: reference, limit: MAX_PAGE_SIZE, cursor });
    const found = page.items.find((device) => device.name === reference);
    if (found) return found;
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  throw new ApiError(`no device has the id or name "${reference}"`, 'DEVICE_NOT_FOUND', 404);
}

/** A drift cell: `-` when in step, else what is behind or failed, short. */
export function formatDrift(drift: StateDrift): string {
  if (!drift.inDrift) return '-';
  if (drift.appliedStatus === 'failed') return `failed v${drift.appliedVersion ?? '?'}`;
  return `v${drift.appliedVersion ?? '-'} of v${drift.desiredVersion}`;
}

function deviceDetails(device: Device): [string, string][] {
  return [
    ['id', device.id],
    ['name', device.name],
    ['status', device.online ? 'online' : 'offline'],
    ['labels', formatLabels(device.labels)],
    ['drift', device.drift.inDrift ? `in drift: ${device.drift.reason ?? ''}` : device.drift.desiredVersion === 0 ? '- (nothing declared)' : `no (version ${device.drift.desiredVersion} applied)`],
    ['last seen', formatTimestamp(device.lastSeenAt)],
    ['created', formatTimestamp(device.createdAt)],
    ['updated', formatTimestamp(device.updatedAt)],
    ['metadata', Object.keys(device.metadata).length === 0 ? '-' : JSON.stringify(device.metadata, null, 2)],
    ...inventoryRows(device.inventory),
  ];
}

/** Names of devices by id, for lines that show events of many devices. */
export interface DeviceNames {
  of(deviceId: string): Promise<string>;
}

/** Device names by id, looked up once each; a device that cannot be read shows as its id. */
export function createDeviceNames(client: ApiClient, known: Map<string, string> = new Map()): DeviceNames {
  const lookups = new Map<string, Promise<string>>();
  return {
    of(deviceId: string): Promise<string> {
      const name = known.get(deviceId);
      if (name !== undefined) return Promise.resolve(name);
      let lookup = lookups.get(deviceId);
      if (!lookup) {
        lookup = client.get<{ name: string }>(`/devices/${segment(deviceId)}`).then(
          (device) => device.name,
          () => deviceId,
        );
        lookups.set(deviceId, lookup);
      }
      return lookup;
    },
  };
}
