import { listProfiles } from '$lib/api/profiles.js';
import type { PageLoad } from './$types';

export const load: PageLoad = async ({ fetch, depends }) => {
  depends('app:profiles');
  return { page: await listProfiles(fetch, { limit: 100 }) };
};
