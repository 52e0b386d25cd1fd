/**
 * Brings the `files` section about: writes each declared file that differs (content or mode),
 * refuses paths in denied directories, and deletes files it created that are no longer declared.
 * A file the agent overwrote but did not create stays when it is no longer declared: the agent
 * deletes only what it made.
 */
import { unlink } from 'node:fs/promises';
import type { FileSpec, PartStatus } from '@flotilla/protocol';
import type { Logger } from 'pino';
import { errorMessage } from '../errors.js';
import type { Section } from './desired-sections.js';
import { decodeContent, deniedBy, isFileUpToDate, modeOf, resolveThroughLinks, writeFileAtomic } from './file-writer.js';
import type { FileManifest, ReconcileStore } from './reconcile-store.js';

export interface FilesReconcilerOptions {
  store: ReconcileStore;
  /** Directories no file may be written in (the agent's state directory first). */
  deniedDirectories: string[];
  log: Logger;
}

/** Applies `files` sections, one after another; keeps the manifest of files it wrote. */
export function createFilesReconciler(options: FilesReconcilerOptions) {
  const { store, log } = options;
  let manifest: FileManifest = store.loadManifest();
  let deniedDirectories: Promise<string[]> | undefined;
  const denied = () => (deniedDirectories ??= Promise.all(options.deniedDirectories.map(resolveThroughLinks)));

  /** Step: write one declared file unless it is up to date; its part status. */
  async function applyFile(path: string, spec: FileSpec): Promise<PartStatus> {
    const refusedBy = deniedBy(path, await denied()) ?? deniedBy(await resolveThroughLinks(path), await denied());
    if (refusedBy) return { status: 'failed', error: `files/${path}: refused, it lies in ${refusedBy}, where the agent may not write (deny list)` };
    const content = decodeContent(spec);
    if (!Buffer.isBuffer(content)) return { status: 'failed', error: `files/${path}/${content.error}` };
    const mode = modeOf(spec);
    try {
      if (await isFileUpToDate(path, content, mode)) {
        // Declared and already right: the agent manages it from now on, but did not create it.
        manifest[path] ??= { created: false };
        return { status: 'ok' };
      }
      const { isNew } = await writeFileAtomic(path, content, mode);
      manifest[path] = { created: manifest[path]?.created ?? isNew };
      log.info({ path, mode: spec.mode ?? '0644', bytes: content.length }, 'file written');
      return { status: 'ok' };
    } catch (error) {
      log.warn({ path, error: errorMessage(error) }, 'file write failed');
      return { status: 'failed', error: `files/${path}: ${errorMessage(error)}` };
    }
  }

  /** Step: forget files no longer declared, deleting those the agent created. */
  async function removeUndeclared(declared: Set<string>, parts: Record<string, PartStatus>): Promise<void> {
    for (const [path, entry] of Object.entries(manifest)) {
      if (declared.has(path)) continue;
      if (entry.created) {
        try {
          await unlink(path);
          log.info({ path }, 'file deleted, no longer declared');
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
            parts[`files/${path}`] = { status: 'failed', error: `files/${path}: cannot delete: ${errorMessage(error)}` };
            continue;
          }
        }
      }
      delete manifest[path];
    }
  }

  return {
    /** Applies one `files` section; the part status of every declared path (and of failed deletions). */
    async apply(section: Section<FileSpec>): Promise<Record<string, PartStatus>> {
      const parts: Record<string, PartStatus> = {};
      if (section.error) return { files: { status: 'failed', error: section.error } };
      const before = JSON.stringify(manifest);
      for (const [path, reason] of section.invalid) parts[`files/${path}`] = { status: 'failed', error: reason };
      for (const [path, spec] of section.valid) parts[`files/${path}`] = await applyFile(path, spec);
      // An invalid entry still counts as declared: a typo in a spec must not delete the file.
      await removeUndeclared(new Set([...section.valid.keys(), ...section.invalid.keys()]), parts);
      if (JSON.stringify(manifest) !== before) await store.saveManifest(manifest);
      return parts;
    },
  };
}

export type FilesReconciler = ReturnType<typeof createFilesReconciler>;
