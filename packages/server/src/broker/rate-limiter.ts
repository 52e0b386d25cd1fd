/** A token bucket: `ratePerSecond` takes a second, refilled continuously, bursts up to the rate. */
export function createRateLimiter(ratePerSecond: number, now: () => number = () => performance.now()) {
  let tokens = ratePerSecond;
  let last = now();
  return {
    /** Takes one token; false when none is left (the caller refuses). */
    tryTake(): boolean {
      const current = now();
      tokens = Math.min(ratePerSecond, tokens + ((current - last) / 1000) * ratePerSecond);
      last = current;
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
  };
}

/** A limiter of attempts. */
export type RateLimiter = ReturnType<typeof createRateLimiter>;
