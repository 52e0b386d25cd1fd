import { redirect } from '@sveltejs/kit';
import { isSetupPending } from '$lib/api/auth.js';
import type { PageLoad } from './$types';

// Setup runs once; after that the page sends everyone to sign in.
export const load: PageLoad = async ({ fetch }) => {
  if (!(await isSetupPending(fetch))) redirect(307, '/login');
};
