/**
 * Inputs no caller may get past the boundary (issue 19, defects 1, 5, 6 and 7), as a
 * JavaScript caller or a JSON config would give them: each is a `ValidationError`
 * naming the field, what was given and what is accepted, on the dry run and on the
 * live layer alike, with no request to the exchange and nothing journaled.
 */
import { assert, describe, it } from "@effect/vitest"
import { BigDecimal, Effect, Exit, Layer, Option } from "effect"
import { orderParams } from "../src/layers/live/exchanges/binance/Rest.ts"
import { ocoParams } from "../src/layers/live/exchanges/binance/RestLists.ts"
import { DryRunExchangeLayer } from "../src/layers/dryrun/DryRun.ts"
import * as D from "../src/services/Decimal.ts"
import { Exchange, type ExchangeService } from "../src/services/Exchange.ts"
import { bothLayers, runOn } from "./support/both-layers.ts"

/** A call as an untyped caller makes it. */
type Call = (ex: ExchangeService) => Effect.Effect<unknown, unknown>
const untyped = (f: (ex: Record<string, (...args: ReadonlyArray<unknown>) => Effect.Effect<unknown, unknown>>) => Effect.Effect<unknown, unknown>): Call =>
  (ex) => f(ex as unknown as Record<string, (...args: ReadonlyArray<unknown>) => Effect.Effect<unknown, unknown>>)

const limit = { type: "limit", price: 0.09, quantity: 100 }
const bareAmount = Object.create(null) as unknown

type Case = readonly [string, string, Call]

/** Defect 1: a side other than exactly "buy" or "sell" (before: sent as SELL live, recorded as given in the dry run). */
const badSides: ReadonlyArray<Case> = [
  ...["BUY", "Buy", "sideways", undefined, null, 1].map((side) =>
    [`placeOrder with side ${String(side)}`, "side", untyped((ex) => ex.placeOrder!({ ...limit, side }))] as const
  ),
  ["createStopLoss with side BUY", "side", untyped((ex) => ex.createStopLoss!(0.09, 100, "BUY"))],
  ["createOco with side Sell", "side", untyped((ex) => ex.createOco!({ side: "Sell", quantity: 100, price: 0.12, triggerPrice: 0.08 }))]
]

/** Defect 5: amounts whose scale would hang or throw. */
const amounts: ReadonlyArray<Case> = [
  ["a BigDecimal of scale 1e9", "quantity", untyped((ex) => ex.createLimitBuy!(0.09, BigDecimal.make(1n, 1e9)))],
  ["a BigDecimal of scale 2^40", "price", untyped((ex) => ex.createLimitBuy!(BigDecimal.make(1n, 2 ** 40), 100))],
  ["a BigDecimal of scale -2^40", "quantity", untyped((ex) => ex.createLimitBuy!(0.09, BigDecimal.make(1n, -(2 ** 40))))],
  ["a BigDecimal of 2000 digits", "quantity", untyped((ex) => ex.createLimitBuy!(0.09, BigDecimal.make(10n ** 2000n + 1n, 1990)))],
  ["a decimal text of 10,000 digits", "quantity", untyped((ex) => ex.createLimitBuy!(0.09, "1".repeat(10_000)))],
  ["an exponent beyond the bounds", "price", untyped((ex) => ex.createLimitBuy!("1e-9999", 100))]
]

/** Defect 6: shapes that died. */
const shapes: ReadonlyArray<Case> = [
  ["placeOrder(null)", "request", untyped((ex) => ex.placeOrder!(null))],
  ["placeOrder({})", "side", untyped((ex) => ex.placeOrder!({}))],
  ["placeOrder without a type", "type", untyped((ex) => ex.placeOrder!({ side: "buy", price: 0.09, quantity: 100 }))],
  ["an Object.create(null) amount", "quantity", untyped((ex) => ex.placeOrder!({ ...limit, side: "buy", quantity: bareAmount }))],
  ["a bigint amount", "price", untyped((ex) => ex.createLimitBuy!(9n, 100))],
  ["a non-string order id", "orderId", untyped((ex) => ex.fetchOrder!(12345))],
  ["a missing order id", "orderId", untyped((ex) => ex.cancelOrder!(undefined))],
  ["a non-string asset", "baseAsset", untyped((ex) => ex.getBaseAssetBalance!(5))],
  ["createOco(null)", "request", untyped((ex) => ex.createOco!(null))]
]

/** Defect 7: ids that cannot be ids, windows that cannot be windows (before: signed requests). */
const idsAndWindows: ReadonlyArray<Case> = [
  ...["", "x".repeat(10_000), "-1", "9223372036854775808", "18446744073709551616", "12 34", "1e5"].flatMap((id) => [
    [`fetchOrder(${JSON.stringify(id.slice(0, 20))})`, "orderId", untyped((ex) => ex.fetchOrder!(id))] as const,
    [`cancelOrder(${JSON.stringify(id.slice(0, 20))})`, "orderId", untyped((ex) => ex.cancelOrder!(id))] as const,
    [`cancelOco(${JSON.stringify(id.slice(0, 20))})`, "listId", untyped((ex) => ex.cancelOco!(id))] as const
  ]),
  ["fetchAllOrders with start after end", "endTime", untyped((ex) => ex.fetchAllOrders!(2_000_000, 1_000_000))],
  ["fetchTrades with start after end", "endTime", untyped((ex) => ex.fetchTrades!(2_000_000, 1_000_000))],
  ["fetchAllOrders past the largest date", "endTime", untyped((ex) => ex.fetchAllOrders!(0, 8.64e15 + 1))],
  ["fetchTrades past the largest date", "startTime", untyped((ex) => ex.fetchTrades!(Number.MAX_VALUE))],
  ["fetchTrades with a fractional time", "startTime", untyped((ex) => ex.fetchTrades!(1.5))],
  ["fetchAllOrders with a text time", "startTime", untyped((ex) => ex.fetchAllOrders!("100"))],
  ["fetchTrades with NaN", "endTime", untyped((ex) => ex.fetchTrades!(0, Number.NaN))]
]

/** Runs each case on both layers: a `ValidationError` naming its field, fast, with nothing sent or journaled. */
const refusesEach = (cases: ReadonlyArray<Case>) =>
  Effect.gen(function*() {
    const { sides } = yield* bothLayers
    for (const [name, field, call] of cases) {
      for (const side of sides) {
        const started = Date.now()
        const run = yield* runOn(side, Exchange.use((ex) => call(ex) as Effect.Effect<unknown, never>))
        const where = `${name} on the ${side.name}: ${run.verdict}`
        assert.match(run.verdict, new RegExp(`^ValidationError (InvalidArgument|NotFinite) ${field}$`), where)
        assert.strictEqual(run.requests, 0, `${where}: requests sent`)
        assert.strictEqual(run.journaled, 0, `${where}: journaled`)
        assert.isBelow(Date.now() - started, 1_000, `${where}: slow`)
        if (Exit.isFailure(run.exit)) {
          const e = Option.getOrThrow(Exit.findErrorOption(run.exit))
          assert.include(e.message, field, where)
          assert.include(e.message, "accepted", where)
          assert.isBelow(e.message.length, 600, `${where}: the message echoes the whole value`)
        }
      }
    }
  })

describe("inputs refused at the boundary, the same on the dry run and live", () => {
  it.live("a side other than exactly buy or sell", () => refusesEach(badSides), 30_000)
  it.live("amounts of extreme scale or length fail fast", () => refusesEach(amounts), 30_000)
  it.live("null, empty, untyped and prototype-less inputs fail typed instead of dying", () => refusesEach(shapes), 30_000)
  it.live("ids that cannot be the venue's and windows that cannot be windows are never sent", () => refusesEach(idsAndWindows), 30_000)

  it.live("well-formed ids and windows go through: an unknown numeric id is OrderNotFound on both", () =>
    Effect.gen(function*() {
      const { sides } = yield* bothLayers
      for (const side of sides) {
        const fetched = yield* runOn(side, Exchange.use((ex) => ex.fetchOrder("9223372036854775807")))
        assert.strictEqual(fetched.verdict, "ExchangeError OrderNotFound", side.name)
        const window = yield* runOn(side, Exchange.use((ex) => ex.fetchAllOrders(1_000_000, 1_000_000)))
        assert.strictEqual(window.verdict, "ok", side.name)
        const exact = yield* runOn(side, Exchange.use((ex) => ex.placeOrder({ side: "buy", type: "limit", price: BigDecimal.make(9n, 2), quantity: "100.000" })))
        assert.strictEqual(exact.verdict, "ok", side.name)
      }
    }), 30_000)

  it.effect("a layer's counts that are not whole positive numbers fail typed at build", () =>
    Effect.gen(function*() {
      for (const options of [{ cancelConcurrency: 0 }, { cancelConcurrency: Number.NaN }, { cancelConcurrency: "10" }, { events: { subscriberBuffer: -1 } }]) {
        const error = yield* Effect.flip(Layer.build(DryRunExchangeLayer(options as never)).pipe(Effect.scoped))
        assert.strictEqual(error._tag, "ValidationError", JSON.stringify(options))
        assert.match(error._tag === "ValidationError" ? error.field : "", /cancelConcurrency|subscriberBuffer/)
      }
    }))

  it.effect("a layer's symbol that is not a market symbol fails typed at build", () =>
    Effect.gen(function*() {
      for (const symbol of [5, "", "HBARUSDT", "x".repeat(10_000)]) {
        const error = yield* Effect.flip(Layer.build(DryRunExchangeLayer({ symbol: symbol as string })).pipe(Effect.scoped))
        assert.strictEqual(error._tag, "ValidationError")
        assert.strictEqual(error._tag === "ValidationError" && error.field, "symbol")
      }
    }))
})

describe("the Binance adapter maps a side exhaustively", () => {
  const order = {
    clientOrderId: "oo_x",
    symbol: "HBAR/USDT",
    type: "limit" as const,
    price: Option.some(D.unsafe("0.05")),
    triggerPrice: Option.none(),
    quantity: D.unsafe("100")
  }
  const oco = {
    symbol: "HBAR/USDT",
    quantity: D.unsafe("100"),
    price: D.unsafe("0.12"),
    triggerPrice: D.unsafe("0.08"),
    stopLimitPrice: Option.none(),
    listClientOrderId: "oo_l",
    limitClientOrderId: "oo_l_l",
    stopClientOrderId: "oo_l_s"
  }

  it("buy is BUY, sell is SELL, and anything else is never a SELL", () => {
    assert.strictEqual(orderParams({ ...order, side: "buy" }, "HBARUSDT").side, "BUY")
    assert.strictEqual(orderParams({ ...order, side: "sell" }, "HBARUSDT").side, "SELL")
    assert.strictEqual(ocoParams({ ...oco, side: "sell" }, "HBARUSDT").side, "SELL")
    for (const side of ["BUY", "Buy", "", undefined]) {
      assert.throws(() => orderParams({ ...order, side: side as never }, "HBARUSDT"), /not an order side/)
      assert.throws(() => ocoParams({ ...oco, side: side as never }, "HBARUSDT"), /not an order side/)
    }
  })
})
