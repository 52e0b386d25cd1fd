/**
 * Recognising database errors the same way on both dialects, so services can turn a constraint
 * the database enforced into a catalogue error instead of a 500.
 */

/** True when the error is a unique or primary-key violation (SQLite or PostgreSQL). */
export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  // 23505 is PostgreSQL's unique_violation; better-sqlite3 reports SQLite's extended codes.
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/**
 * Runs `attempt` again when it fails on a unique violation, up to `attempts` times. For work that
 * picks a free name and then inserts it: a concurrent writer may take the name in between, and
 * on PostgreSQL the failed statement spoils its transaction, so the whole attempt is repeated.
 */
export async function retryOnUniqueViolation<T>(attempt: () => Promise<T>, attempts = 5): Promise<T> {
  for (let tries = 1; ; tries++) {
    try {
      return await attempt();
    } catch (error) {
      if (!isUniqueViolation(error) || tries >= attempts) throw error;
    }
  }
}
