/**
 * A git mirror of desired-state revisions in `<data dir>/state-history`: one JSON file per
 * profile (`<tenant>/profiles/<name>.json`) and per device layer (`<tenant>/devices/<id>.json`),
 * secrets redacted, one commit per revision signed with its author, so `git log` and
 * `git clone` of the directory work. Written with isomorphic-git (no git binary needed), after
 * the database has committed and off the request's path: the database is the source of truth,
 * and a failure here is logged, never answered.
 */
import * as fs from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import git from 'isomorphic-git';
import type { Logger } from '../log.js';

/** The directory of the history, under the data directory. */
export const STATE_HISTORY_DIR = 'state-history';

/** One commit: files to write (text) or remove (null), by path in the repository. */
export interface StateHistoryCommit {
  files: Record<string, string | null>;
  author: { name: string; email: string };
  message: string;
  /** Epoch milliseconds. */
  at: number;
}

/** The git mirror. */
export interface StateHistory {
  /** Queues a commit; returns at once. */
  record(commit: StateHistoryCommit): void;
  /** Resolves when every queued commit is written (or has failed and been logged). */
  idle(): Promise<void>;
}

/** Creates the mirror in `<dataDir>/state-history`. */
export function createStateHistory({ dataDir, log }: { dataDir: string; log: Logger }): StateHistory {
  const dir = join(dataDir, STATE_HISTORY_DIR);
  let tail: Promise<void> = Promise.resolve();
  let isReady = false;

  async function write(commit: StateHistoryCommit): Promise<void> {
    if (!isReady) {
      await mkdir(dir, { recursive: true });
      await git.init({ fs, dir, defaultBranch: 'main' });
      isReady = true;
    }
    for (const [filepath, content] of Object.entries(commit.files)) {
      const path = join(dir, filepath);
      if (content === null) {
        await rm(path, { force: true });
        await git.remove({ fs, dir, filepath });
      } else {
        await mkdir(dirname(path), { recursive: true });
        await writeFile(path, content);
        await git.add({ fs, dir, filepath });
      }
    }
    const author = { name: commit.author.name, email: commit.author.email, timestamp: Math.floor(commit.at / 1000), timezoneOffset: 0 };
    await git.commit({ fs, dir, message: commit.message, author, committer: author });
  }

  return {
    record(commit) {
      tail = tail.then(() => write(commit)).catch((error: unknown) => log.error({ err: error, dir }, 'state history commit failed'));
    },
    idle: () => tail,
  };
}
