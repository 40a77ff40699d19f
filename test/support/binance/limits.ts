/**
 * A sliding-window counter for the Binance test server's rate limits (request
 * weight per minute, new orders per 10 s). Binance counts in fixed windows; a
 * sliding one keeps tests independent of where a minute boundary falls.
 */
export class SlidingWindow {
  private readonly ms: number
  private entries: Array<{ readonly at: number; readonly weight: number }> = []
  private head = 0
  private total = 0

  constructor(ms: number) {
    this.ms = ms
  }

  /** The weight used inside the window ending at `now`. */
  used(now: number): number {
    while (this.head < this.entries.length && this.entries[this.head]!.at <= now - this.ms) {
      this.total -= this.entries[this.head]!.weight
      this.head += 1
    }
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head)
      this.head = 0
    }
    return this.total
  }

  add(now: number, weight: number): void {
    this.entries.push({ at: now, weight })
    this.total += weight
  }

  /** Whole seconds (at least 1) until `extra` more fits under `limit`. */
  retryAfter(now: number, extra: number, limit: number): number {
    let used = this.used(now)
    for (let i = this.head; i < this.entries.length; i++) {
      const e = this.entries[i]!
      used -= e.weight
      if (used + extra <= limit) return Math.max(1, Math.ceil((e.at + this.ms - now) / 1000))
    }
    return Math.max(1, Math.ceil(this.ms / 1000))
  }

  clear(): void {
    this.entries = []
    this.head = 0
    this.total = 0
  }
}
