/** The signed-in session, kept in localStorage so it survives reloads and new tabs. */
import type { Session } from '@flotilla/protocol';
import type { SessionStore } from './client.js';

const STORAGE_KEY = 'flotilla.session';

/**
 * A session store over a Web Storage area (localStorage in the dashboard). The area is looked up
 * on use, so importing this module outside a browser (as the build does) is harmless.
 */
export function createStorageSessionStore(storage: () => Storage): SessionStore {
  return {
    read() {
      const text = storage().getItem(STORAGE_KEY);
      if (!text) return null;
      try {
        const session = JSON.parse(text) as Session;
        return typeof session.accessToken === 'string' && typeof session.refreshToken === 'string' ? session : null;
      } catch {
        return null;
      }
    },
    write(session) {
      storage().setItem(STORAGE_KEY, JSON.stringify(session));
    },
    clear() {
      storage().removeItem(STORAGE_KEY);
    },
  };
}
