/**
 * `flotilla profiles …`: label-scoped layers of desired state. Each has a selector choosing its
 * devices and a priority ordering it among the others (the device's own layer is above all).
 * Every change is a revision; `preview` (and `--dry-run`) shows what a change would do to each
 * device before anything is saved.
 */
import type { Profile, ProfileInput, ProfilePatch, ProfilePreview, ProfilePreviewBody } from '@flotilla/protocol';
import type { Command } from 'commander';
import { parseInteger } from '../args.js';
import type { ApiClient } from '../client.js';
import type { CliContext } from '../context.js';
import { applyMergePatch, readJsonObject } from '../documents.js';
import { ApiError, usageError } from '../errors.js';
import { formatDetails, formatRelative, formatTable, formatTimestamp, type Column } from '../format.js';
import { documentTree, formatChanges } from '../state-format.js';
import { checkSelector } from './devices.js';
import { registerRevisionCommands, type RevisedKind } from './revisions.js';
import { confirmDeletion, fetchList, noteMore, segment, withJson, withPaging, type JsonOptions, type ListOptions } from './shared.js';

/** What the create, update and preview commands take. */
interface ChangeOptions extends JsonOptions {
  file?: string;
  merge?: boolean;
  schema?: string;
  name?: string;
  selector?: string;
  priority?: number;
  message?: string;
  dryRun?: boolean;
  delete?: boolean;
}

const PROFILE_ID = /^prf_[0-9a-z]{26}$/;
const MAX_PRIORITY = 1_000_000;

const profileColumns: Column<Profile>[] = [
  { heading: 'name', cell: (profile) => profile.name },
  { heading: 'priority', cell: (profile) => String(profile.priority) },
  { heading: 'selector', cell: (profile) => formatSelector(profile.selector) },
  { heading: 'devices', cell: (profile) => String(profile.matchedDevices) },
  { heading: 'revision', cell: (profile) => String(profile.revision) },
  { heading: 'updated', cell: (profile) => formatRelative(profile.updatedAt) },
  { heading: 'id', cell: (profile) => profile.id },
];

const profilePath = (id: string) => `/profiles/${segment(id)}`;

const profiles: RevisedKind = {
  noun: 'profile',
  async resolve(client, reference) {
    const profile = await resolveProfile(client, reference);
    return { label: `profile ${profile.name}`, path: profilePath(profile.id), currentRevision: async () => profile.revision };
  },
  revisionOf: (answer) => (answer as Profile).revision,
};

/** Adds `profiles ls|get|create|update|rm|history|diff|revert|preview`. */
export function registerProfilesCommands(program: Command, context: CliContext): void {
  const group = program.command('profiles').description('label-scoped layers of desired state, merged by priority below the device layer');

  withPaging(withJson(group.command('ls').description('list profiles by name'))).action(async (options: ListOptions) => {
    const page = await fetchList<Profile>(context.connect(), '/profiles', {}, options);
    if (options.json) return context.output.json(page);
    context.output.table(profileColumns, page.items, 'no profiles yet');
    noteMore(context, page, 'profiles');
  });

  withJson(group.command('get').description('show a profile and its document').argument('<profile>', 'id or name')).action(async (reference: string, options: JsonOptions) => {
    const profile = await resolveProfile(context.connect(), reference);
    if (options.json) return context.output.json(profile);
    printProfile(context, profile);
  });

  withChangeOptions(group.command('create').description('create a profile from a JSON document; the devices it selects get it at once'))
    .requiredOption('--name <name>', 'unique name: letters, digits, ".", "_", "-"')
    .requiredOption('-l, --selector <selector>', 'label selector of its devices, e.g. "site=oslo"; "" for every device')
    .requiredOption('-f, --file <file>', 'the JSON document (- for stdin)')
    .action((options: ChangeOptions) => createProfile(context, options));

  withChangeOptions(group.command('update').description('change a profile (a new revision): its document, name, selector, priority or schema').argument('<profile>', 'id or name'))
    .option('--name <name>', 'a new name')
    .option('-l, --selector <selector>', 'a new label selector')
    .option('-f, --file <file>', 'a new JSON document (- for stdin); with --merge, a merge patch of the current one')
    .option('--merge', 'treat --file as a JSON merge patch: objects merge, null removes')
    .action((reference: string, options: ChangeOptions) => updateProfile(context, reference, options));

  withJson(
    group
      .command('rm')
      .description('delete a profile and its revisions; its devices lose its values')
      .argument('<profile>', 'id or name')
      .option('-m, --message <message>', 'why (kept in the history)')
      .option('-y, --yes', 'do not ask for confirmation'),
  ).action(async (reference: string, options: JsonOptions & { yes?: boolean; message?: string }) => {
    const client = context.connect();
    const profile = await resolveProfile(client, reference);
    await confirmDeletion(context, `profile ${profile.name} (${profile.id})`, options.yes);
    await client.delete(profilePath(profile.id), { message: options.message });
    if (options.json) return context.output.json({ id: profile.id, name: profile.name, deleted: true });
    context.output.line(`deleted profile ${profile.name} (${profile.id})`);
  });

  registerRevisionCommands(group, context, profiles);

  withJson(
    group
      .command('preview')
      .description('what creating, changing or deleting a profile would do to each device; nothing is saved')
      .argument('[profile]', 'the profile to change or delete (none: a new profile)')
      .option('--name <name>', 'the name (of a new profile, or a new name)')
      .option('-l, --selector <selector>', 'the label selector')
      .option('--priority <n>', `the priority, -${MAX_PRIORITY} to ${MAX_PRIORITY}`, parsePriority)
      .option('-f, --file <file>', 'the JSON document (- for stdin)')
      .option('--merge', 'treat --file as a JSON merge patch of the current document')
      .option('--schema <file>', 'a JSON Schema for the settings section')
      .option('--delete', 'preview deleting the profile'),
  ).action(async (reference: string | undefined, options: ChangeOptions) => {
    const client = context.connect();
    const body = await previewBody(client, reference, options);
    await printPreview(context, await client.post<ProfilePreview>('/profiles/preview', body), options);
  });
}

/** The options create and update share. */
function withChangeOptions(command: Command): Command {
  return withJson(
    command
      .option('--priority <n>', `higher wins, -${MAX_PRIORITY} to ${MAX_PRIORITY} (default 0 for a new profile)`, parsePriority)
      .option('--schema <file>', 'a JSON Schema for the settings section of the effective document')
      .option('-m, --message <message>', 'why (kept with the revision)')
      .option('--dry-run', 'show what each device would change, and save nothing'),
  );
}

function parsePriority(text: string): number {
  return parseInteger(text, '--priority', -MAX_PRIORITY, MAX_PRIORITY);
}

async function createProfile(context: CliContext, options: ChangeOptions): Promise<void> {
  const profile = await newProfile(options);
  const client = context.connect();
  if (options.dryRun) return printPreview(context, await client.post<ProfilePreview>('/profiles/preview', { action: 'create', profile }), options);
  const created = await client.post<Profile>('/profiles', { ...profile, ...messageOf(options) });
  if (options.json) return context.output.json(created);
  context.output.line(`created profile ${created.name} (${created.id}): revision ${created.revision}`);
}

async function updateProfile(context: CliContext, reference: string, options: ChangeOptions): Promise<void> {
  if (options.merge && options.file === undefined) throw usageError('--merge needs --file: the merge patch to apply');
  const changes = await changesOf(options);
  if (Object.keys(changes).length === 0) throw usageError('nothing to change: give --file, --name, --selector, --priority or --schema');
  const client = context.connect();
  const current = await resolveProfile(client, reference);
  if (options.dryRun) return printPreview(context, await client.post<ProfilePreview>('/profiles/preview', { action: 'update', id: current.id, profile: changedProfile(current, changes, options) }), options);
  // A whole new document replaces the old one (PUT); anything else is a patch of what changed.
  const saved =
    options.file !== undefined && !options.merge
      ? await client.put<Profile>(profilePath(current.id), { ...changedProfile(current, changes, options), ...messageOf(options) }, { ifMatch: current.revision })
      : await client.patch<Profile>(profilePath(current.id), { ...changes, ...messageOf(options) }, { ifMatch: current.revision });
  if (options.json) return context.output.json(saved);
  context.output.line(`updated profile ${saved.name}: revision ${saved.revision}`);
}

/** The fields the options change, as a PATCH body (without message). */
async function changesOf(options: ChangeOptions): Promise<ProfilePatch> {
  if (options.selector !== undefined) checkSelector(options.selector);
  return {
    ...(options.name !== undefined ? { name: options.name } : {}),
    ...(options.selector !== undefined ? { selector: options.selector } : {}),
    ...(options.priority !== undefined ? { priority: options.priority } : {}),
    ...(options.file !== undefined ? { state: await readJsonObject(options.file, '--file') } : {}),
    ...(options.schema !== undefined ? { schema: await readJsonObject(options.schema, '--schema') } : {}),
  };
}

/** The whole profile after the changes: a new document replaces the current one unless `--merge`. */
function changedProfile(current: Profile, changes: ProfilePatch, options: ChangeOptions): Omit<ProfileInput, 'message'> {
  const state = changes.state === undefined ? current.state : options.merge ? applyMergePatch(current.state, changes.state) : changes.state;
  const schema = changes.schema === undefined ? current.schema : changes.schema;
  return {
    name: changes.name ?? current.name,
    selector: changes.selector ?? current.selector,
    priority: changes.priority ?? current.priority,
    state,
    ...(schema ? { schema } : {}),
  };
}

/** A new profile from the options; create requires name, selector and file. */
async function newProfile(options: ChangeOptions): Promise<Omit<ProfileInput, 'message'>> {
  const missing = (['name', 'selector', 'file'] as const).find((option) => options[option] === undefined);
  if (missing) throw usageError(`a new profile needs --${missing}`);
  const changes = await changesOf(options);
  return { name: changes.name as string, selector: changes.selector as string, priority: changes.priority ?? 0, state: changes.state ?? {}, ...(changes.schema ? { schema: changes.schema } : {}) };
}

async function previewBody(client: ApiClient, reference: string | undefined, options: ChangeOptions): Promise<ProfilePreviewBody> {
  if (options.delete) {
    if (reference === undefined) throw usageError('--delete needs the profile to delete');
    return { action: 'delete', id: (await resolveProfile(client, reference)).id };
  }
  if (reference === undefined) return { action: 'create', profile: await newProfile(options) };
  const changes = await changesOf(options);
  const current = await resolveProfile(client, reference);
  return { action: 'update', id: current.id, profile: changedProfile(current, changes, options) };
}

function messageOf(options: ChangeOptions): { message?: string } {
  return options.message !== undefined ? { message: options.message } : {};
}

/** Prints each device's changes as a diff, and the schema errors that would refuse the change. */
function printPreview(context: CliContext, preview: ProfilePreview, options: JsonOptions): void {
  const { output } = context;
  if (options.json) return output.json(preview);
  if (preview.total === 0) return output.note('no device would change');
  for (const device of preview.devices) {
    output.line(`${device.name} (${device.deviceId}), desired version ${device.version}:`);
    for (const line of formatChanges(device.changes, null, output.colors)) output.line(`  ${line}`);
    for (const error of device.errors) output.line(`  ! ${error.field} ${error.message}`);
  }
  const refused = preview.devices.filter((device) => device.errors.length > 0).length;
  const more = preview.total - preview.devices.length;
  output.note(`${preview.total} device${preview.total === 1 ? '' : 's'} would change${more > 0 ? ` (${more} not listed)` : ''}; nothing was saved`);
  if (refused > 0) output.warn(`the change would be refused: ${refused} device${refused === 1 ? '' : 's'} would break a settings schema`);
}

function printProfile(context: CliContext, profile: Profile): void {
  const details = formatDetails([
    ['id', profile.id],
    ['name', profile.name],
    ['selector', formatSelector(profile.selector)],
    ['priority', String(profile.priority)],
    ['devices', `${profile.matchedDevices} matched now`],
    ['revision', String(profile.revision)],
    ['schema', profile.schema ? JSON.stringify(profile.schema, null, 2) : '-'],
    ['created', formatTimestamp(profile.createdAt)],
    ['updated', formatTimestamp(profile.updatedAt)],
  ]);
  const rows = documentTree(profile.state);
  const document = rows.length === 0 ? 'DOCUMENT\n(empty)' : formatTable([{ heading: 'document', cell: (row: { text: string }) => row.text }], rows);
  context.output.line(`${details}\n\n${document}`);
}

function formatSelector(selector: string): string {
  return selector === '' ? '(every device)' : selector;
}

/** Finds a profile by id or by exact name. */
export async function resolveProfile(client: ApiClient, reference: string): Promise<Profile> {
  if (PROFILE_ID.test(reference)) {
    try {
      return await client.get<Profile>(profilePath(reference));
    } catch (error) {
      if (!(error instanceof ApiError && error.code === 'PROFILE_NOT_FOUND')) throw error;
    }
  }
  const found = (await client.listAll<Profile>('/profiles')).find((profile) => profile.name === reference);
  if (!found) throw new ApiError(`no profile has the id or name "${reference}"`, 'PROFILE_NOT_FOUND', 404);
  return found;
}
