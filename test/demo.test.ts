/**
 * The grid-bot demo (src/examples/grid.ts): deterministic for a seed, trading on
 * both sides, and leaving nothing open when it ends.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { gridBot, runGridDemo } from "../src/examples/grid.ts"
import { DryRunExchangeLayer, fetchAllOrders, fetchOpenOrders, withOrderSession } from "../src/index.ts"

describe("grid demo", () => {
  it.live("the same seed gives the same run, and it ends by itself", () =>
    Effect.gen(function*() {
      const a = yield* runGridDemo({ ticks: 200, tickMillis: 0, seed: 7, quiet: true })
      const b = yield* runGridDemo({ ticks: 200, tickMillis: 0, seed: 7, quiet: true })
      assert.deepStrictEqual(a, b)
      assert.isAbove(a.fills, 0)
      assert.strictEqual(a.canceled, 10) // the grid always keeps 5 + 5 orders resting
      const c = yield* runGridDemo({ ticks: 200, tickMillis: 0, seed: 8, quiet: true })
      assert.notDeepEqual(c, a)
    }))

  it.live("every order it placed is closed or cancelled at the end, and round trips made money", () =>
    Effect.gen(function*() {
      const result = yield* gridBot({ ticks: 300, tickMillis: 0, seed: 42, quiet: true }).pipe(withOrderSession())
      assert.lengthOf(yield* fetchOpenOrders(), 0)
      const orders = yield* fetchAllOrders()
      assert.isTrue(orders.every((o) => o.status === "closed" || o.status === "canceled"))
      assert.isTrue(orders.some((o) => o.side === "buy" && o.status === "closed"))
      assert.isTrue(orders.some((o) => o.side === "sell" && o.status === "closed"))
      assert.isAbove(result.realised, 0)
    }).pipe(Effect.provide(DryRunExchangeLayer({ price: 0.1, balances: { USDT: 1000, HBAR: 5000 } }))))
})
