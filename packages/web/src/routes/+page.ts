import { redirect } from '@sveltejs/kit';
import { hasSession, isSetupPending } from '$lib/api/auth.js';
import type { PageLoad } from './$types';

// `/` only decides where to go: first-run setup, the device list, or sign-in.
export const load: PageLoad = async ({ fetch }) => {
  if (await isSetupPending(fetch)) redirect(307, '/setup');
  redirect(307, hasSession() ? '/devices' : '/login');
};
