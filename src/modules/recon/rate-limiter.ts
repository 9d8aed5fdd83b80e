/** A fixed-window limiter: at most `requests` per `intervalMs` window. */
export class RateLimiter {
  private windowStart = -Infinity;
  private used = 0;

  constructor(
    private requests: number,
    private intervalMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes one request; when refused, says in how many whole seconds the window reopens. */
  acquire(): { ok: true } | { ok: false; retryAfterSeconds: number } {
    const t = this.now();
    if (t >= this.windowStart + this.intervalMs) {
      this.windowStart = t;
      this.used = 0;
    }
    if (this.used < this.requests) {
      this.used++;
      return { ok: true };
    }
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((this.windowStart + this.intervalMs - t) / 1000)) };
  }

  /** New limits apply to the current window (requests already taken still count). */
  configure(requests: number, intervalMs: number): void {
    this.requests = requests;
    this.intervalMs = intervalMs;
  }
}
