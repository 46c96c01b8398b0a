/**
 * A token bucket per key, in enclave memory: `perSecond` tokens refill each second up to `burst`.
 * Buckets idle long enough to be full again are dropped, so memory follows active keys only.
 *
 * @example
 * const limiter = new RateLimiter(20, 40);
 * const wait = limiter.take(authKey); // 0 when allowed, else ms until a token is back
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private lastSweep = Date.now();

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
  ) {}

  take(key: string, now = Date.now()): number {
    this.sweep(now);
    const b = this.buckets.get(key) ?? { tokens: this.burst, at: now };
    b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) / 1000) * this.perSecond);
    b.at = now;
    if (b.tokens < 1) {
      this.buckets.set(key, b);
      return Math.ceil(((1 - b.tokens) / this.perSecond) * 1000);
    }
    b.tokens -= 1;
    this.buckets.set(key, b);
    return 0;
  }

  private sweep(now: number): void {
    const fullAfter = (this.burst / this.perSecond) * 1000;
    if (now - this.lastSweep < fullAfter) return;
    this.lastSweep = now;
    for (const [k, b] of this.buckets) if (now - b.at > fullAfter) this.buckets.delete(k);
  }
}
