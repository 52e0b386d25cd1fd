import { error } from '@sveltejs/kit';
import { ApiError } from '$lib/api/client.js';
import { getProfile } from '$lib/api/profiles.js';
import type { PageLoad } from './$types';

export const load: PageLoad = async ({ fetch, params }) => {
  try {
    return { profile: await getProfile(fetch, params.id) };
  } catch (caught) {
    if (caught instanceof ApiError && caught.status === 404) error(404, 'There is no profile with this ID in your organisation.');
    throw caught;
  }
};
