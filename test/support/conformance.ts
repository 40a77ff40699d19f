/**
 * The conformance suite: what every exchange layer must do, whatever is behind it.
 * `dry-run.test.ts` runs it against `DryRunExchangeLayer`; `live.test.ts` runs it
 * against `LiveExchangeLayer` over real ccxt and the loopback Binance.US server.
 *
 * The layer under test provides `Exchange` for HBAR/USDT, starting with 1000 USDT
 * and no HBAR, a `MarketControl` that moves the market price, and the `OrderJournal`
 * the exchange writes to. Each test builds the layer afresh.
 */
import { assert, describe, it } from "@effect/vitest"
import { BigDecimal, Context, Effect, Layer, Option } from "effect"
import {
  activeOrders,
  cancelAllBuyOrders,
  cancelAllSellOrders,
  cancelOrder,
  createLimitBuy,
  createLimitSell,
  createMarketSell,
  Exchange,
  type ExchangeFailure,
  fetchAllOrders,
  fetchOpenOrders,
  fetchOrder,
  fetchTrades,
  getBaseAssetBalance,
  getQuoteBalance,
  getUsdtBalance,
  OrderJournal,
  sellAllAssets,
  type ValidationRule
} from "../../src/index.ts"
import * as D from "../../src/services/Decimal.ts"
import { feesText, text } from "./amounts.ts"

import { protectiveTests } from "./conformance-protective.ts"

export class MarketControl extends Context.Service<MarketControl, {
  /** Moves the HBAR/USDT price; crossing orders fill. */
  setPrice(price: number): Effect.Effect<void>
  /**
   * Moves the price on the exchange's side only: crossing orders fill there and the
   * process is not told (live: no `sync` follows). The dry run's exchange lives in the
   * process, so there it is `setPrice`.
   */
  setPriceUnseen(price: number): Effect.Effect<void>
  /** Caps how much one fill may take (partial fills); `undefined` lifts the cap. */
  setDepth(quantity: number | undefined): Effect.Effect<void>
}>()("test/MarketControl") {}

/**
 * The fees the layer under test must charge, in the asset received: distinct rates,
 * so that a maker fill charged as a taker (or the reverse) shows.
 */
export const SUITE_FEES = { maker: 0.001, taker: 0.002 } as const

export interface SuiteOptions {
  /** Run on the real clock (layers that do real I/O). Default false: `it.effect` with TestClock. */
  readonly live?: boolean
  /** Whether the layer places OCO lists. Default true; ccxt's unified API has none. */
  readonly oco?: boolean
}

/** Runs the shared behaviour against `layer`. */
export const suite = <E>(
  name: string,
  layer: Layer.Layer<Exchange | MarketControl | OrderJournal, E>,
  options: SuiteOptions = {}
) => {
  const test = (title: string, body: () => Effect.Effect<void, ExchangeFailure | E, Exchange | MarketControl | OrderJournal>) =>
    (options.live ? it.live : it.effect)(title, () => body().pipe(Effect.provide(layer), Effect.orDie) as Effect.Effect<void>)

  const setPrice = (p: number) => MarketControl.use((m) => m.setPrice(p))
  const setDepth = (q: number | undefined) => MarketControl.use((m) => m.setDepth(q))
  /** The error `effect` fails with; a success is a defect, so the test fails. */
  const failure = <A, E2 extends ExchangeFailure, R>(effect: Effect.Effect<A, E2, R>) =>
    Effect.flip(effect).pipe(Effect.orDie, Effect.map((e) => e as Exclude<E2, { _tag: "JournalError" }>))

  describe(`${name}: Exchange conformance`, () => {
    test("a limit buy is open, listed, tracked, and locks its quote", () =>
      Effect.gen(function*() {
        yield* setPrice(0.1)
        const id = yield* createLimitBuy(0.09, 100)
        const open = yield* fetchOpenOrders()
        assert.deepStrictEqual(open.map((o) => o.id), [id])
        const o = open[0]!
        assert.strictEqual(o.symbol, "HBAR/USDT")
        assert.strictEqual(o.side, "buy")
        assert.strictEqual(o.type, "limit")
        assert.strictEqual(text(o.price), "0.09")
        assert.strictEqual(text(o.quantity), "100")
        assert.strictEqual(text(o.filled), "0")
        assert.strictEqual(text(o.cost), "0")
        assert.isTrue(Option.isNone(o.averagePrice))
        assert.isTrue(Option.isNone(o.triggerPrice))
        assert.isTrue(Option.isNone(o.listId))
        assert.deepStrictEqual(o.fees, {})
        assert.strictEqual(o.status, "open")
        assert.isTrue(o.clientOrderId.startsWith("oo_"))
        const active = yield* activeOrders
        assert.deepStrictEqual([...active.keys()], [id])
        assert.strictEqual(text(yield* getUsdtBalance()), "991")
        assert.strictEqual(text(yield* getQuoteBalance()), "991")
      }))

    test("a buy price snaps down to the tick and a quantity down to the step, without float noise", () =>
      Effect.gen(function*() {
        yield* setPrice(0.1)
        yield* createLimitBuy(0.1 + 0.2 - 0.21, 20.9) // 0.09000000000000002 → 0.09, 20.9 → 20
        yield* createLimitBuy(0.0812349, 20)
        const [a, b] = yield* fetchOpenOrders()
        assert.deepStrictEqual([text(a!.price), text(a!.quantity), text(b!.price)], ["0.09", "20", "0.08123"])
        assert.strictEqual(text(yield* getUsdtBalance()), "996.5754") // 1000 - 1.8 - 1.6246, exactly
      }))

    test("an order fills when the price crosses it; the Ref and the balances follow", () =>
      Effect.gen(function*() {
        yield* setPrice(0.1)
        const buy = yield* createLimitBuy(0.09, 100)
        const other = yield* createLimitBuy(0.05, 100)
        yield* setPrice(0.089)
        const active = yield* activeOrders
        assert.deepStrictEqual([...active.keys()], [other])
        const all = yield* fetchAllOrders()
        const filled = all.find((o) => o.id === buy)!
        assert.strictEqual(filled.status, "closed")
        assert.strictEqual(text(filled.filled), "100")
        assert.strictEqual(text(filled.cost), "9")
        assert.strictEqual(text(filled.averagePrice), "0.09")
        assert.strictEqual(text(yield* getBaseAssetBalance()), "99.9") // 100 less the maker fee
        assert.strictEqual(text(yield* getUsdtBalance()), "986") // 1000 - 9 - 5
      }))

    test("fetchOpenOrders and fetchAllOrders settle a tracked order the exchange filled: dropped from the Ref, closed in the journal", () =>
      Effect.gen(function*() {
        yield* setPrice(0.1)
        const id = yield* createLimitBuy(0.09, 100)
        const other = yield* createLimitBuy(0.05, 100)
        yield* MarketControl.use((m) => m.setPriceUnseen(0.089))
        const open = yield* fetchOpenOrders()
        assert.deepStrictEqual(open.map((o) => o.id), [other])
        assert.deepStrictEqual([...(yield* activeOrders).keys()], [other])
        const entries = yield* OrderJournal.use((j) => j.entries({ symbol: "HBAR/USDT" }))
        const entry = entries.find((e) => e.orderId === id)
        assert.strictEqual(entry?.status, "closed")
        assert.strictEqual(entry?.filled, "100")
        // fetchAllOrders settles what it shows final the same way.
        const third = yield* createLimitBuy(0.085, 100)
        yield* MarketControl.use((m) => m.setPriceUnseen(0.084))
        yield* fetchAllOrders()
        assert.deepStrictEqual([...(yield* activeOrders).keys()], [other])
        const later = yield* OrderJournal.use((j) => j.entries({ symbol: "HBAR/USDT" }))
        assert.strictEqual(later.find((e) => e.orderId === third)?.status, "closed")
      }))

    test("cancelOrder releases the funds and untracks the order; a second cancel says it is not open", () =>
      Effect.gen(function*() {
        yield* setPrice(0.1)
        const id = yield* createLimitBuy(0.09, 100)
        yield* cancelOrder(id)
        assert.strictEqual((yield* activeOrders).size, 0)
        assert.strictEqual((yield* fetchOpenOrders()).length, 0)
        assert.strictEqual(text(yield* getUsdtBalance()), "1000")
        const again = yield* failure(cancelOrder(id))
        assert.strictEqual(again._tag, "ExchangeError")
        assert.strictEqual(again._tag === "ExchangeError" && again.reason, "OrderNotOpen")
        assert.strictEqual(again.orderId, id)
      }))

    test("cancelOrder of an unknown id fails OrderNotFound", () =>
      Effect.gen(function*() {
        yield* setPrice(0.1)
        const e = yield* failure(cancelOrder("123456789"))
        assert.strictEqual(e._tag === "ExchangeError" && e.reason, "OrderNotFound")
        assert.strictEqual(e.symbol, "HBAR/USDT")
        assert.strictEqual(e.operation, "cancelOrder")
      }))

    test("cancelAllBuyOrders cancels every buy and only buys", () =>
      Effect.gen(function*() {
        yield* setPrice(0.1)
        yield* getUsdtBalance()
        const buys = yield* Effect.all([createLimitBuy(0.09, 20), createLimitBuy(0.08, 20), createLimitBuy(0.07, 20)])
        // Buy at market to hold some HBAR, then rest a sell above.
        yield* createLimitBuy(0.1, 50)
        const sell = yield* createLimitSell(0.2, 40)
        const cancelled = yield* cancelAllBuyOrders()
        assert.deepStrictEqual([...cancelled].sort(), [...buys].sort())
        assert.deepStrictEqual((yield* fetchOpenOrders()).map((o) => o.id), [sell])
        assert.deepStrictEqual([...(yield* activeOrders).keys()], [sell])
        assert.deepStrictEqual(yield* cancelAllBuyOrders(), [])
        assert.deepStrictEqual(yield* cancelAllSellOrders(), [sell])
        assert.strictEqual((yield* activeOrders).size, 0)
      }))

    test("fetchAllOrders includes market orders and honours the time window", () =>
      Effect.gen(function*() {
        yield* setPrice(0.1)
        yield* createLimitBuy(0.1, 100)
        const market = yield* createMarketSell(50)
        const all = yield* fetchAllOrders()
        const m = all.find((o) => o.id === market)!
        assert.strictEqual(m.type, "market")
        assert.strictEqual(m.side, "sell")
        assert.strictEqual(m.status, "closed")
        assert.strictEqual(text(m.filled), "50")
        assert.isTrue(Option.isNone(m.price)) // a market order has no limit price
        assert.strictEqual(text(m.averagePrice), "0.1")
        assert.strictEqual(text(m.cost), "5")
        const last = Math.max(...all.map((o) => o.timestamp))
        assert.strictEqual((yield* fetchAllOrders(last + 1)).length, 0)
        assert.strictEqual((yield* fetchAllOrders(0, last)).length, all.length)
      }))

    test("bad input fails with a ValidationError naming the rule, and nothing is sent", () =>
      Effect.gen(function*() {
        yield* setPrice(0.1)
        const cases: ReadonlyArray<readonly [ValidationRule, Effect.Effect<string, ExchangeFailure, Exchange>]> = [
          ["NotFinite", createLimitBuy(Number.NaN, 100)],
          ["NotFinite", createLimitBuy(0.1, Number.POSITIVE_INFINITY)],
          ["NotFinite", createLimitSell(Number.NEGATIVE_INFINITY, 100)],
          ["NotPositive", createLimitBuy(0, 100)],
          ["NotPositive", createLimitBuy(0.1, 0)],
          ["NotPositive", createLimitBuy(-0.1, 100)],
          ["NotPositive", createMarketSell(-5)],
          ["MinQuantity", createLimitBuy(0.1, 0.5)],
          ["MinPrice", createLimitBuy(0.000001, 100000)],
          ["MinNotional", createLimitBuy(0.005, 100)],
          ["MaxQuantity", createLimitBuy(0.00001, 9000001)]
        ]
        for (const [rule, attempt] of cases) {
          const e = yield* failure(attempt)
          assert.strictEqual(e._tag, "ValidationError", `${rule}: ${e.message}`)
          assert.strictEqual(e._tag === "ValidationError" && e.rule, rule, e.message)
        }
        assert.strictEqual((yield* fetchAllOrders()).length, 0)
        assert.strictEqual((yield* activeOrders).size, 0)
        assert.strictEqual(text(yield* getUsdtBalance()), "1000")
      }))

    test("number inputs are read at 15 significant digits before snapping: float noise never moves an order by a tick", () =>
      Effect.gen(function*() {
        yield* setPrice(0.1)
        yield* createLimitBuy(0.1, 50) // crosses: some HBAR to sell
        yield* setPrice(0.2)
        const sell = yield* createLimitSell(0.1 + 0.2, 20) // 0.30000000000000004: 0.3, not 0.30001
        const buy = yield* createLimitBuy(0.15 - 0.05, 20) // 0.09999999999999999: 0.1, not 0.09999
        const open = yield* fetchOpenOrders()
        assert.deepStrictEqual(open.map((o) => [o.id, text(o.price)]), [[sell, "0.3"], [buy, "0.1"]])
      }))

    test("prices and quantities also come as decimal strings and BigDecimals; malformed text is a ValidationError and sends nothing", () =>
      Effect.gen(function*() {
        yield* setPrice(0.1)
        const bad: ReadonlyArray<readonly [ValidationRule, string, Effect.Effect<string, ExchangeFailure, Exchange>]> = [
          ["InvalidArgument", "price", createLimitBuy("0.O9", 100)],
          ["InvalidArgument", "quantity", createLimitBuy("0.09", "")],
          ["InvalidArgument", "price", createLimitSell("1,5", "10")],
          ["InvalidArgument", "quantity", createMarketSell("ten")],
          ["NotPositive", "price", createLimitBuy("-0.09", "100")]
        ]
        for (const [rule, field, attempt] of bad) {
          const e = yield* failure(attempt)
          assert.strictEqual(e._tag === "ValidationError" && `${e.rule} ${e.field}`, `${rule} ${field}`, e.message)
        }
        assert.strictEqual((yield* fetchAllOrders()).length, 0)
        const a = yield* createLimitBuy("0.09", "100")
        const b = yield* createLimitBuy(BigDecimal.fromStringUnsafe("0.081239"), BigDecimal.make(205n, 1)) // 0.08123, 20
        const c = yield* Exchange.use((ex) => ex.placeOrder({ side: "buy", type: "limit", price: " 7e-2 ", quantity: "15.9" })) // 0.07, 15
        const open = yield* fetchOpenOrders()
        assert.deepStrictEqual(open.map((o) => [o.id, text(o.price), text(o.quantity)]), [[a, "0.09", "100"], [b, "0.08123", "20"], [
          c.id,
          "0.07",
          "15"
        ]])
        assert.strictEqual(text(yield* getUsdtBalance()), "988.3254") // 1000 - 9 - 1.6246 - 1.05, exactly
      }))

    test("insufficient funds fail as ExchangeError InsufficientFunds and create nothing", () =>
      Effect.gen(function*() {
        yield* setPrice(0.1)
        const buy = yield* failure(createLimitBuy(0.09, 20000))
        assert.strictEqual(buy._tag === "ExchangeError" && buy.reason, "InsufficientFunds")
        const sell = yield* failure(createLimitSell(0.2, 10))
        assert.strictEqual(sell._tag === "ExchangeError" && sell.reason, "InsufficientFunds")
        const market = yield* failure(createMarketSell(10))
        assert.strictEqual(market._tag === "ExchangeError" && market.reason, "InsufficientFunds")
        assert.strictEqual((yield* fetchAllOrders()).length, 0)
        assert.strictEqual((yield* activeOrders).size, 0)
      }))

    test("sellAllAssets gives None for dust and sells the whole lot-rounded balance otherwise", () =>
      Effect.gen(function*() {
        yield* setPrice(0.1)
        assert.isTrue(Option.isNone(yield* sellAllAssets()))
        yield* createLimitBuy(0.1, 100)
        const base = yield* getBaseAssetBalance()
        assert.isTrue(D.gte(base, D.unsafe(99)))
        const sold = yield* sellAllAssets()
        assert.isTrue(Option.isSome(sold))
        const orders = yield* fetchAllOrders()
        const sale = orders.find((o) => Option.isSome(sold) && o.id === sold.value)!
        assert.strictEqual(text(sale.quantity), text(D.floorTo(base, D.unsafe(1))))
        assert.isTrue(D.lt(yield* getBaseAssetBalance(), D.unsafe(1)))
        assert.isTrue(Option.isNone(yield* sellAllAssets()))
      }))
    test("a limit order that crosses the market when placed fills at once as a taker, at the market price", () =>
      Effect.gen(function*() {
        yield* setPrice(0.1)
        const buy = yield* createLimitBuy(0.2, 100) // the market sells at 0.1: pays 10, not 20
        assert.strictEqual((yield* activeOrders).size, 0)
        const bought = (yield* fetchAllOrders()).find((o) => o.id === buy)!
        assert.deepStrictEqual([bought.status, text(bought.filled), text(bought.price)], ["closed", "100", "0.2"])
        // The fill's own price and cost.
        assert.deepStrictEqual([text(bought.cost), text(bought.averagePrice)], ["10", "0.1"])
        assert.strictEqual(text(yield* getUsdtBalance()), "990")
        assert.strictEqual(text(yield* getBaseAssetBalance()), "99.8") // 100 less the taker fee, in HBAR
        yield* createLimitSell(0.05, 50) // the market buys at 0.1: receives 5, less the taker fee
        assert.strictEqual(text(yield* getUsdtBalance()), "994.99") // 990 + 5 - 0.01
        assert.strictEqual(text(yield* getBaseAssetBalance()), "49.8")
        assert.strictEqual((yield* fetchOpenOrders()).length, 0)
      }))

    test("a resting order that a later price crosses fills at its own limit, as a maker", () =>
      Effect.gen(function*() {
        yield* setPrice(0.1)
        const buy = yield* createLimitBuy(0.09, 100)
        yield* setPrice(0.08) // through the limit: the order still pays its own 0.09
        assert.strictEqual((yield* fetchAllOrders()).find((o) => o.id === buy)?.status, "closed")
        assert.strictEqual(text(yield* getUsdtBalance()), "991")
        assert.strictEqual(text(yield* getBaseAssetBalance()), "99.9") // 100 less the maker fee (0.1%)
        const sell = yield* createLimitSell(0.12, 50)
        yield* setPrice(0.13)
        assert.strictEqual((yield* fetchAllOrders()).find((o) => o.id === sell)?.status, "closed")
        assert.strictEqual(text(yield* getUsdtBalance()), "996.994") // 991 + 50 × 0.12 less 0.1%
        assert.strictEqual(text(yield* getBaseAssetBalance()), "49.9")
        assert.strictEqual((yield* activeOrders).size, 0)
      }))

    test("partial fills are separate trades; an order's filled, cost and fees are their sums", () =>
      Effect.gen(function*() {
        yield* setPrice(0.1)
        yield* setDepth(40)
        const buy = yield* createLimitBuy(0.09, 100)
        yield* setPrice(0.089) // 40 of 100 fill, as a maker at the order's 0.09
        const partial = yield* fetchOrder(buy)
        assert.deepStrictEqual([partial.status, text(partial.filled), text(partial.cost), text(partial.averagePrice)], [
          "open",
          "40",
          "3.6",
          "0.09"
        ])
        assert.deepStrictEqual([...(yield* activeOrders).keys()], [buy]) // still open, still tracked
        yield* setPrice(0.088) // 40 more
        yield* setDepth(undefined)
        yield* setPrice(0.087) // the last 20
        const trades = yield* fetchTrades()
        assert.deepStrictEqual(trades.map((t) => [t.orderId, t.side, text(t.price), text(t.quantity), text(t.quoteQuantity)]), [
          [buy, "buy", "0.09", "40", "3.6"],
          [buy, "buy", "0.09", "40", "3.6"],
          [buy, "buy", "0.09", "20", "1.8"]
        ])
        assert.strictEqual(new Set(trades.map((t) => t.id)).size, 3)
        const order = yield* fetchOrder(buy)
        assert.isTrue(trades.every((t) => t.clientOrderId === order.clientOrderId))
        assert.deepStrictEqual([order.status, text(order.filled), text(order.cost), text(order.averagePrice)], ["closed", "100", "9", "0.09"])
        assert.deepStrictEqual(feesText(order.fees), { HBAR: "0.1" }) // 0.04 + 0.04 + 0.02, the maker rate in HBAR
        assert.strictEqual(text(yield* getBaseAssetBalance()), "99.9")
        assert.strictEqual((yield* activeOrders).size, 0)
      }))

    test("each trade's fee follows the maker/taker rule, in the asset received, and orders carry them", () =>
      Effect.gen(function*() {
        yield* setPrice(0.1)
        const taker = yield* createLimitBuy(0.2, 100) // crosses: takes liquidity at 0.1
        const maker = yield* createLimitSell(0.12, 50) // rests
        yield* setPrice(0.13) // crosses the sell: it made liquidity
        const trades = yield* fetchTrades()
        assert.deepStrictEqual(trades.map((t) => [t.orderId, t.maker, text(t.price), text(t.fee), t.feeAsset]), [
          [taker, false, "0.1", "0.2", "HBAR"], // 100 × 0.2%
          [maker, true, "0.12", "0.006", "USDT"] // 6 USDT × 0.1%
        ])
        const orders = yield* fetchAllOrders()
        assert.deepStrictEqual(orders.map((o) => [o.id, feesText(o.fees)]), [[taker, { HBAR: "0.2" }], [maker, { USDT: "0.006" }]])
      }))

    test("a trade seen twice counts once: in the journal, in the list and in its order's fees", () =>
      Effect.gen(function*() {
        yield* setPrice(0.1)
        yield* setDepth(30)
        const buy = yield* createLimitBuy(0.09, 60)
        yield* setPrice(0.085)
        yield* setPrice(0.084) // two fills of 30
        const first = yield* fetchTrades()
        const again = yield* fetchTrades()
        const overlapping = yield* fetchTrades(0)
        assert.strictEqual(first.length, 2)
        assert.deepStrictEqual(again.map((t) => t.id), first.map((t) => t.id))
        assert.deepStrictEqual(overlapping.map((t) => t.id), first.map((t) => t.id))
        const exchange = yield* Exchange
        const journaled = yield* OrderJournal.use((j) => j.trades(exchange.venue, exchange.symbol))
        assert.deepStrictEqual(journaled.map((t) => t.id), first.map((t) => t.id))
        const order = yield* fetchOrder(buy)
        assert.deepStrictEqual([text(order.filled), feesText(order.fees)], ["60", { HBAR: "0.06" }])
      }))

    // Trigger orders and OCO lists: separate test blocks, in conformance-protective.ts.
    protectiveTests({ test, setPrice, setDepth: (q) => MarketControl.use((m) => m.setDepth(q)), failure, oco: options.oco ?? true })
  })
}
