import { ApiError } from '$lib/api/client.js';
import { DRIFT_PAGE_SIZE, listDrift } from '$lib/api/state.js';
import type { PageLoad } from './$types';

export const load: PageLoad = async ({ fetch, url }) => {
  const selector = url.searchParams.get('selector') ?? '';
  try {
    return { selector, page: await listDrift(fetch, { selector, limit: DRIFT_PAGE_SIZE }), queryError: null };
  } catch (error) {
    // A selector the server refuses is shown beside the filter, not as an error page.
    if (error instanceof ApiError && error.status === 400) return { selector, page: null, queryError: error };
    throw error;
  }
};
