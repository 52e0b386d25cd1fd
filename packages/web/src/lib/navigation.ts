/** Where to go after signing in: only paths of this dashboard, never another site. */
export function safeNextPath(next: string | null, fallback = '/devices'): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return fallback;
  if (next.startsWith('/login') || next.startsWith('/setup')) return fallback;
  return next;
}
