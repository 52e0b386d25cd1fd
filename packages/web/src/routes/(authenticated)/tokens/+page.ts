import { listApiTokens } from '$lib/api/api-tokens.js';
import { listEnrollmentTokens } from '$lib/api/enrollment-tokens.js';
import { roleAtLeast } from '$lib/roles.js';
import type { PageLoad } from './$types';

// API tokens are for admins, enrollment tokens for operators and up; each list loads only for
// those who may see it.
export const load: PageLoad = async ({ fetch, parent, depends }) => {
  depends('app:tokens');
  const { me } = await parent();
  const [apiTokens, enrollmentTokens] = await Promise.all([
    roleAtLeast(me.user.role, 'admin') ? listApiTokens(fetch) : null,
    roleAtLeast(me.user.role, 'operator') ? listEnrollmentTokens(fetch) : null,
  ]);
  return { apiTokens, enrollmentTokens };
};
