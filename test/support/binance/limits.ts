/**
 * The Binance test server's rate limits, enforced as Binance documents them
 * (rest-api.md "LIMITS"):
 * - request weight per window (per IP) and new orders per window (per account), each
 *   rule one of `exchangeInfo.rateLimits`; past a limit, 429 with `-1003` (weight)
 *   or `-1015` (orders) and a `Retry-After` in seconds;
 * - `X-MBX-USED-WEIGHT-<n><unit>` and `X-MBX-ORDER-COUNT-<n><unit>` on every answer;
 * - repeated violations (429s, or requests that do not back off after one) end in
 *   an IP ban: 418 with `Retry-After` until it ends, and every request during the
 *   ban lengthens it. Bans double for repeat offenders, up to 3 days.
 *
 * Windows slide (a log of what was counted when); Binance's are fixed, which a
 * sliding window never undercounts, so a client that passes here passes there.
 */

export interface RateLimitRule {
  readonly rateLimitType: "REQUEST_WEIGHT" | "ORDERS"
  readonly interval: "SECOND" | "MINUTE" | "HOUR" | "DAY"
  readonly intervalNum: number
  readonly limit: number
}

export interface BanOptions {
  /** How many 429s within a minute are tolerated; the next violation starts a ban. Default 3. */
  readonly after429s?: number
  /** The first ban's length; each later one doubles, up to 3 days. Default 2 minutes (Binance's). */
  readonly ms?: number
}

/** A refusal: the HTTP status, Binance's code and message, and `Retry-After` in seconds. */
export interface Refusal {
  readonly status: 429 | 418
  readonly code: number
  readonly msg: string
  readonly retryAfterSeconds: number
}

const UNIT: Record<RateLimitRule["interval"], readonly [number, string]> = {
  SECOND: [1000, "s"],
  MINUTE: [60_000, "m"],
  HOUR: [3_600_000, "h"],
  DAY: [86_400_000, "d"]
}

/** A sliding-window counter: a log of what was counted when, read from `head`. */
export class SlidingWindow {
  private readonly ms: number
  private entries: Array<{ readonly at: number; readonly weight: number }> = []
  private head = 0
  private total = 0

  constructor(ms: number) {
    this.ms = ms
  }

  /** The weight counted inside the window ending at `now`. */
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

interface Counter {
  readonly rule: RateLimitRule
  readonly window: SlidingWindow
  /** `x-mbx-used-weight-1m`, `x-mbx-order-count-10s`, … */
  readonly header: string
  readonly intervalText: string
}

const counterOf = (rule: RateLimitRule): Counter => {
  const [ms, letter] = UNIT[rule.interval]
  const prefix = rule.rateLimitType === "REQUEST_WEIGHT" ? "x-mbx-used-weight" : "x-mbx-order-count"
  return {
    rule,
    window: new SlidingWindow(ms * rule.intervalNum),
    header: `${prefix}-${rule.intervalNum}${letter}`,
    intervalText: `${rule.intervalNum} ${rule.interval}`
  }
}

const THREE_DAYS = 3 * 86_400_000

export class RateLimiter {
  private readonly weights: ReadonlyArray<Counter>
  private readonly orders: ReadonlyArray<Counter>
  private readonly after429s: number
  private readonly firstBanMs: number
  private readonly strikes = new SlidingWindow(60_000)
  private bans = 0
  private bannedUntil = 0
  private banMs = 0
  private ordersEver = 0

  constructor(rules: ReadonlyArray<RateLimitRule>, ban: BanOptions = {}) {
    this.weights = rules.filter((r) => r.rateLimitType === "REQUEST_WEIGHT").map(counterOf)
    this.orders = rules.filter((r) => r.rateLimitType === "ORDERS").map(counterOf)
    this.after429s = ban.after429s ?? 3
    this.firstBanMs = ban.ms ?? 120_000
  }

  /** Until when the IP is banned (0: never banned). */
  get banEnd(): number {
    return this.bannedUntil
  }

  /** A request of `weight` arriving at `now`: counted, or refused (429 past a limit, 418 during a ban). */
  admitRequest(now: number, weight: number): Refusal | undefined {
    if (now < this.bannedUntil) {
      // A request during a ban lengthens it.
      this.bannedUntil = Math.max(this.bannedUntil, now + this.banMs)
      return this.banned(now)
    }
    const over = this.weights.find((c) => c.window.used(now) + weight > c.rule.limit)
    if (over !== undefined) {
      return this.violation(now, {
        status: 429,
        code: -1003,
        msg: `Too much request weight used; current limit is ${over.rule.limit} request weight per ${over.intervalText}. ` +
          "Please use WebSocket Streams for live updates to avoid polling the API.",
        retryAfterSeconds: over.window.retryAfter(now, weight, over.rule.limit)
      })
    }
    for (const c of this.weights) c.window.add(now, weight)
    return undefined
  }

  /** `count` new orders arriving at `now` (after their request was admitted): counted, or refused. */
  admitOrders(now: number, count: number): Refusal | undefined {
    const over = this.orders.find((c) => c.window.used(now) + count > c.rule.limit)
    if (over !== undefined) {
      return this.violation(now, {
        status: 429,
        code: -1015,
        msg: `Too many new orders; current limit is ${over.rule.limit} orders per ${over.intervalText}.`,
        retryAfterSeconds: over.window.retryAfter(now, count, over.rule.limit)
      })
    }
    for (const c of this.orders) c.window.add(now, count)
    this.ordersEver += count
    return undefined
  }

  /** The usage headers every answer carries (the order counts unless `orderCounts` is false). */
  headers(now: number, orderCounts = true): Record<string, string> {
    const out: Record<string, string> = {}
    for (const c of this.weights) out[c.header] = String(c.window.used(now))
    // The legacy header: the first weight window's count.
    if (this.weights[0] !== undefined) out["x-mbx-used-weight"] = out[this.weights[0].header]!
    if (orderCounts) for (const c of this.orders) out[c.header] = String(c.window.used(now))
    return out
  }

  /** `GET /api/v3/rateLimit/order`: each order rule with its count. */
  orderUsage(now: number): ReadonlyArray<RateLimitRule & { readonly count: number }> {
    return this.orders.map((c) => ({ ...c.rule, count: c.window.used(now) }))
  }

  /** Orders counted since the start (or the last `clear`). */
  get totalOrders(): number {
    return this.ordersEver
  }

  clear(): void {
    for (const c of [...this.weights, ...this.orders]) c.window.clear()
    this.strikes.clear()
    this.bans = 0
    this.bannedUntil = 0
    this.banMs = 0
    this.ordersEver = 0
  }

  private violation(now: number, refusal: Refusal): Refusal {
    if (this.strikes.used(now) < this.after429s) {
      this.strikes.add(now, 1)
      return refusal
    }
    this.bans += 1
    this.banMs = Math.min(THREE_DAYS, this.firstBanMs * 2 ** (this.bans - 1))
    this.bannedUntil = now + this.banMs
    this.strikes.clear()
    return this.banned(now)
  }

  private banned(now: number): Refusal {
    return {
      status: 418,
      code: -1003,
      msg: `Way too much request weight used; IP banned until ${this.bannedUntil}. Please use WebSocket Streams for live updates to avoid bans.`,
      retryAfterSeconds: Math.max(1, Math.ceil((this.bannedUntil - now) / 1000))
    }
  }
}
