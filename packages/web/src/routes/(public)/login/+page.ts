import { redirect } from '@sveltejs/kit';
import { hasSession, isSetupPending } from '$lib/api/auth.js';
import { safeNextPath } from '$lib/navigation.js';
import type { PageLoad } from './$types';

export const load: PageLoad = async ({ fetch, url }) => {
  const next = safeNextPath(url.searchParams.get('next'));
  if (hasSession()) redirect(307, next);
  if (await isSetupPending(fetch)) redirect(307, '/setup');
  return { next };
};
