/** Waiting between attempts: exponential backoff with full jitter, cut short by a stop signal. */

/** The delay before attempt `attempt` (0-based): random in [min, min·2^attempt], capped at max. */
export function backoffDelay(attempt: number, minMs = 1000, maxMs = 60_000): number {
  const ceiling = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 20));
  return Math.round(minMs + Math.random() * (ceiling - minMs));
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done);
  });
}
