/**
 * Profiles: label-scoped layers of desired state. Saving one recomputes, in the same
 * transaction, every device its old or new selector chooses; a change any declared schema
 * rejects for any of them is refused whole. A preview runs the same computation and saves nothing.
 */
import type { JsonObject, Page, Profile, ProfileInput, ProfilePatch, ProfilePreview, ProfilePreviewBody, StateDiff, StateRevision } from '@flotilla/protocol';
import type { Kysely } from 'kysely';
import type { Principal } from '../auth/principal.js';
import { createDevicesRepository } from '../devices/devices.repository.js';
import { parseRequirements } from '../devices/devices.service.js';
import { appError, type FieldError } from '../errors.js';
import type { Logger } from '../log.js';
import { isUniqueViolation } from '../store/errors.js';
import { newId } from '../store/ids.js';
import { decodeCursor, pageOf } from '../store/pagination.js';
import type { Database, ProfilesTable } from '../store/schema.js';
import { checkDocumentBounds, type DesiredState, type Recomputed } from './desired.js';
import { applyStatePatch } from './documents.js';
import { documentOf, effectiveOf, layerOf, schemaOf } from './effective.js';
import { createProfilesRepository } from './profiles.repository.js';
import { authorColumns, authorOf, checkExpectedRevision, revisionDiff, revisionPage, revisionToRevert, type RevisionQuery } from './revisions.js';
import { sealDocument, type SecretBox } from './secrets.js';
import type { SettingsSchemas } from './settings-schema.js';
import type { StateHistory } from './state-history.js';
import { redactedDiff, toProfile } from './state.mapper.js';
import { createStateRepository, type StateDevice } from './state.repository.js';
import { historyFile, refuseViolations } from './state.service.js';

/** Devices a preview lists at most. */
export const MAX_PREVIEW_DEVICES = 500;

/** A profile's content: what a revision keeps. Secrets sealed. */
interface ProfileContent {
  name: string;
  selector: string;
  priority: number;
  document: JsonObject;
  schema: JsonObject | null;
}

/** The git path of a profile. */
export function profileHistoryPath(tenantId: string, name: string): string {
  return `${tenantId}/profiles/${name}.json`;
}

function contentOf(row: ProfilesTable): ProfileContent {
  return { name: row.name, selector: row.selector, priority: row.priority, document: documentOf(row.document), schema: schemaOf(row.schema) };
}

function historyFileOf(content: ProfileContent): string {
  const { document, schema, ...rest } = content;
  return historyFile({ ...rest, state: document, ...(schema ? { schema } : {}) });
}

/** Creates the profiles service. */
export function createProfilesService({ db, box, schemas, desired, history, log }: { db: Kysely<Database>; box: SecretBox; schemas: SettingsSchemas; desired: DesiredState; history: StateHistory | null; log: Logger }) {
  const profiles = createProfilesRepository(db);
  const states = createStateRepository(db);
  const devices = createDevicesRepository(db);

  async function findOrThrow(tenantId: string, id: string): Promise<ProfilesTable> {
    const row = await profiles.findById(tenantId, id);
    if (!row) throw appError('PROFILE_NOT_FOUND', `no profile ${id} in your tenant`);
    return row;
  }

  /** Checks what a write would store: selector, size, schema. */
  function checkContent(content: ProfileContent): void {
    parseRequirements(content.selector);
    checkDocumentBounds(content.document, 'body/state');
    if (content.schema) schemas.check(content.schema, 'body/schema');
  }

  /** The profile list once `current` is replaced by `next` (either may be null: create, delete). */
  function replaced(all: readonly ProfilesTable[], current: ProfilesTable | null, next: ProfilesTable | null): ProfilesTable[] {
    const others = all.filter((profile) => profile.id !== current?.id && profile.id !== next?.id);
    return next ? [...others, next] : others;
  }

  /** Devices the old or the new selector chooses, in id order. */
  async function affectedDevices(trx: Kysely<Database>, tenantId: string, selectors: (string | undefined)[]): Promise<StateDevice[]> {
    const byId = new Map<string, StateDevice>();
    for (const selector of new Set(selectors.filter((value): value is string => value !== undefined))) {
      for (const device of await createStateRepository(trx).devicesMatching(tenantId, parseRequirements(selector))) byId.set(device.id, device);
    }
    return [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  function rowOf(id: string, tenantId: string, content: ProfileContent, revision: number, createdAt: number, now: number): ProfilesTable {
    return {
      id,
      tenant_id: tenantId,
      name: content.name,
      selector: content.selector,
      priority: content.priority,
      document: JSON.stringify(content.document),
      schema: content.schema ? JSON.stringify(content.schema) : null,
      revision,
      created_at: createdAt,
      updated_at: now,
    };
  }

  /**
   * Saves a profile change: `build` turns the current profile (null on create) into the next
   * content (null deletes). Every affected device is recomputed in the same transaction.
   */
  async function save(
    principal: Principal,
    id: string | null,
    build: (current: ProfilesTable | null) => ProfileContent | null,
    messageOf: (content: ProfileContent, isDelete: boolean) => string,
    expectedRevision?: number,
  ): Promise<Profile | null> {
    const tenantId = principal.tenantId;
    const author = await authorOf(states, principal);
    const now = Date.now();
    let outcome: { results: Recomputed[]; current: ProfilesTable | null; next: ProfilesTable | null; message: string };
    try {
      outcome = await db.transaction().execute(async (trx) => {
        const repository = createProfilesRepository(trx);
        const current = id ? ((await repository.lockForUpdate(tenantId, id)) ?? null) : null;
        if (id && !current) throw appError('PROFILE_NOT_FOUND', `no profile ${id} in your tenant`);
        if (current) checkExpectedRevision(`profile ${current.name}`, current.revision, expectedRevision);
        const content = build(current);
        if (content) checkContent(content);
        const next = content ? rowOf(current?.id ?? newId('prf', now), tenantId, content, (current?.revision ?? 0) + 1, current?.created_at ?? now, now) : null;
        const message = messageOf(content ?? contentOf(current as ProfilesTable), content === null);
        if (next && current) await repository.update(next.id, next);
        else if (next) await repository.insert(next);
        else if (current) await repository.delete(current.id);
        if (next) await repository.insertRevision({ profile_id: next.id, revision: next.revision, name: next.name, selector: next.selector, priority: next.priority, document: next.document, schema: next.schema, ...authorColumns(author), message, created_at: now });
        const all = replaced(await repository.all(tenantId), current, next);
        const results: Recomputed[] = [];
        const errors: FieldError[] = [];
        for (const device of await affectedDevices(trx, tenantId, [current?.selector, next?.selector])) {
          const result = await desired.recompute(trx, device, all);
          try {
            refuseViolations(schemas, result.effective, `device ${device.id}: `);
          } catch (error) {
            errors.push(...((error as { fieldErrors?: FieldError[] }).fieldErrors ?? []));
          }
          results.push(result);
        }
        if (errors.length > 0) throw appError('STATE_SCHEMA_VIOLATION', errors.slice(0, 20).map((error) => `${error.field} ${error.message}`).join('; '), errors.slice(0, 100));
        return { results, current, next, message };
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw appError('PROFILE_NAME_TAKEN', 'another profile of your tenant has this name');
      throw error;
    }
    desired.announce(outcome.results);
    const files: Record<string, string | null> = {};
    if (outcome.current) files[profileHistoryPath(tenantId, outcome.current.name)] = null;
    if (outcome.next) files[profileHistoryPath(tenantId, outcome.next.name)] = historyFileOf(contentOf(outcome.next));
    history?.record({ files, author, message: outcome.message, at: now });
    log.info({ tenantId, profileId: outcome.next?.id ?? outcome.current?.id, devices: outcome.results.filter((result) => result.isChanged).length }, 'profile saved');
    return outcome.next ? present(outcome.next) : null;
  }

  /**
   * The content a full profile input describes. Without `schema` the previous schema stays (none
   * on create), so a client that edits only the document cannot drop it; `null` removes it.
   */
  function contentFromInput(input: Omit<ProfileInput, 'message'>, previous: ProfileContent | null): ProfileContent {
    return {
      name: input.name,
      selector: input.selector,
      priority: input.priority,
      document: sealDocument(input.state as JsonObject, previous?.document ?? {}, box),
      schema: input.schema === undefined ? (previous?.schema ?? null) : (input.schema as JsonObject | null),
    };
  }

  /** A profile as the API shows it, with how many devices its selector chooses now. */
  async function present(row: ProfilesTable): Promise<Profile> {
    return toProfile(row, await devices.countMatching(row.tenant_id, parseRequirements(row.selector)));
  }

  return {
    async list(tenantId: string, query: { limit?: number; cursor?: string }): Promise<Page<Profile>> {
      const limit = query.limit ?? 50;
      const after = query.cursor ? decodeCursor(query.cursor)[1] : undefined;
      const page = pageOf(await profiles.list(tenantId, after, limit + 1), limit, (row) => [null, row.name], (row) => row);
      return { items: await Promise.all(page.items.map(present)), nextCursor: page.nextCursor };
    },

    async get(tenantId: string, id: string): Promise<Profile> {
      return present(await findOrThrow(tenantId, id));
    },

    async create(principal: Principal, input: ProfileInput): Promise<Profile> {
      const saved = await save(principal, null, () => contentFromInput(input, null), (content) => input.message ?? `create profile ${content.name}`);
      return saved as Profile;
    },

    /** Replaces a profile; `{"$secret":true}` keeps the secret stored at the same path. */
    async replace(principal: Principal, id: string, input: ProfileInput, expectedRevision?: number): Promise<Profile> {
      const saved = await save(
        principal,
        id,
        (current) => contentFromInput(input, contentOf(current as ProfilesTable)),
        (content) => input.message ?? `update profile ${content.name}`,
        expectedRevision,
      );
      return saved as Profile;
    },

    async patch(principal: Principal, id: string, patch: ProfilePatch, expectedRevision?: number): Promise<Profile> {
      const saved = await save(
        principal,
        id,
        (current) => {
          const base = contentOf(current as ProfilesTable);
          return {
            name: patch.name ?? base.name,
            selector: patch.selector ?? base.selector,
            priority: patch.priority ?? base.priority,
            document: patch.state ? applyStatePatch(base.document, sealDocument(patch.state as JsonObject, base.document, box)) : base.document,
            schema: patch.schema === undefined ? base.schema : (patch.schema as JsonObject | null),
          };
        },
        (content) => patch.message ?? `update profile ${content.name}`,
        expectedRevision,
      );
      return saved as Profile;
    },

    async remove(principal: Principal, id: string, message?: string): Promise<void> {
      await save(principal, id, () => null, (content) => message ?? `delete profile ${content.name}`);
    },

    async revert(principal: Principal, id: string, body: { revision: number; message?: string }): Promise<Profile> {
      await findOrThrow(principal.tenantId, id);
      const old = await revisionToRevert(body.revision, (revision) => profiles.revision(id, revision));
      const saved = await save(
        principal,
        id,
        () => ({ name: old.name, selector: old.selector, priority: old.priority, document: documentOf(old.document), schema: schemaOf(old.schema) }),
        () => body.message ?? `revert to revision ${body.revision}`,
      );
      return saved as Profile;
    },

    async history(tenantId: string, id: string, query: RevisionQuery): Promise<Page<StateRevision>> {
      await findOrThrow(tenantId, id);
      return revisionPage(query, (before, limit) => profiles.revisions(id, before, limit));
    },

    async diff(tenantId: string, id: string, from: number, to: number): Promise<StateDiff> {
      await findOrThrow(tenantId, id);
      return revisionDiff(from, to, (revision) => profiles.revision(id, revision));
    },

    /** What a profile change would do to each device, without saving anything. */
    async preview(tenantId: string, body: ProfilePreviewBody): Promise<ProfilePreview> {
      if (body.action !== 'create' && !body.id) throw appError('VALIDATION_FAILED', `body/id is required to preview ${body.action}`, [{ field: 'body/id', message: 'is required' }]);
      if (body.action !== 'delete' && !body.profile) throw appError('VALIDATION_FAILED', `body/profile is required to preview ${body.action}`, [{ field: 'body/profile', message: 'is required' }]);
      const current = body.action === 'create' ? null : await findOrThrow(tenantId, body.id as string);
      const now = Date.now();
      let next: ProfilesTable | null = null;
      if (body.profile) {
        const content = contentFromInput(body.profile, current ? contentOf(current) : null);
        checkContent(content);
        next = rowOf(current?.id ?? 'prf_preview', tenantId, content, (current?.revision ?? 0) + 1, now, now);
      }
      const all = await profiles.all(tenantId);
      const after = replaced(all, current, next);
      const devices: ProfilePreview['devices'] = [];
      let total = 0;
      for (const device of await affectedDevices(db, tenantId, [current?.selector, next?.selector])) {
        const row = await states.find(device.id);
        const layer = layerOf(row);
        const before = effectiveOf(device.labels, all, layer);
        const changed = effectiveOf(device.labels, after, layer);
        const changes = redactedDiff(before.document, changed.document);
        const errors = schemas.violations(changed.document, changed.schemas);
        if (changes.length === 0 && errors.length === 0) continue;
        total++;
        if (devices.length < MAX_PREVIEW_DEVICES) devices.push({ deviceId: device.id, name: device.name, version: row?.effective_version ?? 0, changes, errors });
      }
      return { devices, total };
    },
  };
}

export type ProfilesService = ReturnType<typeof createProfilesService>;
