/**
 * How many events a device may have stored: a token bucket per device and source, so one
 * device cannot fill the disk with events, and a device that floods its own events does not
 * crowd out what the server records about it.
 */

/** Options of the limiter. */
export interface EventLimiterOptions {
  /** Events a device may send at once, after being quiet. */
  burst: number;
  /** Events per second it may keep sending. */
  ratePerSecond: number;
}

/** The limits applied unless configured otherwise: 120 at once, then one every two seconds. */
export const defaultEventLimits: EventLimiterOptions = Object.freeze({ burst: 120, ratePerSecond: 0.5 });

interface Bucket {
  tokens: number;
  updatedAt: number;
}

// Past this many buckets, full ones (devices quiet long enough) are forgotten.
const PRUNE_ABOVE = 10_000;

/** Creates the limiter. */
export function createEventLimiter(options: Partial<EventLimiterOptions> = {}) {
  const { burst, ratePerSecond } = { ...defaultEventLimits, ...options };
  const buckets = new Map<string, Bucket>();

  function refill(bucket: Bucket, now: number): void {
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.updatedAt) / 1000) * ratePerSecond);
    bucket.updatedAt = now;
  }

  function prune(now: number): void {
    for (const [key, bucket] of buckets) {
      refill(bucket, now);
      if (bucket.tokens >= burst) buckets.delete(key);
    }
  }

  return {
    /** Takes `count` tokens if all are there; false (taking none) when over the limit. */
    take(key: string, count: number, now = Date.now()): boolean {
      let bucket = buckets.get(key);
      if (!bucket) {
        if (buckets.size >= PRUNE_ABOVE) prune(now);
        bucket = { tokens: burst, updatedAt: now };
        buckets.set(key, bucket);
      }
      refill(bucket, now);
      if (bucket.tokens < count) return false;
      bucket.tokens -= count;
      return true;
    },

    /** Seconds until `count` tokens are there (for Retry-After). */
    secondsUntil(key: string, count: number, now = Date.now()): number {
      const bucket = buckets.get(key);
      if (!bucket) return 0;
      refill(bucket, now);
      return Math.max(1, Math.ceil((Math.min(count, burst) - bucket.tokens) / ratePerSecond));
    },
  };
}

/** The limiter. */
export type EventLimiter = ReturnType<typeof createEventLimiter>;
