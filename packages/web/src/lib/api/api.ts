/** The dashboard's API client: same origin, session in localStorage, sign-in page when it ends. */
import { goto } from '$app/navigation';
import { navigating } from '$app/state';
import { createApiClient } from './client.js';
import { createStorageSessionStore } from './session.js';

/** Where the dashboard keeps its session. */
export const sessions = createStorageSessionStore(() => localStorage);

/** The client all data modules use. */
export const api = createApiClient({
  sessions,
  onSessionEnded() {
    // After signing in again, go where the user was going (mid-navigation) or where they were.
    const target = navigating.to?.url ?? new URL(location.href);
    const here = `${target.pathname}${target.search}`;
    void goto(here.startsWith('/login') ? '/login' : `/login?next=${encodeURIComponent(here)}`, { replaceState: true });
  },
});
