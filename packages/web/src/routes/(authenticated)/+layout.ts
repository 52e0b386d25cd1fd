import { redirect } from '@sveltejs/kit';
import { getMe, hasSession } from '$lib/api/auth.js';
import { ApiError, SESSION_ENDED } from '$lib/api/client.js';
import type { LayoutLoad } from './$types';

// Every page in this group needs a signed-in user; who it is comes from `GET /me` once, not on
// every navigation (the load reads the URL untracked so it does not rerun when the URL changes).
export const load: LayoutLoad = async ({ fetch, url, untrack }) => {
  const here = untrack(() => `${url.pathname}${url.search}`);
  const toLogin = `/login?next=${encodeURIComponent(here)}`;
  if (!hasSession()) redirect(307, toLogin);
  try {
    return { me: await getMe(fetch) };
  } catch (error) {
    if (error instanceof ApiError && error.code === SESSION_ENDED) redirect(307, toLogin);
    throw error;
  }
};
