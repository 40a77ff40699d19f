/**
 * The request budget of one live venue, so that bursts queue here instead of
 * hitting HTTP 429 (and, after repeated 429s, a 418 IP ban).
 *
 * Two sliding windows, as Binance advertises them in `exchangeInfo.rateLimits`:
 * request weight per minute and new orders per 10 s. A sliding window (a log of
 * what was spent when) never spends more than the limit within any window-long
 * interval, so it also stays within the exchange's fixed windows, which a plain
 * token bucket does not (a full bucket plus its refill can spend twice the limit
 * inside one fixed minute).
 *
 * Three inputs keep it honest:
 * - `configure`: the limits the exchange advertises (read from the exchangeInfo
 *   response as it passes; until then, ccxt's own `rateLimit` pacing);
 * - `observe`: what the exchange says was used (`X-MBX-USED-WEIGHT-1M`,
 *   `X-MBX-ORDER-COUNT-10S`); usage we did not account for (another process on the
 *   same key, an underestimated weight) is booked as spent now;
 * - `pause`: a `Retry-After` stops every request until it has passed.
 *
 * Weights per request kind are Binance's (binance.com and Binance.US tables below);
 * other exchanges count 1 per request against ccxt's `rateLimit` pacing.
 *
 * Waiting is `Effect.sleep` on the Effect clock, so tests drive it with `TestClock`.
 * Each taker checks and spends in one synchronous step, and otherwise sleeps until
 * its units would fit; there is no single queue, so a create held back by the
 * orders window never delays a cancel or a read behind it.
 */
import { Effect } from "effect"

export interface WindowLimit {
  /** Most units spent within any `windowMs`. */
  readonly limit: number
  readonly windowMs: number
}

export interface BudgetLimits {
  readonly weight?: WindowLimit | undefined
  readonly orders?: WindowLimit | undefined
}

export interface RateBudget {
  /** Waits until `weight` request weight and `orders` new-order slots are free, then spends them. */
  take(weight: number, orders?: number): Effect.Effect<void>
  /** Sets the limits (e.g. from the exchange's advertised `rateLimits`). */
  configure(limits: BudgetLimits): Effect.Effect<void>
  /** Books usage the exchange reports beyond what this budget spent in the current window. */
  observe(used: Usage): Effect.Effect<void>
  /** Holds every request until `ms` from now. */
  pause(ms: number): Effect.Effect<void>
  /** The limits in force, for logs and tests. */
  readonly limits: Effect.Effect<BudgetLimits>
  // The same, as synchronous steps at a time the caller read from the Effect clock, for
  // bookkeeping done inside a response callback:
  /** Spends `weight` and `orders` if they fit at `now`, in one synchronous step; whether they did. */
  tryTakeUnsafe(weight: number, orders: number, now: number): boolean
  configureUnsafe(limits: BudgetLimits): void
  observeUnsafe(used: Usage, now: number): void
  pauseUnsafe(ms: number, now: number): void
}

export interface Usage {
  readonly weight?: number | undefined
  readonly orders?: number | undefined
}

interface Spend {
  readonly at: number
  readonly units: number
}

/**
 * One sliding window: a log of spends, pruned as they age out. The log is a queue
 * read from `head` (compacted now and then), so pruning is amortised O(1) however
 * many requests the window holds.
 */
export class SlidingWindow {
  limit: WindowLimit
  private log: Array<Spend> = []
  private head = 0
  private spent = 0
  constructor(limit: WindowLimit) {
    this.limit = limit
  }
  private prune(now: number) {
    const log = this.log
    let head = this.head
    const cutoff = now - this.limit.windowMs
    while (head < log.length && log[head]!.at <= cutoff) this.spent -= log[head++]!.units
    if (head > 1024 && head * 2 > log.length) {
      this.log = log.slice(head)
      head = 0
    }
    this.head = head
  }
  used(now: number): number {
    this.prune(now)
    return this.spent
  }
  /** Milliseconds until `units` fit (0: they fit now). */
  waitFor(units: number, now: number): number {
    this.prune(now)
    const need = Math.min(units, this.limit.limit)
    let over = this.spent + need - this.limit.limit
    if (over <= 0) return 0
    for (let i = this.head; i < this.log.length; i++) {
      const s = this.log[i]!
      over -= s.units
      if (over <= 0) return Math.max(1, s.at + this.limit.windowMs - now)
    }
    return this.limit.windowMs
  }
  spend(units: number, now: number) {
    if (units <= 0) return
    const last = this.log.length > this.head ? this.log[this.log.length - 1]! : undefined
    // Spends in the same millisecond share one entry.
    if (last !== undefined && last.at === now) this.log[this.log.length - 1] = { at: now, units: last.units + units }
    else this.log.push({ at: now, units })
    this.spent += units
  }
}

/** A budget with the given starting limits; `undefined` limits do not constrain. */
export const makeRateBudget = (initial: BudgetLimits): Effect.Effect<RateBudget> =>
  Effect.sync(() => {
    let weight = initial.weight === undefined ? undefined : new SlidingWindow(initial.weight)
    let orders = initial.orders === undefined ? undefined : new SlidingWindow(initial.orders)
    let pausedUntil = 0

    const waitMs = (w: number, o: number, now: number) =>
      Math.max(
        pausedUntil - now,
        weight?.waitFor(w, now) ?? 0,
        o > 0 ? (orders?.waitFor(o, now) ?? 0) : 0,
        0
      )

    /** Spends `w` and `o` if they fit now (one synchronous step); otherwise how long to wait. */
    const tryTake = (w: number, o: number, now: number): number => {
      const wait = waitMs(w, o, now)
      if (wait <= 0) {
        weight?.spend(w, now)
        orders?.spend(o, now)
      }
      return wait
    }

    const take = (w: number, o = 0): Effect.Effect<void> =>
      Effect.clockWith((clock) => {
        const wait = tryTake(w, o, clock.currentTimeMillisUnsafe())
        return wait <= 0 ? Effect.void : Effect.andThen(Effect.sleep(wait), take(w, o))
      })

    const reconcile = (window: SlidingWindow | undefined, reported: number | undefined, now: number) => {
      if (window === undefined || reported === undefined || !Number.isFinite(reported)) return
      const missing = reported - window.used(now)
      if (missing > 0) window.spend(missing, now)
    }

    const configureUnsafe = (limits: BudgetLimits) => {
      if (limits.weight !== undefined) {
        if (weight === undefined) weight = new SlidingWindow(limits.weight)
        else weight.limit = limits.weight
      }
      if (limits.orders !== undefined) {
        if (orders === undefined) orders = new SlidingWindow(limits.orders)
        else orders.limit = limits.orders
      }
    }
    const observeUnsafe = (used: Usage, now: number) => {
      reconcile(weight, used.weight, now)
      reconcile(orders, used.orders, now)
    }
    const pauseUnsafe = (ms: number, now: number) => {
      pausedUntil = Math.max(pausedUntil, now + Math.max(0, ms))
    }

    return {
      take,
      configure: (limits) => Effect.sync(() => configureUnsafe(limits)),
      observe: (used) => Effect.clockWith((clock) => Effect.sync(() => observeUnsafe(used, clock.currentTimeMillisUnsafe()))),
      pause: (ms) => Effect.clockWith((clock) => Effect.sync(() => pauseUnsafe(ms, clock.currentTimeMillisUnsafe()))),
      limits: Effect.sync(() => ({ weight: weight?.limit, orders: orders?.limit })),
      tryTakeUnsafe: (w, o, now) => tryTake(w, o, now) <= 0,
      configureUnsafe,
      observeUnsafe,
      pauseUnsafe
    } satisfies RateBudget
  })

// ---- request weights -------------------------------------------------------------

/** What a request is, for its weight, its budget and its log line. */
export type RequestKind =
  | "markets"
  | "time"
  | "ticker"
  | "submit"
  | "fetchOrder"
  | "cancel"
  | "cancelAll"
  | "openOrders"
  | "orders"
  | "balances"
  /** An OCO order list: one request, two orders. */
  | "submitList"
  | "fetchList"
  | "cancelList"
  | "trades"
  /** The user data stream's listenKey: create, keep alive (`/api/v3/userDataStream`). */
  | "listenKey"

/** How many orders a request of each kind places, for the exchange's order-rate limit. */
export const ordersPlaced = (kind: RequestKind): number => (kind === "submit" ? 1 : kind === "submitList" ? 2 : 0)

/** binance.com spot request weights (with a symbol, where that matters). */
export const BINANCE_WEIGHT: Readonly<Record<RequestKind, number>> = {
  markets: 20,
  time: 1,
  ticker: 2,
  submit: 1,
  fetchOrder: 4,
  cancel: 1,
  cancelAll: 1,
  openOrders: 6,
  orders: 20,
  balances: 20,
  submitList: 1,
  fetchList: 4,
  cancelList: 1,
  trades: 20,
  listenKey: 2
}

/** Binance.US spot request weights. */
export const BINANCEUS_WEIGHT: Readonly<Record<RequestKind, number>> = {
  markets: 10,
  time: 1,
  ticker: 1,
  submit: 1,
  fetchOrder: 2,
  cancel: 1,
  cancelAll: 1,
  openOrders: 3,
  orders: 10,
  balances: 10,
  submitList: 1,
  fetchList: 2,
  cancelList: 1,
  trades: 10,
  listenKey: 1
}

/** Requests that need the API key: one succeeding proves the credentials work. */
export const PRIVATE_REQUESTS: ReadonlySet<RequestKind> = new Set([
  "submit",
  "fetchOrder",
  "cancel",
  "cancelAll",
  "openOrders",
  "orders",
  "balances",
  "submitList",
  "fetchList",
  "cancelList",
  "trades"
])

/** The REQUEST_WEIGHT and ORDERS (shortest window) limits of a Binance `exchangeInfo.rateLimits` array. */
export const limitsFromBinance = (rateLimits: unknown): BudgetLimits => {
  if (!Array.isArray(rateLimits)) return {}
  const unitMs: Record<string, number> = { SECOND: 1000, MINUTE: 60_000, HOUR: 3_600_000, DAY: 86_400_000 }
  let weight: WindowLimit | undefined
  let orders: WindowLimit | undefined
  for (const r of rateLimits as ReadonlyArray<unknown>) {
    if (typeof r !== "object" || r === null) continue
    const { rateLimitType, interval, intervalNum, limit } = r as Record<string, unknown>
    const unit = typeof interval === "string" ? unitMs[interval] : undefined
    const n = Number(intervalNum ?? 1)
    const l = Number(limit)
    if (unit === undefined || !(n > 0) || !(l > 0)) continue
    const w = { limit: l, windowMs: unit * n }
    // The shortest window of each kind is the one a burst hits first.
    if (rateLimitType === "REQUEST_WEIGHT" && (weight === undefined || w.windowMs < weight.windowMs)) weight = w
    if (rateLimitType === "ORDERS" && (orders === undefined || w.windowMs < orders.windowMs)) orders = w
  }
  return { ...(weight === undefined ? {} : { weight }), ...(orders === undefined ? {} : { orders }) }
}
