/**
 * Fixed one-minute windows, counted in memory. Memory is bounded: the counts are
 * dropped each minute, and past MAX_KEYS distinct keys in one minute new keys are not
 * counted (they pass) rather than growing the map.
 */
const WINDOW_MS = 60_000;
const MAX_KEYS = 100_000;

export class RateLimiter {
  private window = 0;
  private counts = new Map<string, number>();

  /** `limit` per minute; 0 means no limit. */
  constructor(readonly limit: number) {}

  private roll(now: number) {
    const window = Math.floor(now / WINDOW_MS);
    if (window !== this.window) {
      this.window = window;
      this.counts.clear();
    }
  }

  /** Seconds until the window ends: the Retry-After of a refusal. */
  retryAfter(now = Date.now()): number {
    return Math.max(1, Math.ceil(((this.window + 1) * WINDOW_MS - now) / 1000));
  }

  /** True when `key` has already used up its minute. */
  exceeded(key: string, now = Date.now()): boolean {
    if (this.limit === 0) return false;
    this.roll(now);
    return (this.counts.get(key) ?? 0) >= this.limit;
  }

  /** Counts one more for `key`; true when that goes over the limit. */
  hit(key: string, now = Date.now()): boolean {
    if (this.limit === 0) return false;
    this.roll(now);
    const count = this.counts.get(key);
    if (count === undefined && this.counts.size >= MAX_KEYS) return false;
    this.counts.set(key, (count ?? 0) + 1);
    return (count ?? 0) + 1 > this.limit;
  }
}
