/** What device layers and profiles share about revisions: their author, pages and diffs. */
import type { JsonObject, Page, StateDiff, StateRevision } from '@flotilla/protocol';
import type { Principal } from '../auth/principal.js';
import { appError } from '../errors.js';
import { decodeCursor, pageOf } from '../store/pagination.js';
import type { DeviceStateRevisionsTable, ProfileRevisionsTable } from '../store/schema.js';
import { redactedDiff, revisionContent, toRevision } from './state.mapper.js';
import type { StateRepository } from './state.repository.js';

/** Who made a revision; name and email also sign the git commit. */
export interface Author {
  type: 'user' | 'token';
  id: string;
  name: string;
  email: string;
}

/** The author of a change made by this principal. */
export async function authorOf(repository: StateRepository, principal: Principal): Promise<Author> {
  const user = await repository.userName(principal.userId);
  return {
    type: principal.kind === 'token' ? 'token' : 'user',
    id: principal.tokenId ?? principal.userId,
    name: user?.name ?? principal.userId,
    email: user?.email ?? `${principal.userId}@flotilla.invalid`,
  };
}

/** The author columns of a revision row. */
export function authorColumns(author: Author) {
  return { author_type: author.type, author_id: author.id, author_name: author.email };
}

/** The revision an `If-Match: "<revision>"` header names (its schema checked the form), or undefined without one. */
export function expectedRevisionOf(ifMatch: string | undefined): number | undefined {
  return ifMatch === undefined ? undefined : Number(ifMatch.slice(1, -1));
}

/** The ETag of a layer at a revision: the If-Match value that writes over it. */
export function revisionTag(revision: number): string {
  return `"${revision}"`;
}

/** Refuses a write made against another revision than the stored one (optimistic concurrency). */
export function checkExpectedRevision(what: string, current: number, expected: number | undefined): void {
  if (expected === undefined || expected === current) return;
  throw appError('STATE_REVISION_CONFLICT', `${what} is at revision ${current}, not ${expected}: someone saved it meanwhile; reload it and apply your change again`);
}

/** Query of a revision list. */
export interface RevisionQuery {
  limit?: number;
  cursor?: string;
}

type RevisionRow = DeviceStateRevisionsTable | ProfileRevisionsTable;

/** A page of revisions, newest first; `load` fetches rows below a revision number. */
export async function revisionPage(query: RevisionQuery, load: (beforeRevision: number | undefined, limit: number) => Promise<RevisionRow[]>): Promise<Page<StateRevision>> {
  const limit = query.limit ?? 50;
  let before: number | undefined;
  if (query.cursor) {
    const [value] = decodeCursor(query.cursor);
    if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw appError('INVALID_CURSOR', 'query/cursor is not a cursor this server returned');
    before = value;
  }
  const rows = await load(before, limit + 1);
  return pageOf(rows, limit, (row) => [row.revision, String(row.revision)], toRevision);
}

/**
 * The diff between two revision numbers (0 is the empty document before the first). A number
 * that is not a revision answers STATE_REVISION_NOT_FOUND.
 */
export async function revisionDiff(from: number, to: number, load: (revision: number) => Promise<RevisionRow | undefined>): Promise<StateDiff> {
  const contentOf = async (revision: number, field: string): Promise<JsonObject> => {
    if (revision === 0) return {};
    const row = await load(revision);
    if (!row) throw appError('STATE_REVISION_NOT_FOUND', `query/${field}: there is no revision ${revision}`);
    return revisionContent(row);
  };
  return { from, to, changes: redactedDiff(await contentOf(from, 'from'), await contentOf(to, 'to')) };
}

/** The revision a revert goes back to, or STATE_REVISION_NOT_FOUND. */
export async function revisionToRevert<Row extends RevisionRow>(revision: number, load: (revision: number) => Promise<Row | undefined>): Promise<Row> {
  const row = await load(revision);
  if (!row) throw appError('STATE_REVISION_NOT_FOUND', `body/revision: there is no revision ${revision}`);
  return row;
}
