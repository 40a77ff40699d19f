/**
 * The request budget of one live venue, so that bursts queue here instead of
 * hitting HTTP 429 (and, after repeated 429s, a 418 IP ban).
 *
 * Sliding windows of two kinds, as Binance advertises them in
 * `exchangeInfo.rateLimits`: request weight (per minute) and new orders (per 10 s
 * and per day). A sliding window never spends more than the limit within any
 * window-long interval, so it also stays within the exchange's fixed windows.
 *
 * A request counts in a window from the moment it is let through until its answer
 * arrives (it is *in flight*), and then for one window length after that answer.
 * The exchange counts it when it arrives, which is after it left and before its
 * answer came, however long the request queued on the way: so every request the
 * exchange counts in any of its windows is counted here when the next one is let
 * through. No latency margin is needed, and none can be too small under load. A
 * request that got no answer (a timeout, a dropped connection) may still arrive
 * late: it is counted from `hold` ms after it was given up.
 *
 * Three more inputs keep it honest:
 * - `configure`: the limits the exchange advertises (until then, ccxt's `rateLimit` pacing);
 * - `observe`: what the exchange says each window holds (`X-MBX-USED-WEIGHT-1M`,
 *   `X-MBX-ORDER-COUNT-10S`, `-1D`): usage this budget did not account for (another
 *   process on the same account or IP, an underestimated weight) is booked as spent
 *   at the answer, so the budget never plans past the exchange's own count;
 * - `pause`: a `Retry-After` holds every request until it has passed, counted from
 *   when the answer that carried it arrived.
 *
 * Waiting is on the Effect clock, so tests drive it with `TestClock`. Takers wait in
 * two lines, first come first served: requests that place orders, and the rest, so
 * a create held back by the orders window never delays a cancel or a read.
 */
import { Effect, Semaphore } from "effect"

export interface WindowLimit {
  /** Most units spent within any `windowMs`. */
  readonly limit: number
  readonly windowMs: number
}

export type UnitKind = "weight" | "orders"

export interface BudgetLimits {
  /** Request weight per window: one window or several. */
  readonly weight?: WindowLimit | ReadonlyArray<WindowLimit> | undefined
  /** New orders per window: one window or several (Binance: per 10 s and per day). */
  readonly orders?: WindowLimit | ReadonlyArray<WindowLimit> | undefined
}

/** What the exchange says one of its windows holds (one usage header). */
export interface Usage {
  readonly kind: UnitKind
  readonly windowMs: number
  readonly used: number
}

export interface RateBudget {
  /** Waits its turn until `weight` and `orders` fit; holds nothing (see `tryTakeUnsafe`). */
  ready(weight: number, orders?: number): Effect.Effect<void>
  /** Waits until `weight` and `orders` fit, then holds them as in flight until `settle` or `release`. */
  take(weight: number, orders?: number): Effect.Effect<void>
  /** The request holding `weight` and `orders` was answered now: they count from now on. */
  settle(weight: number, orders?: number): Effect.Effect<void>
  /** Sets the limits of the kinds given (e.g. from the exchange's advertised `rateLimits`). */
  configure(limits: BudgetLimits): Effect.Effect<void>
  /** Books usage the exchange reports beyond what this budget counts. */
  observe(usage: ReadonlyArray<Usage>): Effect.Effect<void>
  /** Holds every request until `ms` from now. */
  pause(ms: number): Effect.Effect<void>
  /** The limits in force, for logs and tests. */
  readonly limits: Effect.Effect<{ readonly weight: ReadonlyArray<WindowLimit>; readonly orders: ReadonlyArray<WindowLimit> }>
  // The same, as synchronous steps at a time the caller read from the Effect clock, for
  // bookkeeping done where the request leaves and where its answer arrives:
  /** Whether `weight` and `orders` fit at `now` and nobody waits for their turn before them. */
  fitsUnsafe(weight: number, orders: number, now: number): boolean
  /**
   * Holds `weight` and `orders` if they fit at `now`; whether they did. Call it in the
   * step that sends the request, after `fitsUnsafe` or `ready`.
   */
  tryTakeUnsafe(weight: number, orders: number, now: number): boolean
  /** The answer arrived at `at` (for a request given up without one: `at` plus the hold). */
  settleUnsafe(weight: number, orders: number, at: number): void
  /** The request never left: its units are free again. */
  releaseUnsafe(weight: number, orders: number): void
  configureUnsafe(limits: BudgetLimits): void
  observeUnsafe(usage: ReadonlyArray<Usage>, now: number): void
  /**
   * The exchange refused for `kind` without saying how long to wait (Binance.US's 429
   * `-1015` has no `Retry-After`): its shortest window counts as full from `now`.
   */
  fillUnsafe(kind: UnitKind, now: number): void
  /** Holds every request until `now + ms`; whether that moved the end of the pause. */
  pauseUnsafe(ms: number, now: number): boolean
  /** Until when every request is held (0: never paused). */
  pausedUntilUnsafe(): number
}

interface Spend {
  readonly at: number
  readonly units: number
}

/**
 * One sliding window: a log of spends ordered by time, pruned as they age out, plus
 * the units in flight (held, not yet answered), which never age out. The log is a
 * queue read from `head` (compacted now and then), so pruning is amortised O(1).
 */
export class SlidingWindow {
  limit: WindowLimit
  inFlight = 0
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
  /** Units counted at `now`: spent within the window, and in flight. */
  used(now: number): number {
    this.prune(now)
    return this.spent + this.inFlight
  }
  /** Milliseconds until `units` fit: 0, they fit now; `Infinity`, only an answer can make room. */
  waitFor(units: number, now: number): number {
    this.prune(now)
    // A request heavier than the limit still goes, alone.
    let over = this.spent + this.inFlight + Math.min(units, this.limit.limit) - this.limit.limit
    if (over <= 0) return 0
    if (over > this.spent) return Infinity
    for (let i = this.head; i < this.log.length; i++) {
      const s = this.log[i]!
      over -= s.units
      if (over <= 0) return Math.max(1, s.at + this.limit.windowMs - now)
    }
    return Infinity
  }
  /** Books `units` at `at`, in time order (a request given up without an answer is booked ahead of now). */
  spend(units: number, at: number) {
    if (units <= 0) return
    const log = this.log
    this.spent += units
    let i = log.length
    while (i > this.head && log[i - 1]!.at > at) i--
    // Spends in the same millisecond share one entry.
    if (i > this.head && log[i - 1]!.at === at) log[i - 1] = { at, units: log[i - 1]!.units + units }
    else if (i === log.length) log.push({ at, units })
    else log.splice(i, 0, { at, units })
  }
  /** Everything this window holds, for a window that replaces it. */
  copyFrom(other: SlidingWindow) {
    this.inFlight = other.inFlight
    this.log = other.log.slice(other.head)
    this.head = 0
    this.spent = other.spent
  }
}

const asList = (limits: WindowLimit | ReadonlyArray<WindowLimit> | undefined): ReadonlyArray<WindowLimit> | undefined =>
  limits === undefined ? undefined : "limit" in limits ? [limits] : limits

/**
 * The windows for `limits`, each keeping what the old window of the same length
 * held, or else what the longest old one held (in-flight units included).
 */
const replaceWindows = (old: ReadonlyArray<SlidingWindow>, limits: ReadonlyArray<WindowLimit>): Array<SlidingWindow> =>
  limits.map((limit) => {
    const window = new SlidingWindow(limit)
    const same = old.find((w) => w.limit.windowMs === limit.windowMs)
    const longest = old.reduce<SlidingWindow | undefined>((a, w) => (a === undefined || w.limit.windowMs > a.limit.windowMs ? w : a), undefined)
    const source = same ?? longest
    if (source !== undefined) window.copyFrom(source)
    return window
  })

/** A budget with the given starting limits; kinds without limits do not constrain. */
export const makeRateBudget = (initial: BudgetLimits): Effect.Effect<RateBudget> =>
  Effect.sync(() => {
    let weight: Array<SlidingWindow> = (asList(initial.weight) ?? []).map((l) => new SlidingWindow(l))
    let orders: Array<SlidingWindow> = (asList(initial.orders) ?? []).map((l) => new SlidingWindow(l))
    let pausedUntil = 0
    /** Takers waiting for an answer to make room (at most the two lines' first). */
    const answerWaiters = new Set<() => void>()
    const wakeAnswerWaiters = () => {
      if (answerWaiters.size === 0) return
      const woken = [...answerWaiters]
      answerWaiters.clear()
      for (const wake of woken) wake()
    }
    const nextAnswer = Effect.callback<void>((resume) => {
      const wake = () => resume(Effect.void)
      answerWaiters.add(wake)
      return Effect.sync(() => void answerWaiters.delete(wake))
    })

    const waitMs = (w: number, o: number, now: number) => {
      let wait = pausedUntil - now
      for (const window of weight) wait = Math.max(wait, window.waitFor(w, now))
      if (o > 0) for (const window of orders) wait = Math.max(wait, window.waitFor(o, now))
      return wait
    }

    /** Holds `w` and `o` if they fit now (one synchronous step); otherwise how long to wait. */
    const tryTake = (w: number, o: number, now: number): number => {
      const wait = waitMs(w, o, now)
      if (wait <= 0) {
        for (const window of weight) window.inFlight += w
        if (o > 0) for (const window of orders) window.inFlight += o
      }
      return wait
    }

    /** The two lines of takers: those placing orders, and the rest. Only a line's first waits on the clock. */
    const lines = {
      orders: { waiting: 0, turn: Semaphore.makeUnsafe(1) },
      other: { waiting: 0, turn: Semaphore.makeUnsafe(1) }
    }
    const lineOf = (o: number) => (o > 0 ? lines.orders : lines.other)

    const untilItFits = (w: number, o: number): Effect.Effect<void> =>
      Effect.clockWith((clock) => {
        const wait = waitMs(w, o, clock.currentTimeMillisUnsafe())
        if (wait <= 0) return Effect.void
        return Effect.andThen(wait === Infinity ? nextAnswer : Effect.sleep(wait), untilItFits(w, o))
      })

    const ready = (w: number, o = 0): Effect.Effect<void> =>
      Effect.suspend(() => {
        const line = lineOf(o)
        line.waiting++
        return line.turn.withPermits(1)(untilItFits(w, o)).pipe(Effect.ensuring(Effect.sync(() => void line.waiting--)))
      })

    const take = (w: number, o = 0): Effect.Effect<void> =>
      Effect.andThen(
        ready(w, o),
        Effect.clockWith((clock) => (tryTake(w, o, clock.currentTimeMillisUnsafe()) <= 0 ? Effect.void : take(w, o)))
      )

    const release = (w: number, o: number) => {
      for (const window of weight) window.inFlight = Math.max(0, window.inFlight - w)
      if (o > 0) for (const window of orders) window.inFlight = Math.max(0, window.inFlight - o)
    }
    const settleUnsafe = (w: number, o: number, at: number) => {
      release(w, o)
      for (const window of weight) window.spend(w, at)
      if (o > 0) for (const window of orders) window.spend(o, at)
      wakeAnswerWaiters()
    }
    const releaseUnsafe = (w: number, o: number) => {
      release(w, o)
      wakeAnswerWaiters()
    }

    const configureUnsafe = (limits: BudgetLimits) => {
      const w = asList(limits.weight)
      const o = asList(limits.orders)
      if (w !== undefined) weight = replaceWindows(weight, w)
      if (o !== undefined) orders = replaceWindows(orders, o)
      wakeAnswerWaiters()
    }
    const observeUnsafe = (usage: ReadonlyArray<Usage>, now: number) => {
      for (const u of usage) {
        if (!Number.isFinite(u.used)) continue
        const window = (u.kind === "weight" ? weight : orders).find((w) => w.limit.windowMs === u.windowMs)
        const missing = window === undefined ? 0 : u.used - window.used(now)
        if (missing > 0) window!.spend(missing, now)
      }
    }
    const fillUnsafe = (kind: UnitKind, now: number) => {
      const shortest = (kind === "weight" ? weight : orders).reduce<SlidingWindow | undefined>(
        (a, w) => (a === undefined || w.limit.windowMs < a.limit.windowMs ? w : a),
        undefined
      )
      if (shortest !== undefined) shortest.spend(shortest.limit.limit - shortest.used(now), now)
    }
    const pauseUnsafe = (ms: number, now: number) => {
      const until = now + Math.max(0, ms)
      if (until <= pausedUntil) return false
      pausedUntil = until
      return true
    }

    return {
      ready,
      take,
      settle: (w, o = 0) => Effect.clockWith((clock) => Effect.sync(() => settleUnsafe(w, o, clock.currentTimeMillisUnsafe()))),
      configure: (limits) => Effect.sync(() => configureUnsafe(limits)),
      observe: (usage) => Effect.clockWith((clock) => Effect.sync(() => observeUnsafe(usage, clock.currentTimeMillisUnsafe()))),
      pause: (ms) => Effect.clockWith((clock) => Effect.sync(() => void pauseUnsafe(ms, clock.currentTimeMillisUnsafe()))),
      limits: Effect.sync(() => ({ weight: weight.map((w) => w.limit), orders: orders.map((w) => w.limit) })),
      fitsUnsafe: (w, o, now) => lineOf(o).waiting === 0 && waitMs(w, o, now) <= 0,
      tryTakeUnsafe: (w, o, now) => tryTake(w, o, now) <= 0,
      settleUnsafe,
      releaseUnsafe,
      configureUnsafe,
      observeUnsafe,
      fillUnsafe,
      pauseUnsafe,
      pausedUntilUnsafe: () => pausedUntil
    } satisfies RateBudget
  })
