/**
 * The conformance suite's trigger-order and OCO tests (see `conformance.ts`, which
 * runs them on every layer): a trigger waits, fires when the price crosses it and
 * fills as the order it becomes; a stop that would fire at once and a type the
 * market lacks are refused before sending; an OCO's legs end each other, and
 * cancelling a leg, the list or every order on a side cancels the list as a whole.
 *
 * HBAR/USDT lists stop-loss-limit and take-profit-limit but not plain stop-loss or
 * take-profit, on Binance.US and in the dry run's built-in rules alike.
 */
import { assert } from "@effect/vitest"
import { Effect, Option } from "effect"
import {
  activeOrders,
  cancelAllSellOrders,
  cancelOco,
  cancelOrder,
  createLimitBuy,
  createOco,
  createLimitSell,
  createStopLoss,
  createStopLossLimit,
  createTakeProfitLimit,
  Decimal as D,
  type Exchange,
  type ExchangeFailure,
  fetchOpenOrders,
  fetchOrder,
  fetchTrades,
  getBaseAssetBalance,
  getQuoteBalance,
  type OrderJournal,
  type OrderRecord,
  placeOrder
} from "../../src/index.ts"
import type { MarketControl } from "./conformance.ts"

type Env = Exchange | MarketControl | OrderJournal

export interface ProtectiveHarness {
  readonly test: (title: string, body: () => Effect.Effect<void, ExchangeFailure, Env>) => void
  readonly setPrice: (p: number) => Effect.Effect<void, never, MarketControl>
  readonly setDepth: (quantity: number | undefined) => Effect.Effect<void, never, MarketControl>
  readonly failure: <A, E extends ExchangeFailure, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<E, never, R>
  /** Whether the layer places OCO lists (ccxt's unified API has none). */
  readonly oco: boolean
}

const text = (d: D.Decimal) => D.format(d)
const opt = (d: Option.Option<D.Decimal>) => Option.match(d, { onNone: () => "none", onSome: D.format })
const statusOf = (id: string) => Effect.map(fetchOrder(id), (o) => o.status)

export const protectiveTests = ({ failure, oco, setDepth, setPrice, test }: ProtectiveHarness) => {
  /** 1000 USDT → 200 HBAR bought at 0.1 as a taker (199.6 after the fee), the price left at 0.1. */
  const holdHbar = Effect.gen(function*() {
    yield* setPrice(0.1)
    yield* createLimitBuy(0.11, 200)
  })

  test("a stop-loss-limit waits for its trigger, then fills as the limit order it becomes", () =>
    Effect.gen(function*() {
      yield* holdHbar
      const stop: OrderRecord = yield* createStopLossLimit(0.09, 0.089, 100)
      assert.deepStrictEqual(
        [stop.type, stop.side, stop.status, opt(stop.triggerPrice), opt(stop.price), text(stop.quantity)],
        ["stop-loss-limit", "sell", "open", "0.09", "0.089", "100"]
      )
      assert.deepStrictEqual((yield* fetchOpenOrders()).map((o) => o.id), [stop.id])
      assert.deepStrictEqual([...(yield* activeOrders).keys()], [stop.id])
      assert.strictEqual(text(yield* getBaseAssetBalance()), "99.6") // 100 locked
      yield* setPrice(0.095)
      assert.strictEqual(yield* statusOf(stop.id), "open")
      yield* setPrice(0.09) // triggered: a sell limit at 0.089 meets the market at 0.09
      const filled = yield* fetchOrder(stop.id)
      assert.deepStrictEqual([filled.status, text(filled.filled), text(filled.cost)], ["closed", "100", "9"])
      assert.strictEqual((yield* activeOrders).size, 0)
      // One trade, taking liquidity when triggered: the taker fee, in the asset received.
      const trades = (yield* fetchTrades()).filter((t) => t.orderId === stop.id)
      assert.deepStrictEqual(trades.map((t) => [text(t.quantity), text(t.price), t.maker, text(t.fee), t.feeAsset]), [["100", "0.09", false, "0.018", "USDT"]])
    }))

  test("a take-profit-limit fires when the price rises to its trigger", () =>
    Effect.gen(function*() {
      yield* holdHbar
      const tp = yield* createTakeProfitLimit(0.12, 0.119, 100)
      assert.deepStrictEqual([tp.type, opt(tp.triggerPrice)], ["take-profit-limit", "0.12"])
      yield* setPrice(0.115)
      assert.strictEqual(yield* statusOf(tp.id), "open")
      yield* setPrice(0.12)
      const filled = yield* fetchOrder(tp.id)
      assert.deepStrictEqual([filled.status, text(filled.filled)], ["closed", "100"])
      assert.strictEqual((yield* activeOrders).size, 0)
    }))

  test("a stop that would trigger at once, and a type the market lacks, are ValidationErrors; nothing is sent", () =>
    Effect.gen(function*() {
      yield* holdHbar
      const atOnce = yield* failure(createStopLossLimit(0.1, 0.099, 100)) // a sell stop at the last price
      assert.strictEqual(atOnce._tag === "ValidationError" && atOnce.rule, "WouldTriggerImmediately")
      const profitAtOnce = yield* failure(createTakeProfitLimit(0.095, 0.095, 100))
      assert.strictEqual(profitAtOnce._tag === "ValidationError" && profitAtOnce.rule, "WouldTriggerImmediately")
      const lacking = yield* failure(createStopLoss(0.09, 100))
      assert.strictEqual(lacking._tag === "ValidationError" && `${lacking.rule} ${lacking.value}`, "OrderTypeNotAllowed stop-loss")
      assert.strictEqual((yield* fetchOpenOrders()).length, 0)
    }))

  test("a limit-maker rests as a maker; one that would take is refused by the exchange as WouldTriggerImmediately", () =>
    Effect.gen(function*() {
      yield* holdHbar
      const maker = yield* placeOrder({ type: "limit-maker", side: "sell", price: 0.12, quantity: 100 })
      assert.deepStrictEqual([maker.type, maker.status, opt(maker.price)], ["limit-maker", "open", "0.12"])
      const taker = yield* failure(placeOrder({ type: "limit-maker", side: "sell", price: 0.099, quantity: 50 }))
      assert.strictEqual(taker._tag === "ExchangeError" && taker.reason, "WouldTriggerImmediately")
      yield* setPrice(0.12)
      const filled = yield* fetchOrder(maker.id)
      assert.deepStrictEqual([filled.status, text(filled.cost)], ["closed", "12"])
    }))

  test("an OCO rests as two legs of one list; the limit leg filling expires the stop leg", () =>
    Effect.gen(function*() {
      yield* holdHbar
      const request = { side: "sell", quantity: 100, price: 0.12, triggerPrice: 0.09, stopLimitPrice: 0.089 } as const
      if (!oco) {
        const e = yield* failure(createOco(request))
        assert.strictEqual(e._tag === "ValidationError" && `${e.rule} ${e.value}`, "OrderTypeNotAllowed oco")
        assert.strictEqual((yield* fetchOpenOrders()).length, 0)
        return
      }
      const list = yield* createOco(request)
      assert.deepStrictEqual([list.limit.type, opt(list.limit.price)], ["limit-maker", "0.12"])
      assert.deepStrictEqual([list.stop.type, opt(list.stop.triggerPrice), opt(list.stop.price)], ["stop-loss-limit", "0.09", "0.089"])
      assert.deepStrictEqual([list.limit.listId, list.stop.listId], [Option.some(list.listId), Option.some(list.listId)])
      assert.deepStrictEqual([...(yield* activeOrders).keys()].sort(), [list.limit.id, list.stop.id].sort())
      assert.strictEqual(text(yield* getBaseAssetBalance()), "99.6") // one lock for the pair
      yield* setPrice(0.12)
      assert.deepStrictEqual([yield* statusOf(list.limit.id), yield* statusOf(list.stop.id)], ["closed", "expired"])
      assert.strictEqual((yield* activeOrders).size, 0)
      assert.strictEqual(text(yield* getBaseAssetBalance()), "99.6")
      // The limit leg made liquidity: the maker fee.
      const trades = (yield* fetchTrades()).filter((t) => t.orderId === list.limit.id)
      assert.deepStrictEqual(trades.map((t) => [text(t.quantity), t.maker, text(t.fee)]), [["100", true, "0.012"]])
    }))

  test("an OCO's stop triggering expires its limit leg; its price order is checked before sending", () =>
    Effect.gen(function*() {
      yield* holdHbar
      if (!oco) return
      const bad = yield* failure(createOco({ side: "sell", quantity: 100, price: 0.095, triggerPrice: 0.09, stopLimitPrice: 0.089 }))
      assert.strictEqual(bad._tag === "ValidationError" && bad.rule, "OcoPriceOrder") // SELL: limit > last > trigger
      const list = yield* createOco({ side: "sell", quantity: 100, price: 0.12, triggerPrice: 0.09, stopLimitPrice: 0.089 })
      yield* setPrice(0.09)
      assert.deepStrictEqual([yield* statusOf(list.limit.id), yield* statusOf(list.stop.id)], ["expired", "closed"])
      assert.strictEqual((yield* activeOrders).size, 0)
    }))

  test("a leg filling only in part ends the list: the other leg expires, the rest of the first keeps resting", () =>
    Effect.gen(function*() {
      yield* holdHbar
      if (!oco) return
      const list = yield* createOco({ side: "sell", quantity: 100, price: 0.12, triggerPrice: 0.09, stopLimitPrice: 0.089 })
      yield* setDepth(30)
      yield* setPrice(0.12)
      const limit = yield* fetchOrder(list.limit.id)
      assert.deepStrictEqual([limit.status, text(limit.filled), yield* statusOf(list.stop.id)], ["open", "30", "expired"])
      assert.deepStrictEqual([...(yield* activeOrders).keys()], [list.limit.id])
      yield* setDepth(undefined)
      yield* setPrice(0.125)
      assert.deepStrictEqual([yield* statusOf(list.limit.id), (yield* activeOrders).size], ["closed", 0])
    }))

  test("a BUY OCO locks the larger leg's quote once; its limit leg filling gives back the rest", () =>
    Effect.gen(function*() {
      yield* holdHbar
      if (!oco) return
      const bad = yield* failure(createOco({ side: "buy", quantity: 100, price: 0.105, triggerPrice: 0.11, stopLimitPrice: 0.111 }))
      assert.strictEqual(bad._tag === "ValidationError" && bad.rule, "OcoPriceOrder") // BUY: limit < last < trigger
      const list = yield* createOco({ side: "buy", quantity: 100, price: 0.09, triggerPrice: 0.11, stopLimitPrice: 0.111 })
      assert.strictEqual(text(yield* getQuoteBalance()), "968.9") // 980 less 100 × 0.111, the larger need
      yield* setPrice(0.09)
      assert.deepStrictEqual([yield* statusOf(list.limit.id), yield* statusOf(list.stop.id)], ["closed", "expired"])
      assert.strictEqual(text(yield* getQuoteBalance()), "971") // paid 9 at the limit; the rest is free again
      assert.strictEqual((yield* activeOrders).size, 0)
    }))

  test("cancelling either leg, cancelOco and cancelAllSellOrders cancel an OCO as a whole", () =>
    Effect.gen(function*() {
      yield* holdHbar
      if (!oco) return
      const oco1 = yield* createOco({ side: "sell", quantity: 50, price: 0.12, triggerPrice: 0.09, stopLimitPrice: 0.089 })
      yield* cancelOrder(oco1.limit.id)
      assert.deepStrictEqual([yield* statusOf(oco1.limit.id), yield* statusOf(oco1.stop.id)], ["canceled", "canceled"])
      const oco2 = yield* createOco({ side: "sell", quantity: 50, price: 0.12, triggerPrice: 0.09, stopLimitPrice: 0.089 })
      yield* cancelOco(oco2.listId)
      assert.deepStrictEqual([yield* statusOf(oco2.limit.id), yield* statusOf(oco2.stop.id)], ["canceled", "canceled"])
      const oco3 = yield* createOco({ side: "sell", quantity: 50, price: 0.12, triggerPrice: 0.09, stopLimitPrice: 0.089 })
      const single = yield* createLimitSell(0.13, 50)
      const cancelled = yield* cancelAllSellOrders()
      assert.deepStrictEqual([...cancelled].sort(), [oco3.limit.id, oco3.stop.id, single].sort())
      assert.strictEqual((yield* fetchOpenOrders()).length, 0)
      assert.strictEqual((yield* activeOrders).size, 0)
      assert.strictEqual(text(yield* getBaseAssetBalance()), "199.6")
    }))
}
