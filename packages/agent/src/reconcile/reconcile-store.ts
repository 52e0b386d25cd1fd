/**
 * What the reconciler keeps under `<stateDir>/reconcile/`: the last desired message it applied
 * (so apps start again at once after an agent restart, before the server is reachable) and the
 * manifest of files it wrote (so it deletes only files it created).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DesiredStateMessage } from '@flotilla/protocol';
import { DesiredStateMessageSchema } from '@flotilla/protocol';
import { Value } from '@sinclair/typebox/value';
import type { Logger } from 'pino';
import { errorMessage } from '../errors.js';
import { writeFileAtomic } from './file-writer.js';

/** A file the agent has written: `created` when it did not exist before the agent first wrote it. */
export interface ManifestEntry {
  created: boolean;
}

/** Paths of written files, keyed by absolute path. */
export type FileManifest = Record<string, ManifestEntry>;

export interface ReconcileStore {
  /** The last applied message, or null when none was kept or the file is unreadable (logged). */
  loadDesired(): DesiredStateMessage | null;
  saveDesired(message: DesiredStateMessage): Promise<void>;
  loadManifest(): FileManifest;
  saveManifest(manifest: FileManifest): Promise<void>;
}

/** Reads synchronously, because the reconciler restores its apps while it is being created. */
function readJson(path: string, log: Logger): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') log.warn({ path, error: errorMessage(error) }, 'cannot read reconcile state');
    return undefined;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    log.warn({ path, error: errorMessage(error) }, 'reconcile state is not valid JSON; ignoring it');
    return undefined;
  }
}

async function writeJson(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, Buffer.from(`${JSON.stringify(value, null, 2)}\n`), 0o600);
}

/** The store in `<stateDir>/reconcile/`. */
export function createReconcileStore(stateDir: string, log: Logger): ReconcileStore {
  const directory = join(stateDir, 'reconcile');
  const desiredPath = join(directory, 'desired-state.json');
  const manifestPath = join(directory, 'files-manifest.json');
  return {
    loadDesired() {
      const value = readJson(desiredPath, log);
      if (value === undefined) return null;
      if (!Value.Check(DesiredStateMessageSchema, value)) {
        log.warn({ path: desiredPath }, 'kept desired state does not fit its schema; ignoring it');
        return null;
      }
      return value as DesiredStateMessage;
    },
    saveDesired: (message) => writeJson(desiredPath, message),
    loadManifest() {
      const value = readJson(manifestPath, log);
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return {};
      const manifest: FileManifest = {};
      for (const [path, entry] of Object.entries(value)) {
        if (typeof entry === 'object' && entry !== null && typeof (entry as ManifestEntry).created === 'boolean') manifest[path] = { created: (entry as ManifestEntry).created };
      }
      return manifest;
    },
    saveManifest: (manifest) => writeJson(manifestPath, manifest),
  };
}
