import { error } from '@sveltejs/kit';
import { ApiError } from '$lib/api/client.js';
import { getDevice } from '$lib/api/devices.js';
import type { PageLoad } from './$types';

export const load: PageLoad = async ({ fetch, params }) => {
  try {
    return { device: await getDevice(fetch, params.id) };
  } catch (caught) {
    if (caught instanceof ApiError && caught.status === 404) error(404, 'There is no device with this ID in your organisation.');
    throw caught;
  }
};
