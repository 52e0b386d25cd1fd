import { listUsers } from '$lib/api/users.js';
import { roleAtLeast } from '$lib/roles.js';
import type { PageLoad } from './$types';

export const load: PageLoad = async ({ fetch, parent, depends }) => {
  depends('app:users');
  const { me } = await parent();
  if (!roleAtLeast(me.user.role, 'admin')) return { page: null };
  return { page: await listUsers(fetch) };
};
