import { ApiError } from '$lib/api/client.js';
import { listCommands } from '$lib/api/commands.js';
import { COMMAND_PAGE_SIZE, readCommandListQuery } from './command-query.js';
import type { PageLoad } from './$types';

export const load: PageLoad = async ({ fetch, url, depends }) => {
  depends('app:commands');
  const query = readCommandListQuery(url.searchParams);
  try {
    return { query, page: await listCommands(fetch, { ...query, limit: COMMAND_PAGE_SIZE }), queryError: null };
  } catch (error) {
    // Filters the server refuses are shown beside the form, not as an error page.
    if (error instanceof ApiError && error.status === 400) return { query, page: null, queryError: error };
    throw error;
  }
};
