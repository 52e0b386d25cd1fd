/**
 * A device's effective desired state: the profiles whose selector its labels satisfy, lowest
 * priority first (ties by name), then its own layer on top.
 */
import { matchesSelector, parseSelector, type JsonObject, type LabelRequirement } from '@flotilla/protocol';
import { parseJsonObject } from '../store/json.js';
import type { DeviceStatesTable, ProfilesTable } from '../store/schema.js';
import { mergeLayers, type StateLayer } from './documents.js';
import type { DeclaredSchema } from './settings-schema.js';

/** A layer's document and schema, stored form. */
export interface LayerContent {
  document: JsonObject;
  schema: JsonObject | null;
}

/** The effective document (stored form) and where it came from. */
export interface Effective {
  document: JsonObject;
  provenance: ReturnType<typeof mergeLayers>['provenance'];
  profiles: ProfilesTable[];
  schemas: DeclaredSchema[];
}

const parsedSelectors = new Map<string, LabelRequirement[]>();

/** A stored selector, parsed once (stored selectors were checked when they were written). */
function requirementsOf(selector: string): LabelRequirement[] {
  let requirements = parsedSelectors.get(selector);
  if (!requirements) {
    requirements = parseSelector(selector);
    if (parsedSelectors.size > 10_000) parsedSelectors.clear();
    parsedSelectors.set(selector, requirements);
  }
  return requirements;
}

/** The profiles that apply to a device with these labels, in merge order. */
export function profilesFor(labels: Record<string, string>, profiles: readonly ProfilesTable[]): ProfilesTable[] {
  return profiles
    .filter((profile) => matchesSelector(labels, requirementsOf(profile.selector)))
    .sort((a, b) => a.priority - b.priority || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** A stored document column as an object. */
export function documentOf(text: string): JsonObject {
  return parseJsonObject<JsonObject>(text) ?? {};
}

/** A stored schema column as an object, or null. */
export function schemaOf(text: string | null): JsonObject | null {
  return parseJsonObject<JsonObject>(text);
}

/** A device's own layer from its state row (none yet: empty). */
export function layerOf(row: Pick<DeviceStatesTable, 'layer' | 'layer_schema'> | undefined): LayerContent {
  return { document: documentOf(row?.layer ?? '{}'), schema: schemaOf(row?.layer_schema ?? null) };
}

/** Merges a device's profiles and its own layer. */
export function effectiveOf(labelsText: string, profiles: readonly ProfilesTable[], layer: LayerContent): Effective {
  const labels = parseJsonObject<Record<string, string>>(labelsText) ?? {};
  const applied = profilesFor(labels, profiles);
  const layers: StateLayer[] = applied.map((profile) => ({ source: { type: 'profile', id: profile.id, name: profile.name }, document: documentOf(profile.document) }));
  layers.push({ source: { type: 'device' }, document: layer.document });
  const schemas: DeclaredSchema[] = [];
  for (const profile of applied) {
    const schema = schemaOf(profile.schema);
    if (schema) schemas.push({ source: { type: 'profile', id: profile.id, name: profile.name }, schema });
  }
  if (layer.schema) schemas.push({ source: { type: 'device' }, schema: layer.schema });
  return { ...mergeLayers(layers), profiles: applied, schemas };
}
