/**
 * `flotilla state edit`: opens the device's own layer in $VISUAL or $EDITOR, as `kubectl edit`
 * does, and saves what was written as a new revision. Secrets appear as `{"$secret":true}`;
 * leaving them so keeps their stored values.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DeviceState } from '@flotilla/protocol';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { parseJsonObjectText } from '../documents.js';
import { ApiError, CliError, usageError } from '../errors.js';
import { resolveDevice } from './devices.js';
import { withJson, type JsonOptions } from './shared.js';
import { statePath, writeLayer } from './state-layer.js';

/** Adds `state edit` to the `state` group. */
export function registerEditCommand(state: Command, context: CliContext): void {
  withJson(
    state
      .command('edit')
      .description("edit the device's own layer in $EDITOR and save it as a new revision")
      .argument('<device>', 'id or name')
      .option('-m, --message <message>', 'why (kept with the revision)'),
  ).action(async (reference: string, options: JsonOptions & { message?: string }) => {
    const editor = context.env.VISUAL || context.env.EDITOR;
    if (!context.isInteractive) throw usageError('state edit needs a terminal (stdin is not one): use flotilla state set <device> --file <file>');
    if (!editor) throw usageError('state edit needs an editor: set EDITOR (or VISUAL), e.g. EDITOR=nano');
    const client = context.connect();
    const device = await resolveDevice(client, reference);
    const path = statePath(device.id);
    const before = await client.get<DeviceState>(path);

    const directory = mkdtempSync(join(tmpdir(), 'flotilla-edit-'));
    const file = join(directory, `${device.name}.json`);
    const original = `${JSON.stringify(before.layer.state, null, 2)}\n`;
    writeFileSync(file, original, { mode: 0o600 });
    await runEditor(editor, file);
    const edited = readFileSync(file, 'utf8');
    if (edited === original) {
      rmSync(directory, { recursive: true, force: true });
      return context.output.note(`no changes: the layer of ${device.name} stays at revision ${before.layer.revision}`);
    }
    // From here on the edit is kept in its file until it is saved, so a mistake costs nothing.
    const keptIn = `your edit is kept in ${file}`;
    const document = await keepingEdit(async () => parseJsonObjectText(edited, 'the edited layer'), keptIn);
    const now = await client.get<DeviceState>(path);
    if (now.layer.revision !== before.layer.revision) {
      throw new CliError(`${changedMeanwhile(device.name, `revision ${before.layer.revision} → ${now.layer.revision}`).message}; ${keptIn}`, 'STATE_CHANGED');
    }
    // If-Match closes the gap between that check and the write: a save in between is refused too.
    const saved = await keepingEdit(async () => {
      try {
        return await writeLayer(client, device.id, { document, schema: undefined, message: options.message, isMerge: false, expectedRevision: before.layer.revision });
      } catch (error) {
        if (error instanceof ApiError && error.code === 'STATE_REVISION_CONFLICT') throw changedMeanwhile(device.name, error.message);
        throw error;
      }
    }, keptIn);
    rmSync(directory, { recursive: true, force: true });
    if (options.json) return context.output.json(saved);
    context.output.line(`updated the layer of ${device.name}: revision ${saved.layer.revision}, desired version ${saved.desired.version}`);
  });
}

/** The error of an edit that someone else's save overtook: reload and edit again. */
function changedMeanwhile(deviceName: string, detail: string): CliError {
  return new CliError(`the layer of ${deviceName} changed while you edited it (${detail}); nothing saved: run flotilla state edit again to edit the current revision`, 'STATE_CHANGED');
}

/** Runs the editor (which may carry arguments, `code --wait`) on the file, on this terminal. */
function runEditor(editor: string, file: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(`${editor} "${file}"`, { shell: true, stdio: 'inherit' });
    child.once('error', (error) => reject(usageError(`cannot start the editor "${editor}": ${error.message}`)));
    child.once('close', (code) => (code === 0 ? resolve() : reject(new CliError(`the editor "${editor}" exited with status ${code}; nothing saved`, null))));
  });
}

/** Runs `run`; an error it throws also says where the edit is kept. */
async function keepingEdit<T>(run: () => Promise<T>, keptIn: string): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof CliError) throw new CliError(`${error.message}; ${keptIn}`, error.code, error.exitCode);
    throw error;
  }
}
