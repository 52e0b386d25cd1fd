/** Rows as the API shows them: every document redacted, times as ISO strings. */
import type { JsonObject, JsonValue, Profile, StateChange, StateRevision } from '@flotilla/protocol';
import { iso } from '../store/json.js';
import type { DeviceStateRevisionsTable, ProfileRevisionsTable, ProfilesTable } from '../store/schema.js';
import { diffDocuments } from './documents.js';
import { documentOf, schemaOf } from './effective.js';
import { redactDocument } from './secrets.js';

/** A profile, redacted, with the number of devices its selector chooses now. */
export function toProfile(row: ProfilesTable, matchedDevices: number): Profile {
  return {
    id: row.id,
    name: row.name,
    selector: row.selector,
    priority: row.priority,
    state: redactDocument(documentOf(row.document)),
    schema: schemaOf(row.schema),
    revision: row.revision,
    matchedDevices,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

/** A revision of a device layer or a profile, redacted. */
export function toRevision(row: DeviceStateRevisionsTable | ProfileRevisionsTable): StateRevision {
  return {
    revision: row.revision,
    author: { type: row.author_type, id: row.author_id, name: row.author_name },
    message: row.message,
    createdAt: iso(row.created_at),
    state: redactDocument(documentOf(row.document)),
    schema: schemaOf(row.schema),
    ...('selector' in row ? { name: row.name, selector: row.selector, priority: row.priority } : {}),
  };
}

/** What a revision holds, as the object its diff paths point into (`/state/…`, `/selector`). */
export function revisionContent(row: DeviceStateRevisionsTable | ProfileRevisionsTable | null): JsonObject {
  if (!row) return {};
  const content: JsonObject = { state: documentOf(row.document) };
  if (row.schema !== null) content.schema = schemaOf(row.schema);
  if ('selector' in row) Object.assign(content, { name: row.name, selector: row.selector, priority: row.priority });
  return content;
}

function redactValue(value: JsonValue | undefined): JsonValue | undefined {
  return value === undefined ? undefined : (redactDocument({ value }).value as JsonValue);
}

/** The changes between two stored documents, with secret values redacted. */
export function redactedDiff(from: JsonObject, to: JsonObject): StateChange[] {
  return diffDocuments(from, to).map((change) => {
    const redacted: StateChange = { path: change.path, op: change.op };
    if (change.op !== 'added') redacted.from = redactValue(change.from as JsonValue);
    if (change.op !== 'removed') redacted.to = redactValue(change.to as JsonValue);
    return redacted;
  });
}

export { driftOf } from './drift.js';
