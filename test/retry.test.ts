import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Ref } from "effect"
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
