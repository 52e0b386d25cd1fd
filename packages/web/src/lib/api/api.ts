/** The dashboard's API client: same origin, session in localStorage, sign-in page when it ends. */
import { goto } from '$app/navigation';
import { createApiClient } from './client.js';
import { createStorageSessionStore } from './session.js';

/** Where the dashboard keeps its session. */
export const sessions = createStorageSessionStore(() => localStorage);

/** The client all data modules use. */
export const api = createApiClient({
  sessions,
  onSessionEnded() {
    const here = `${location.pathname}${location.search}`;
    void goto(here.startsWith('/login') ? '/login' : `/login?next=${encodeURIComponent(here)}`, { replaceState: true });
  },
});
