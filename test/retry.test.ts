import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Logger, Ref, Result } from "effect"
import { TestClock } from "effect/testing"
import { AuthenticationError, ExchangeError, type ExchangeFailure, makeRetryPolicy, NetworkError } from "../src/index.ts"
import { withRetry } from "../src/services/Retry.ts"

const ctx = { operation: "fetchOpenOrders", symbol: "HBAR/USDT" }
const network = new NetworkError({ ...ctx, reason: "Timeout", detail: "timed out" })

/** An effect that fails with the given errors in turn, then succeeds; counts attempts. */
const flaky = (errors: ReadonlyArray<ExchangeFailure>, attempts: Ref.Ref<number>) =>
  Effect.flatMap(Ref.getAndUpdate(attempts, (n) => n + 1), (n) => n < errors.length ? Effect.fail(errors[n]!) : Effect.succeed("ok"))

describe("retry policy", () => {
  it.effect("retries network failures with backoff and succeeds", () =>
    Effect.gen(function*() {
      const attempts = yield* Ref.make(0)
      const fiber = yield* Effect.forkChild(withRetry(flaky([network, network], attempts), makeRetryPolicy({ base: "100 millis" })))
      yield* TestClock.adjust("1 second")
      assert.strictEqual(yield* Fiber.join(fiber), "ok")
      assert.strictEqual(yield* Ref.get(attempts), 3)
    }))

  it.effect("gives up after the configured number of retries", () =>
    Effect.gen(function*() {
      const attempts = yield* Ref.make(0)
      const fiber = yield* Effect.forkChild(Effect.flip(withRetry(flaky(Array(10).fill(network), attempts), makeRetryPolicy({ times: 3 }))))
      yield* TestClock.adjust("1 minute")
      assert.strictEqual((yield* Fiber.join(fiber))._tag, "NetworkError")
      assert.strictEqual(yield* Ref.get(attempts), 4)
    }))

  it.effect("waits at least the exchange's Retry-After before the next attempt", () =>
    Effect.gen(function*() {
      const attempts = yield* Ref.make(0)
      const limited = new ExchangeError({ ...ctx, reason: "RateLimited", detail: "429", retryAfterMs: 30_000 })
      const fiber = yield* Effect.forkChild(withRetry(flaky([limited], attempts), makeRetryPolicy({ base: "100 millis" })))
      yield* TestClock.adjust("29 seconds")
      assert.strictEqual(yield* Ref.get(attempts), 1)
      yield* TestClock.adjust("2 seconds")
      assert.strictEqual(yield* Fiber.join(fiber), "ok")
      assert.strictEqual(yield* Ref.get(attempts), 2)
    }))

  it.effect("never retries authentication, validation or order rejections, nor a ban longer than the limit", () =>
    Effect.gen(function*() {
      const policy = makeRetryPolicy({ maxRetryAfter: "1 minute" })
      for (const e of [
        new AuthenticationError({ ...ctx, reason: "InvalidCredentials", detail: "-2015" }),
        new ExchangeError({ ...ctx, reason: "InsufficientFunds", detail: "-2010" }),
        new ExchangeError({ ...ctx, reason: "TemporaryBan", detail: "418", retryAfterMs: 600_000 })
      ]) {
        const attempts = yield* Ref.make(0)
        const got = yield* Effect.flip(withRetry(flaky([e], attempts), policy))
        assert.strictEqual(got, e)
        assert.strictEqual(yield* Ref.get(attempts), 1)
      }
    }))
})

/** Each log line `effect` writes, as `LEVEL message`. */
const logged = <A, E>(effect: Effect.Effect<A, E>) =>
  Effect.gen(function*() {
    const lines: Array<string> = []
    const logger = Logger.make(({ logLevel, message }) => {
      lines.push(`${logLevel.toUpperCase()} ${(Array.isArray(message) ? message : [message]).join(" ")}`)
    })
    const result = yield* Effect.result(effect.pipe(Effect.provide(Logger.layer([logger]))))
    return { result, lines }
  })

describe("what a retry says", () => {
  const unavailable = new ExchangeError({
    operation: "createOrder",
    symbol: "HBAR/USDT",
    reason: "ExchangeUnavailable",
    detail: "-1008",
    request: "POST /api/v3/order",
    httpStatus: 503
  })

  it.effect("each retry is one WARN line with the failure, the request, which retry of how many, and the wait; nothing at ERROR", () =>
    Effect.gen(function*() {
      const attempts = yield* Ref.make(0)
      const run = yield* Effect.forkChild(logged(withRetry(flaky([unavailable, network], attempts), makeRetryPolicy({ times: 5 }))))
      yield* TestClock.adjust("1 minute")
      const { lines, result } = yield* Fiber.join(run)
      assert.isTrue(Result.isSuccess(result))
      assert.strictEqual(lines.length, 2, lines.join("\n"))
      assert.match(lines[0]!, /^WARN 503 on POST \/api\/v3\/order; retry 1 of 5 in \d+ ms$/)
      assert.match(lines[1]!, /^WARN Timeout on fetchOpenOrders HBAR\/USDT; retry 2 of 5 in \d+ ms$/)
    }))

  it.effect("the wait it states is the wait: a Retry-After of 30 s is said as 30000 ms, and the next try comes then", () =>
    Effect.gen(function*() {
      const attempts = yield* Ref.make(0)
      const limited = new ExchangeError({ ...ctx, reason: "RateLimited", detail: "429", retryAfterMs: 30_000, request: "GET /api/v3/openOrders", httpStatus: 429 })
      const run = yield* Effect.forkChild(logged(withRetry(flaky([limited], attempts), makeRetryPolicy({ base: "100 millis" }))))
      yield* TestClock.adjust("29999 millis")
      assert.strictEqual(yield* Ref.get(attempts), 1)
      yield* TestClock.adjust("1 millis")
      const { lines } = yield* Fiber.join(run)
      assert.strictEqual(yield* Ref.get(attempts), 2)
      assert.deepStrictEqual(lines, ["WARN 429 on GET /api/v3/openOrders; retry 1 of 5 in 30000 ms"])
    }))

  it.effect("a failure it gives up on is not announced as a retry: the retries are said, the last failure reaches the caller", () =>
    Effect.gen(function*() {
      const attempts = yield* Ref.make(0)
      const run = yield* Effect.forkChild(logged(withRetry(flaky(Array(10).fill(unavailable), attempts), makeRetryPolicy({ times: 3 }))))
      yield* TestClock.adjust("1 minute")
      const { lines, result } = yield* Fiber.join(run)
      assert.isTrue(Result.isFailure(result))
      assert.strictEqual(yield* Ref.get(attempts), 4)
      assert.deepStrictEqual(lines.map((l) => l.replace(/in \d+ ms$/, "in N ms")), [
        "WARN 503 on POST /api/v3/order; retry 1 of 3 in N ms",
        "WARN 503 on POST /api/v3/order; retry 2 of 3 in N ms",
        "WARN 503 on POST /api/v3/order; retry 3 of 3 in N ms"
      ])
    }))
})
