/** Reconnect delays: exponential growth between a minimum and a maximum, with jitter. */

/** The bounds of the delay between reconnection attempts, in milliseconds. */
export interface BackoffOptions {
  minDelayMs: number;
  maxDelayMs: number;
}

/** Reconnection delays start at one second and stop growing at one minute unless told. */
export const DEFAULT_BACKOFF: Readonly<BackoffOptions> = Object.freeze({ minDelayMs: 1000, maxDelayMs: 60_000 });

/**
 * The delay before attempt `attempt` (0 for the first retry): the exponential bound halved plus
 * a random half, so a fleet that lost its server at once does not come back at once.
 */
export function backoffDelay(attempt: number, { minDelayMs, maxDelayMs }: BackoffOptions, random: () => number = Math.random): number {
  const bound = Math.min(maxDelayMs, minDelayMs * 2 ** Math.min(attempt, 30));
  return Math.max(minDelayMs / 2, Math.round(bound / 2 + random() * (bound / 2)));
}

/** Resolves after `ms`, or at once when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
