/** Profiles: label-scoped layers of desired state, their preview, history and revert. */
import type { Page, Profile, ProfileInput, ProfilePreview, ProfilePreviewBody, StateDiff, StateRevision } from '@flotilla/protocol';
import { api } from './api.js';
import type { Fetch } from './client.js';

function profilePath(id: string, rest = ''): string {
  return `/profiles/${encodeURIComponent(id)}${rest}`;
}

/** A page of profiles, by name. */
export function listProfiles(fetch: Fetch, query: { cursor?: string | null; limit?: number } = {}): Promise<Page<Profile>> {
  return api.request(fetch, '/profiles', { query: { ...query } });
}

/** One profile. */
export function getProfile(fetch: Fetch, id: string): Promise<Profile> {
  return api.request(fetch, profilePath(id));
}

/** Creates a profile; the devices it selects get it at once. */
export function createProfile(fetch: Fetch, input: ProfileInput): Promise<Profile> {
  return api.request(fetch, '/profiles', { method: 'POST', body: input });
}

/** Replaces a profile (a new revision); `{"$secret":true}` keeps a stored secret. */
export function replaceProfile(fetch: Fetch, id: string, input: ProfileInput, expectedRevision?: number): Promise<Profile> {
  return api.request(fetch, profilePath(id), { method: 'PUT', body: input, ifMatch: expectedRevision });
}

/** Deletes a profile and its revisions. */
export function deleteProfile(fetch: Fetch, id: string): Promise<void> {
  return api.request(fetch, profilePath(id), { method: 'DELETE' });
}

/** What a profile change would do to each device; nothing is saved. */
export function previewProfile(fetch: Fetch, body: ProfilePreviewBody): Promise<ProfilePreview> {
  return api.request(fetch, '/profiles/preview', { method: 'POST', body });
}

/** A page of a profile's revisions, newest first. */
export function getProfileHistory(fetch: Fetch, id: string, cursor?: string | null): Promise<Page<StateRevision>> {
  return api.request(fetch, profilePath(id, '/history'), { query: { cursor, limit: 20 } });
}

/** What changed between two revisions of a profile. */
export function getProfileDiff(fetch: Fetch, id: string, from: number, to: number): Promise<StateDiff> {
  return api.request(fetch, profilePath(id, '/diff'), { query: { from, to } });
}

/** Makes a new revision of a profile with an old one's content. */
export function revertProfile(fetch: Fetch, id: string, revision: number, message?: string): Promise<Profile> {
  return api.request(fetch, profilePath(id, '/revert'), { method: 'POST', body: { revision, message } });
}
