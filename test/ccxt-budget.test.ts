/**
 * The live venue's request budget, on the TestClock: bursts beyond the advertised
 * limits queue (in order) instead of being sent, a request counts from when it
 * leaves until one window after its answer, the exchange's usage headers and
 * `Retry-After` hold it back, and Binance's `rateLimits` and usage headers are read
 * correctly.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"
import { limitsFromBinance, usageFromHeaders } from "../src/layers/live/exchanges/binance/Limits.ts"
import { makeRateBudget, type RateBudget, SlidingWindow } from "../src/layers/live/budget.ts"

/**
 * Forks `n` requests of `weight` (and `orders`) that are answered at once, recording
 * the virtual time each one is let through.
 */
const burst = (budget: RateBudget, n: number, weight: number, orders = 0) =>
  Effect.gen(function*() {
    const passed: Array<number> = []
    const fibers = []
    for (let i = 0; i < n; i++) {
      const now = Effect.clockWith((c) => c.currentTimeMillis)
      fibers.push(yield* Effect.forkChild(budget.take(weight, orders).pipe(
        Effect.andThen(now),
        Effect.map((t) => void passed.push(t)),
        Effect.andThen(budget.settle(weight, orders))
      )))
    }
    yield* Effect.yieldNow
    return { passed, fibers }
  })

/** One request answered at once. */
const request = (budget: RateBudget, weight: number, orders = 0) => Effect.andThen(budget.take(weight, orders), budget.settle(weight, orders))

describe("RateBudget", () => {
  it("a window holding thousands of spends still slides exactly: nothing over the limit within any window", () => {
    // Synchronous steps at chosen times: 5,000 requests of weight 1, three tries per ms, against 1,200 per 1,000 ms.
    const window = new SlidingWindow({ limit: 1200, windowMs: 1000 })
    const take = (now: number) => {
      const wait = window.waitFor(1, now)
      if (wait === 0) window.spend(1, now)
      return wait
    }
    const sent: Array<number> = []
    for (let now = 0; sent.length < 5000; now++) {
      for (let k = 0; k < 3; k++) if (take(now) === 0) sent.push(now)
    }
    // The first 1,200 go at once (three per ms); then the window lets one through per freed slot.
    assert.strictEqual(sent.filter((t) => t < 400).length, 1200)
    let lo = 0
    for (let hi = 0; hi < sent.length; hi++) {
      while (sent[hi]! - sent[lo]! >= 1000) lo++
      assert.isAtMost(hi - lo + 1, 1200, `more than 1,200 within 1 s ending at ${sent[hi]} ms`)
    }
    // When it must wait, it says how long: the oldest spend in the window ages out.
    const last = sent[sent.length - 1]!
    const full = new SlidingWindow({ limit: 2, windowMs: 1000 })
    for (const t of [last, last + 10]) {
      assert.strictEqual(full.waitFor(1, t), 0)
      full.spend(1, t)
    }
    assert.strictEqual(full.waitFor(1, last + 20), 980)
  })

  it.effect("tryTakeUnsafe holds only what fits, and a refused try leaves the budget as it was", () =>
    Effect.gen(function*() {
      const budget = yield* makeRateBudget({ weight: { limit: 10, windowMs: 60_000 }, orders: { limit: 2, windowMs: 10_000 } })
      assert.isTrue(budget.tryTakeUnsafe(6, 1, 0))
      assert.isFalse(budget.tryTakeUnsafe(6, 0, 0), "6 more weight would be 12 of 10")
      assert.isTrue(budget.tryTakeUnsafe(4, 1, 0), "the refused try spent nothing: 4 still fit")
      assert.isFalse(budget.tryTakeUnsafe(0, 1, 0), "both order slots are held")
      budget.releaseUnsafe(4, 1)
      assert.isTrue(budget.tryTakeUnsafe(0, 1, 0), "a request that never left gives its slot back")
      budget.settleUnsafe(6, 1, 0)
      budget.settleUnsafe(0, 1, 0)
      // A Retry-After pause refuses everything until it ends.
      assert.isTrue(budget.pauseUnsafe(5_000, 59_000))
      assert.isFalse(budget.pauseUnsafe(1_000, 59_000), "a shorter pause does not shorten the one in force")
      assert.isFalse(budget.tryTakeUnsafe(1, 0, 60_001))
      assert.isTrue(budget.tryTakeUnsafe(1, 0, 64_000))
    }))

  it.effect("a request counts from when it leaves until one window after its answer, however late that comes", () =>
    Effect.gen(function*() {
      const budget = yield* makeRateBudget({ weight: { limit: 100, windowMs: 60_000 }, orders: { limit: 1, windowMs: 1_000 } })
      yield* budget.take(1, 1)
      // The answer takes 5 s (a slow exchange, a loaded process): the exchange may have
      // counted the order at any moment of those 5 s, so its slot stays taken.
      const { passed, fibers } = yield* burst(budget, 1, 1, 1)
      yield* TestClock.adjust("5 seconds")
      assert.deepStrictEqual(passed, [], "let through while the first order was in flight")
      yield* budget.settle(1, 1)
      yield* TestClock.adjust("999 millis")
      assert.deepStrictEqual(passed, [], "let through within a window of the first order's answer")
      yield* TestClock.adjust("1 milli")
      yield* Effect.forEach(fibers, Fiber.join)
      assert.deepStrictEqual(passed, [6_000])
    }))

  it.effect("a request given up without an answer counts from the hold after it was given up", () =>
    Effect.gen(function*() {
      const budget = yield* makeRateBudget({ orders: { limit: 1, windowMs: 1_000 } })
      assert.isTrue(budget.tryTakeUnsafe(1, 1, 0))
      budget.settleUnsafe(1, 1, 10_000) // timed out at 0; it may still arrive within 10 s
      budget.settleUnsafe(0, 0, 500) // later answers are booked in time order all the same
      assert.isFalse(budget.tryTakeUnsafe(1, 1, 10_999))
      assert.isTrue(budget.tryTakeUnsafe(1, 1, 11_000))
    }))

  it.effect("a burst within the limit passes at once; the rest waits for the window to slide", () =>
    Effect.gen(function*() {
      const budget = yield* makeRateBudget({ weight: { limit: 10, windowMs: 60_000 } })
      const { passed, fibers } = yield* burst(budget, 7, 2)
      assert.deepStrictEqual(passed, [0, 0, 0, 0, 0])
      yield* TestClock.adjust("59 seconds")
      assert.strictEqual(passed.length, 5)
      yield* TestClock.adjust("2 seconds")
      yield* Effect.forEach(fibers, Fiber.join)
      assert.deepStrictEqual(passed.slice(5), [60_000, 60_000])
    }))

  it.effect("orders have their own windows, each enforced; reads are not held by them", () =>
    Effect.gen(function*() {
      const budget = yield* makeRateBudget({
        weight: { limit: 1000, windowMs: 60_000 },
        orders: [{ limit: 2, windowMs: 10_000 }, { limit: 3, windowMs: 86_400_000 }]
      })
      const { passed, fibers } = yield* burst(budget, 4, 1, 1)
      assert.strictEqual(passed.length, 2)
      yield* request(budget, 5)
      yield* TestClock.adjust("10 seconds")
      assert.strictEqual(passed.length, 3, "the 10 s window slid; the day allows 3")
      yield* TestClock.adjust("1 hour")
      assert.strictEqual(passed.length, 3, "the fourth order waits for the day window")
      yield* TestClock.adjust("1 day")
      yield* Effect.forEach(fibers, Fiber.join)
      assert.strictEqual(passed.length, 4)
    }))

  it.effect("the exchange's count of each window is never planned past; Retry-After pauses everything", () =>
    Effect.gen(function*() {
      const budget = yield* makeRateBudget({ weight: { limit: 10, windowMs: 60_000 }, orders: [{ limit: 5, windowMs: 86_400_000 }] })
      yield* request(budget, 2)
      // Someone else on this IP used 7 more weight, on this account 5 orders today; a
      // window the budget does not enforce is ignored.
      yield* budget.observe([
        { kind: "weight", windowMs: 60_000, used: 9 },
        { kind: "orders", windowMs: 86_400_000, used: 5 },
        { kind: "orders", windowMs: 10_000, used: 1_000 }
      ])
      const { passed, fibers } = yield* burst(budget, 1, 2)
      const order = yield* burst(budget, 1, 1, 1)
      assert.strictEqual(passed.length, 0)
      yield* TestClock.adjust("61 seconds")
      yield* Effect.forEach(fibers, Fiber.join)
      assert.strictEqual(passed.length, 1)
      assert.strictEqual(order.passed.length, 0, "the day's orders are used up")
      yield* Fiber.interrupt(order.fibers[0]!)

      yield* budget.pause(5_000)
      const later = yield* burst(budget, 1, 1)
      yield* TestClock.adjust("4 seconds")
      assert.strictEqual(later.passed.length, 0)
      yield* TestClock.adjust("2 seconds")
      yield* Effect.forEach(later.fibers, Fiber.join)
      assert.strictEqual(later.passed.length, 1)
    }))

  it.effect("a refusal without Retry-After fills the shortest window of its kind", () =>
    Effect.gen(function*() {
      const budget = yield* makeRateBudget({ weight: { limit: 100, windowMs: 60_000 }, orders: [{ limit: 5, windowMs: 10_000 }, { limit: 50, windowMs: 86_400_000 }] })
      budget.fillUnsafe("orders", 1_000)
      assert.isTrue(budget.fitsUnsafe(1, 0, 1_000), "reads still go")
      assert.isFalse(budget.fitsUnsafe(1, 1, 10_999))
      assert.isTrue(budget.fitsUnsafe(1, 1, 11_000), "the day window was not filled")
      budget.fillUnsafe("weight", 20_000)
      assert.isFalse(budget.fitsUnsafe(1, 0, 79_999))
      assert.isTrue(budget.fitsUnsafe(1, 0, 80_000))
    }))

  it.effect("configure replaces the limits, keeping what was spent; a request heavier than the limit still goes, alone", () =>
    Effect.gen(function*() {
      const budget = yield* makeRateBudget({ weight: { limit: 1_000, windowMs: 60_000 } })
      yield* request(budget, 3)
      yield* budget.configure({ weight: { limit: 5, windowMs: 60_000 }, orders: { limit: 1, windowMs: 1_000 } })
      assert.deepStrictEqual(yield* budget.limits, { weight: [{ limit: 5, windowMs: 60_000 }], orders: [{ limit: 1, windowMs: 1_000 }] })
      const { passed, fibers } = yield* burst(budget, 2, 2)
      assert.strictEqual(passed.length, 1, "3 spent before the change still count")
      yield* TestClock.adjust("61 seconds")
      yield* Effect.forEach(fibers, Fiber.join)
      yield* TestClock.adjust("60 seconds")
      yield* request(budget, 50)
      const after = yield* burst(budget, 1, 1)
      assert.strictEqual(after.passed.length, 0)
      yield* TestClock.adjust("61 seconds")
      yield* Effect.forEach(after.fibers, Fiber.join)
      assert.strictEqual(after.passed.length, 1)
    }))

  it.effect("takers of one line go first come, first served: one already waiting is not overtaken", () =>
    Effect.gen(function*() {
      const budget = yield* makeRateBudget({ weight: { limit: 10, windowMs: 1_000 } })
      yield* request(budget, 10)
      const heavy = yield* burst(budget, 1, 8)
      // 1 weight would fit the moment a single unit frees, but the heavier request came first.
      assert.isFalse(budget.fitsUnsafe(1, 0, 999))
      assert.isFalse(budget.fitsUnsafe(1, 0, 1_000), "fits, but one waits for its turn before it")
      yield* TestClock.adjust("1 second")
      yield* Effect.forEach(heavy.fibers, Fiber.join)
      assert.deepStrictEqual(heavy.passed, [1_000])
    }))
})

describe("Binance's limits and usage", () => {
  it("reads every REQUEST_WEIGHT and ORDERS window of exchangeInfo's rateLimits", () => {
    const limits = limitsFromBinance([
      { rateLimitType: "REQUEST_WEIGHT", interval: "MINUTE", intervalNum: 1, limit: 1200 },
      { rateLimitType: "ORDERS", interval: "DAY", intervalNum: 1, limit: 200000 },
      { rateLimitType: "ORDERS", interval: "SECOND", intervalNum: 10, limit: 100 },
      { rateLimitType: "RAW_REQUESTS", interval: "MINUTE", intervalNum: 5, limit: 6100 }
    ])
    assert.deepStrictEqual(limits, {
      weight: [{ limit: 1200, windowMs: 60_000 }],
      orders: [{ limit: 200000, windowMs: 86_400_000 }, { limit: 100, windowMs: 10_000 }]
    })
    assert.deepStrictEqual(limitsFromBinance(undefined), {})
    assert.deepStrictEqual(limitsFromBinance([{ rateLimitType: "ORDERS", interval: "FORTNIGHT", limit: 1 }]), {})
  })

  it("reads the usage headers of every window, in any case (ccxt capitalizes them)", () => {
    assert.deepStrictEqual(
      usageFromHeaders({
        "X-Mbx-Used-Weight": "40",
        "X-Mbx-Used-Weight-1m": "40",
        "x-mbx-order-count-10s": "3",
        "X-MBX-ORDER-COUNT-1D": "17",
        "X-Mbx-Order-Count-1d": "not a number",
        "Retry-After": "7"
      }),
      [
        { kind: "weight", windowMs: 60_000, used: 40 },
        { kind: "orders", windowMs: 10_000, used: 3 },
        { kind: "orders", windowMs: 86_400_000, used: 17 }
      ]
    )
    assert.deepStrictEqual(usageFromHeaders(undefined), [])
  })
})
