/**
 * Fixed one-minute windows, counted in memory. Memory is bounded: the counts are
 * dropped each minute, and at most MAX_KEYS distinct keys are counted in one minute.
 * What happens to a new key past that is the limiter's choice: a failure limiter
 * refuses it (a flood from many addresses must not buy unlimited guesses), the redirect
 * limiter lets it through (a recruiter is never refused because of someone else).
 */
const WINDOW_MS = 60_000;
const MAX_KEYS = 100_000;

export type WhenFull = "refuse" | "pass";

export class RateLimiter {
  private window = 0;
  private counts = new Map<string, number>();

  /** `limit` per minute; 0 means no limit. */
  constructor(
    readonly limit: number,
    readonly whenFull: WhenFull = "pass",
    private readonly maxKeys = MAX_KEYS,
  ) {}

  private roll(now: number) {
    const window = Math.floor(now / WINDOW_MS);
    if (window !== this.window) {
      this.window = window;
      this.counts.clear();
    }
  }

  private full(key: string): boolean {
    return this.counts.size >= this.maxKeys && !this.counts.has(key);
  }

  /** Seconds until the window ends: the Retry-After of a refusal. */
  retryAfter(now = Date.now()): number {
    return Math.max(1, Math.ceil(((this.window + 1) * WINDOW_MS - now) / 1000));
  }

  /** True when `key` has already used up its minute (or, for a refusing limiter, cannot be counted). */
  exceeded(key: string, now = Date.now()): boolean {
    if (this.limit === 0) return false;
    this.roll(now);
    if (this.full(key)) return this.whenFull === "refuse";
    return (this.counts.get(key) ?? 0) >= this.limit;
  }

  /** Counts one more for `key`; true when that goes over the limit. */
  hit(key: string, now = Date.now()): boolean {
    if (this.limit === 0) return false;
    this.roll(now);
    if (this.full(key)) return this.whenFull === "refuse";
    const count = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, count);
    return count > this.limit;
  }
}
