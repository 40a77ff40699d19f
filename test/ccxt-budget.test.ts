/**
 * The live venue's request budget, on the TestClock: bursts beyond the advertised
 * limits queue (in order) instead of being sent, the exchange's usage headers and
 * `Retry-After` hold it back, and Binance's `rateLimits` are read correctly.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"
import { limitsFromBinance, makeRateBudget, SlidingWindow } from "../src/layers/live/budget.ts"

/** Forks `n` takes of `weight` (and `orders`), recording the virtual time each one is let through. */
const burst = (take: (w: number, o?: number) => Effect.Effect<void>, n: number, weight: number, orders = 0) =>
  Effect.gen(function*() {
    const passed: Array<number> = []
    const fibers = []
    for (let i = 0; i < n; i++) {
      fibers.push(
        yield* Effect.forkChild(
          Effect.andThen(take(weight, orders), Effect.map(Effect.clockWith((c) => c.currentTimeMillis), (t) => void passed.push(t)))
        )
      )
    }
    yield* Effect.yieldNow
    return { passed, fibers }
  })

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

  it.effect("tryTakeUnsafe spends only what fits, and a refused try leaves the budget as it was", () =>
    Effect.gen(function*() {
      const budget = yield* makeRateBudget({ weight: { limit: 10, windowMs: 60_000 }, orders: { limit: 2, windowMs: 10_000 } })
      assert.isTrue(budget.tryTakeUnsafe(6, 1, 0))
      assert.isFalse(budget.tryTakeUnsafe(6, 0, 0), "6 more weight would be 12 of 10")
      assert.isTrue(budget.tryTakeUnsafe(4, 1, 0), "the refused try spent nothing: 4 still fit")
      assert.isFalse(budget.tryTakeUnsafe(0, 1, 0), "both order slots are spent")
      // A Retry-After pause refuses everything until it ends.
      budget.pauseUnsafe(5_000, 59_000)
      assert.isFalse(budget.tryTakeUnsafe(1, 0, 60_001))
      assert.isTrue(budget.tryTakeUnsafe(1, 0, 64_000))
    }))

  it.effect("a burst within the limit passes at once; the rest waits for the window to slide", () =>
    Effect.gen(function*() {
      const budget = yield* makeRateBudget({ weight: { limit: 10, windowMs: 60_000 } })
      const { passed, fibers } = yield* burst(budget.take, 7, 2)
      assert.deepStrictEqual(passed, [0, 0, 0, 0, 0])
      yield* TestClock.adjust("59 seconds")
      assert.strictEqual(passed.length, 5)
      yield* TestClock.adjust("2 seconds")
      yield* Effect.forEach(fibers, Fiber.join)
      assert.strictEqual(passed.length, 7)
      assert.isTrue(passed.slice(5).every((t) => t >= 60_000 && t <= 61_000))
    }))

  it.effect("orders have their own window", () =>
    Effect.gen(function*() {
      const budget = yield* makeRateBudget({ weight: { limit: 1000, windowMs: 60_000 }, orders: { limit: 2, windowMs: 10_000 } })
      const { passed, fibers } = yield* burst(budget.take, 3, 1, 1)
      assert.strictEqual(passed.length, 2)
      // Reads are not held by the order window.
      yield* budget.take(5)
      yield* TestClock.adjust("10 seconds")
      yield* Effect.forEach(fibers, Fiber.join)
      assert.strictEqual(passed.length, 3)
    }))

  it.effect("usage the exchange reports beyond ours is booked; Retry-After pauses everything", () =>
    Effect.gen(function*() {
      const budget = yield* makeRateBudget({ weight: { limit: 10, windowMs: 60_000 } })
      yield* budget.take(2)
      yield* budget.observe({ weight: 9 }) // someone else on this key used 7 more
      const { passed, fibers } = yield* burst(budget.take, 1, 2)
      assert.strictEqual(passed.length, 0)
      yield* TestClock.adjust("61 seconds")
      yield* Effect.forEach(fibers, Fiber.join)
      assert.strictEqual(passed.length, 1)

      yield* budget.pause(5_000)
      const later = yield* burst(budget.take, 1, 1)
      yield* TestClock.adjust("4 seconds")
      assert.strictEqual(later.passed.length, 0)
      yield* TestClock.adjust("2 seconds")
      yield* Effect.forEach(later.fibers, Fiber.join)
      assert.strictEqual(later.passed.length, 1)
    }))

  it.effect("configure replaces the limits; a request heavier than the limit still goes, alone", () =>
    Effect.gen(function*() {
      const budget = yield* makeRateBudget({})
      yield* budget.take(1_000_000) // no limits: nothing waits
      yield* budget.configure({ weight: { limit: 5, windowMs: 1_000 } })
      assert.deepStrictEqual(yield* budget.limits, { weight: { limit: 5, windowMs: 1_000 }, orders: undefined })
      yield* budget.take(50)
      const { passed, fibers } = yield* burst(budget.take, 1, 1)
      assert.strictEqual(passed.length, 0)
      yield* TestClock.adjust("2 seconds")
      yield* Effect.forEach(fibers, Fiber.join)
      assert.strictEqual(passed.length, 1)
    }))
})

describe("limitsFromBinance", () => {
  it("reads REQUEST_WEIGHT per minute and the shortest ORDERS window", () => {
    const limits = limitsFromBinance([
      { rateLimitType: "REQUEST_WEIGHT", interval: "MINUTE", intervalNum: 1, limit: 1200 },
      { rateLimitType: "ORDERS", interval: "DAY", intervalNum: 1, limit: 200000 },
      { rateLimitType: "ORDERS", interval: "SECOND", intervalNum: 10, limit: 100 },
      { rateLimitType: "RAW_REQUESTS", interval: "MINUTE", intervalNum: 5, limit: 6100 }
    ])
    assert.deepStrictEqual(limits, { weight: { limit: 1200, windowMs: 60_000 }, orders: { limit: 100, windowMs: 10_000 } })
    assert.deepStrictEqual(limitsFromBinance(undefined), {})
    assert.deepStrictEqual(limitsFromBinance([{ rateLimitType: "ORDERS", interval: "FORTNIGHT", limit: 1 }]), {})
  })
})
