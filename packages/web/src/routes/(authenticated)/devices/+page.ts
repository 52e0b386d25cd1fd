import { listDevices } from '$lib/api/devices.js';
import { ApiError } from '$lib/api/client.js';
import { DEVICE_PAGE_SIZE, readDeviceListQuery } from './device-query.js';
import type { PageLoad } from './$types';

export const load: PageLoad = async ({ fetch, url, depends }) => {
  depends('app:devices');
  const query = readDeviceListQuery(url.searchParams);
  try {
    const page = await listDevices(fetch, { ...query, sort: query.sort || undefined, limit: DEVICE_PAGE_SIZE });
    return { query, page, queryError: null };
  } catch (error) {
    // A selector or search the server refuses is shown beside the filter, not as an error page.
    if (error instanceof ApiError && error.status === 400) return { query, page: null, queryError: error };
    throw error;
  }
};
