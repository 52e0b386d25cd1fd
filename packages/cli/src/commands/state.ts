/**
 * `flotilla state …`: a device's desired state. `get` shows the effective document with the
 * layer that set each value, `set` and `edit` write the device's own layer, `history`, `diff`
 * and `revert` work on its revisions, and `drift` lists devices behind their desired version.
 */
import type { DeviceState, StateDriftItem } from '@flotilla/protocol';
import { Option, type Command } from 'commander';
import type { CliContext } from '../context.js';
import { readJsonObject } from '../documents.js';
import { usageError } from '../errors.js';
import { formatDetails, formatRelative, formatTable, type Column } from '../format.js';
import { documentTree, type TreeRow } from '../state-format.js';
import { checkSelector, resolveDevice } from './devices.js';
import { registerRevisionCommands, type RevisedKind } from './revisions.js';
import { fetchList, noteMore, withJson, withPaging, type JsonOptions, type ListOptions } from './shared.js';
import { registerEditCommand } from './state-edit.js';
import { statePath, writeLayer } from './state-layer.js';

interface GetOptions extends JsonOptions {
  effective?: boolean;
  layer?: boolean;
  reported?: boolean;
}

interface SetOptions extends JsonOptions {
  file?: string;
  merge?: boolean;
  schema?: string;
  message?: string;
}

const deviceLayers: RevisedKind = {
  noun: 'device',
  async resolve(client, reference) {
    const device = await resolveDevice(client, reference);
    const path = statePath(device.id);
    return { label: `the layer of ${device.name}`, path, currentRevision: async () => (await client.get<DeviceState>(path)).layer.revision };
  },
  revisionOf: (answer) => (answer as DeviceState).layer.revision,
};

const driftColumns: Column<StateDriftItem>[] = [
  { heading: 'device', cell: (item) => item.name },
  { heading: 'desired', cell: (item) => String(item.desiredVersion) },
  { heading: 'applied', cell: (item) => (item.appliedVersion === null ? '-' : String(item.appliedVersion)) },
  { heading: 'status', cell: (item) => item.appliedStatus ?? '-' },
  { heading: 'reason', cell: (item) => item.reason ?? '-' },
];

/** Adds `state get|set|edit|history|diff|revert|drift`. */
export function registerStateCommands(program: Command, context: CliContext): void {
  const state = program.command('state').description("devices' desired state: effective documents, the device layer, revisions and drift");

  withJson(
    state
      .command('get')
      .description('the effective desired state with the layer that set each value, the device layer, versions and drift')
      .argument('<device>', 'id or name')
      .addOption(new Option('--effective', 'print only the effective document, as JSON').conflicts(['layer', 'reported', 'json']))
      .addOption(new Option('--layer', "print only the device's own layer, as JSON").conflicts(['reported', 'json']))
      .addOption(new Option('--reported', 'print only what the device reported, as JSON').conflicts('json')),
  ).action(async (reference: string, options: GetOptions) => {
    const client = context.connect();
    const device = await resolveDevice(client, reference);
    const answer = await client.get<DeviceState>(statePath(device.id));
    if (options.json) return context.output.json(answer);
    if (options.effective) return context.output.json(answer.desired.state);
    if (options.layer) return context.output.json(answer.layer.state);
    if (options.reported) return context.output.json(answer.reported.state);
    printState(context, device.name, answer);
  });

  withJson(
    state
      .command('set')
      .description("replace the device's own layer with a JSON document (a new revision), or merge a patch into it with --merge")
      .argument('<device>', 'id or name')
      .argument('[source]', '- to read the document from stdin')
      .option('-f, --file <file>', 'the JSON document (- for stdin)')
      .option('--merge', 'treat the document as a JSON merge patch: objects merge, null removes')
      .option('--schema <file>', 'a JSON Schema for the settings section (default: keep the current one)')
      .option('-m, --message <message>', 'why (kept with the revision)'),
  ).action(async (reference: string, source: string | undefined, options: SetOptions) => {
    const document = await readJsonObject(documentSource(source, options.file), '--file');
    const schema = options.schema === undefined ? undefined : await readJsonObject(options.schema, '--schema');
    const client = context.connect();
    const device = await resolveDevice(client, reference);
    const saved = await writeLayer(client, device.id, { document, schema, message: options.message, isMerge: Boolean(options.merge) });
    if (options.json) return context.output.json(saved);
    context.output.line(`updated the layer of ${device.name}: revision ${saved.layer.revision}, desired version ${saved.desired.version}`);
  });

  registerEditCommand(state, context);
  registerRevisionCommands(state, context, deviceLayers);

  withPaging(
    withJson(
      state
        .command('drift')
        .description('devices that have not applied their desired version, or failed to, and why')
        .option('-l, --selector <selector>', 'only devices with these labels, e.g. "site=oslo,role!=gateway"'),
    ),
  ).action(async (options: ListOptions & { selector?: string }) => {
    if (options.selector !== undefined) checkSelector(options.selector);
    const page = await fetchList<StateDriftItem>(context.connect(), '/state/drift', { selector: options.selector }, options);
    if (options.json) return context.output.json(page);
    context.output.table(driftColumns, page.items, 'no device is in drift');
    noteMore(context, page, 'devices in drift');
  });
}

/** Where `set` reads from: `--file F` or the `-` argument, exactly one of them. */
function documentSource(argument: string | undefined, file: string | undefined): string {
  if (argument !== undefined && argument !== '-') throw usageError(`unexpected argument "${argument}": give the document with --file <file>, or - to read stdin`);
  if (argument !== undefined && file !== undefined) throw usageError('give the document either with --file or as - (stdin), not both');
  const source = argument ?? file;
  if (source === undefined) throw usageError('give the document with --file <file>, or - to read it from stdin');
  return source;
}

function printState(context: CliContext, name: string, answer: DeviceState): void {
  const { desired, reported, drift, layer } = answer;
  const profiles = desired.profiles.map((profile) => `${profile.name} (priority ${profile.priority})`).join(', ');
  const applied = drift.appliedVersion === null ? 'nothing reported yet' : `version ${drift.appliedVersion}${drift.appliedStatus ? `, ${drift.appliedStatus}` : ''}`;
  const pairs: [string, string][] = [
    ['device', `${name} (${answer.deviceId})`],
    ['desired', `version ${desired.version}`],
    ['profiles', profiles || '-'],
    ['layer', `revision ${layer.revision}${layer.schema ? ', with a settings schema' : ''}`],
    ['reported', reported.updatedAt ? `version ${reported.version}, ${formatRelative(reported.updatedAt)}` : 'never'],
    ['applied', applied],
    ['drift', drift.inDrift ? `yes: ${drift.reason}` : 'no'],
  ];
  if (reported.rejected.count > 0) {
    pairs.push(['rejected', `${reported.rejected.count} reports, the last ${formatRelative(reported.rejected.lastAt)}: ${reported.rejected.lastReason ?? '-'}`]);
  }
  const sections = [
    formatDetails(pairs),
    treeSection('effective state', documentTree(desired.state, desired.provenance), true),
    treeSection('device layer', documentTree(layer.state), false),
  ];
  context.output.line(sections.join('\n\n'));
}

/** A document tree under its heading, with the SET BY column when `withSources`. */
function treeSection(heading: string, rows: TreeRow[], withSources: boolean): string {
  if (rows.length === 0) return `${heading.toUpperCase()}\n(empty)`;
  const columns: Column<TreeRow>[] = [{ heading, cell: (row) => row.text }];
  if (withSources) columns.push({ heading: 'set by', cell: (row) => row.source });
  return formatTable(columns, rows);
}
