/** The device labels the live stream matches selector subscriptions against. */
import type { Kysely } from 'kysely';
import { parseJsonObject } from '../store/json.js';
import type { Database } from '../store/schema.js';

/** Labels by key. */
export type Labels = Record<string, string>;

/** Creates the repository. */
export function createLiveRepository(db: Kysely<Database>) {
  return {
    /** Every device of a tenant with its labels. */
    async labelsOfTenant(tenantId: string): Promise<Map<string, Labels>> {
      const rows = await db.selectFrom('devices').select(['id', 'labels']).where('tenant_id', '=', tenantId).execute();
      return new Map(rows.map((row) => [row.id, parseJsonObject<Labels>(row.labels) ?? {}]));
    },

    /** One device's tenant and labels; null when it no longer exists. */
    async deviceLabels(deviceId: string): Promise<{ tenantId: string; labels: Labels } | null> {
      const row = await db.selectFrom('devices').select(['tenant_id', 'labels']).where('id', '=', deviceId).executeTakeFirst();
      return row ? { tenantId: row.tenant_id, labels: parseJsonObject<Labels>(row.labels) ?? {} } : null;
    },
  };
}

/** The live stream's repository. */
export type LiveRepository = ReturnType<typeof createLiveRepository>;
