/**
 * Keeping each device's effective desired document and its version: recomputed in the writer's
 * transaction whenever a layer, a profile or the device's labels change, and announced (MQTT,
 * bus) once that transaction has committed. The version grows by one only when the document's
 * hash changes, so recomputing is idempotent.
 */
import { MAX_DESIRED_STATE_BYTES, type DesiredStateMessage, type JsonObject } from '@flotilla/protocol';
import type { Kysely } from 'kysely';
import type { Bus } from '../bus/bus.js';
import { appError } from '../errors.js';
import { jsonDepth } from '../devices/merge-patch.js';
import type { Logger } from '../log.js';
import type { Database, ProfilesTable } from '../store/schema.js';
import { documentHash } from './documents.js';
import { documentOf, effectiveOf, layerOf, type Effective, type LayerContent } from './effective.js';
import { revealDocument, type SecretBox } from './secrets.js';
import { createStateRepository, type StateDevice } from './state.repository.js';

/** Deepest nesting a desired document may have. */
export const MAX_STATE_DEPTH = 32;
const EMPTY_HASH = documentHash({});

/** What became of one device's effective document. */
export interface Recomputed {
  tenantId: string;
  deviceId: string;
  version: number;
  isChanged: boolean;
  effective: Effective;
}

/** Delivers a device's current desired state to it (MQTT, retained). */
export interface StateDelivery {
  /** Publishes the stored effective document; calls for one device are sent in order. */
  refresh(deviceId: string): void;
}

/** Refuses a document that nests too deeply or is too large, naming the field. */
export function checkDocumentBounds(document: JsonObject, field: string): void {
  if (jsonDepth(document, MAX_STATE_DEPTH) > MAX_STATE_DEPTH) {
    throw appError('STATE_DOCUMENT_INVALID', `${field} nests deeper than ${MAX_STATE_DEPTH} levels`, [{ field, message: `nests deeper than ${MAX_STATE_DEPTH} levels` }]);
  }
  const bytes = Buffer.byteLength(JSON.stringify(document));
  if (bytes > MAX_DESIRED_STATE_BYTES) throw appError('STATE_TOO_LARGE', `${field} is ${bytes} bytes of JSON; at most ${MAX_DESIRED_STATE_BYTES} are kept`);
}

/** Creates the keeper of effective documents. */
export function createDesiredState({ db, box, bus, log, delivery }: { db: Kysely<Database>; box: SecretBox; bus: Bus; log: Logger; delivery: StateDelivery | null }) {
  return {
    /**
     * Recomputes a device's effective document inside the caller's transaction, with `layer`
     * in place of the stored one when given. The caller announces the result after commit.
     */
    async recompute(trx: Kysely<Database>, device: StateDevice, profiles: readonly ProfilesTable[], layer?: LayerContent): Promise<Recomputed> {
      const repository = createStateRepository(trx);
      const row = await repository.lock(device.id);
      const content = layer ?? layerOf(row);
      const effective = effectiveOf(device.labels, profiles, content);
      const hash = documentHash(effective.document);
      const base = { tenantId: device.tenant_id, deviceId: device.id, effective };
      if (hash === (row.effective_hash || EMPTY_HASH)) return { ...base, version: row.effective_version, isChanged: false };
      checkDocumentBounds(effective.document, 'the effective document');
      const version = row.effective_version + 1;
      await repository.update(device.id, { effective: JSON.stringify(effective.document), effective_hash: hash, effective_version: version });
      return { ...base, version, isChanged: true };
    },

    /** Tells devices and the bus about committed changes. */
    announce(results: readonly Recomputed[]): void {
      const at = Date.now();
      for (const result of results) {
        if (!result.isChanged) continue;
        log.debug({ deviceId: result.deviceId, version: result.version }, 'desired state changed');
        bus.publish('deviceEvent', { tenantId: result.tenantId, deviceId: result.deviceId, kind: 'state.desired_changed', at, data: { version: result.version } });
        delivery?.refresh(result.deviceId);
      }
    },

    /** The message a device gets: its effective document with secrets in plain text. */
    async messageFor(deviceId: string): Promise<DesiredStateMessage> {
      const row = await createStateRepository(db).find(deviceId);
      return { version: row?.effective_version ?? 0, state: row ? revealDocument(documentOf(row.effective), box) : {} };
    },
  };
}

export type DesiredState = ReturnType<typeof createDesiredState>;
