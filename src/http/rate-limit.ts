import { limitExceeded } from './errors.js';

/**
 * A fixed-window counter per key (an address or a user). Small and in memory: it protects a
 * single process, which is all Switchboard runs as.
 */
export class RateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(private readonly perMinute: number, private readonly now = () => Date.now()) {}

  /** Counts one attempt; throws M_LIMIT_EXCEEDED with retry_after_ms when over the limit. */
  take(key: string): void {
    const now = this.now();
    let window = this.windows.get(key);
    if (!window || now - window.start >= 60_000) {
      if (this.windows.size > 10_000) this.prune(now);
      window = { start: now, count: 0 };
      this.windows.set(key, window);
    }
    window.count += 1;
    if (window.count > this.perMinute) throw limitExceeded(window.start + 60_000 - now);
  }

  private prune(now: number): void {
    for (const [key, window] of this.windows) {
      if (now - window.start >= 60_000) this.windows.delete(key);
    }
  }
}
