/**
 * Writes one file atomically: a temporary file in the same directory, written, fsynced and
 * given its mode, then renamed over the target, so readers see the old file or the new one,
 * never half of one, even across a power cut.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, realpath, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { FileSpec } from '@flotilla/protocol';

const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** The bytes a spec declares, or why they cannot be decoded. */
export function decodeContent(spec: FileSpec): Buffer | { error: string } {
  if (spec.encoding !== 'base64') return Buffer.from(spec.content, 'utf8');
  if (!STRICT_BASE64.test(spec.content)) return { error: 'content: not valid base64' };
  return Buffer.from(spec.content, 'base64');
}

/** The permission bits a spec declares (`"0644"` when it says none). */
export function modeOf(spec: FileSpec): number {
  return Number.parseInt(spec.mode ?? '0644', 8);
}

/** True when the file exists with exactly these bytes and permission bits. */
export async function isFileUpToDate(path: string, content: Buffer, mode: number): Promise<boolean> {
  const found = await stat(path).catch(() => undefined);
  if (!found?.isFile() || (found.mode & 0o777) !== mode || found.size !== content.length) return false;
  return (await readFile(path)).equals(content);
}

/** Writes the file atomically with its mode; says whether it did not exist before. */
export async function writeFileAtomic(path: string, content: Buffer, mode: number): Promise<{ isNew: boolean }> {
  const directory = dirname(path);
  await mkdir(directory, { recursive: true });
  const isNew = (await stat(path).catch(() => undefined)) === undefined;
  const temporary = join(directory, `.${basename(path)}.flotilla-${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temporary, 'wx', mode);
  try {
    await handle.writeFile(content);
    // chmod after creating: the umask may have taken bits off the mode given to open().
    await handle.chmod(mode);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
  await handle.close();
  try {
    await rename(temporary, path);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
  await syncDirectory(directory);
  return { isNew };
}

/** Makes the rename itself durable; some filesystems refuse to open a directory, which is fine. */
async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r').catch(() => undefined);
  if (!handle) return;
  await handle.sync().catch(() => undefined);
  await handle.close();
}

/**
 * The path with its longest existing ancestor resolved through symlinks, so a deny list cannot
 * be sidestepped by a link that points into a denied directory.
 */
export async function resolveThroughLinks(path: string): Promise<string> {
  let existing = path;
  const rest: string[] = [];
  for (;;) {
    const resolved = await realpath(existing).catch(() => undefined);
    if (resolved !== undefined) return join(resolved, ...rest.reverse());
    const parent = dirname(existing);
    if (parent === existing) return path;
    rest.push(basename(existing));
    existing = parent;
  }
}

/** The denied directory the path lies in (or is), if any. */
export function deniedBy(path: string, deniedDirectories: string[]): string | undefined {
  return deniedDirectories.find((denied) => path === denied || path.startsWith(denied.endsWith('/') ? denied : `${denied}/`));
}
