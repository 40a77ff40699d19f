/**
 * A fill model given in the dry run's options decides its fills: when a resting
 * order fills, how much, at what price, as maker or taker and at what fee; and the
 * queue it keeps of an order comes back with that order's next question. Through
 * the public API, as a user plugs in a model of their own.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import {
  createLimitBuy,
  createMarketSell,
  Decimal,
  DryRun,
  fetchOrder,
  fetchTrades,
  getBaseAssetBalance,
  getUsdtBalance
} from "../src/index.ts"

const text = Decimal.format
const setPrice = (p: number) => DryRun.Market.use((m) => m.setPrice(p))
const defaults = DryRun.lastPriceFillModel
const HALF = Decimal.unsafe("0.5")

/** The default model's fills, each of half the quantity. */
const halves: DryRun.FillModel = {
  name: "half",
  arrive: (o, m, f) => ({ fills: defaults.arrive(o, m, f).fills.map((x) => ({ ...x, quantity: Decimal.mul(x.quantity, HALF) })) }),
  rest: (o, e, m, f) => ({ fills: defaults.rest(o, e, m, f).fills.map((x) => ({ ...x, quantity: Decimal.mul(x.quantity, HALF) })) })
}

const tradesText = Effect.map(fetchTrades(), (ts) => ts.map((t) => `${text(t.quantity)}@${text(t.price)} ${t.maker ? "maker" : "taker"} fee ${text(t.fee)} ${t.feeAsset}`))

describe("DryRun.layer({ fillModel })", () => {
  it.effect("a model that fills half decides each fill of a resting order", () =>
    Effect.gen(function*() {
      const id = yield* createLimitBuy(0.1, 100) // rests: the price is 0.11
      const [first] = yield* setPrice(0.09)
      assert.strictEqual(first!.status, "open")
      assert.strictEqual(text(first!.filled), "50")
      yield* setPrice(0.09)
      const order = yield* fetchOrder(id)
      assert.strictEqual(text(order.filled), "75")
      assert.deepStrictEqual(yield* tradesText, ["50@0.1 maker fee 0.05 HBAR", "25@0.1 maker fee 0.025 HBAR"])
      assert.strictEqual(text(yield* getBaseAssetBalance()), "74.925")
      assert.strictEqual(text(yield* getUsdtBalance()), "990") // 10 locked at placement, 7.5 of it spent
    }).pipe(Effect.provide(DryRun.layer({ price: 0.11, fillModel: halves }))))

  const walk: DryRun.FillModel = {
    name: "two-levels",
    arrive: () => ({
      fills: [
        { price: Decimal.unsafe("0.1"), quantity: Decimal.unsafe("60"), liquidity: "taker", feeRate: Decimal.unsafe("0.005") },
        { price: Decimal.unsafe("0.099"), quantity: Decimal.unsafe("40"), liquidity: "taker", feeRate: Decimal.unsafe("0.005") }
      ]
    }),
    rest: () => ({ fills: [] })
  }

  it.effect("a model's fills set the price, the liquidity and the fee rate: a market order walks two levels", () =>
    Effect.gen(function*() {
      const id = yield* createMarketSell(100)
      const order = yield* fetchOrder(id)
      assert.strictEqual(order.status, "closed")
      assert.strictEqual(text(order.filled), "100")
      assert.strictEqual(text(order.cost), "9.96") // 60 × 0.1 + 40 × 0.099
      assert.deepStrictEqual(yield* tradesText, ["60@0.1 taker fee 0.03 USDT", "40@0.099 taker fee 0.0198 USDT"])
      assert.strictEqual(text(yield* getUsdtBalance()), "1009.9102")
      assert.strictEqual(text(yield* getBaseAssetBalance()), "0")
    }).pipe(Effect.provide(DryRun.layer({ price: 0.1, balances: { USDT: 1000, HBAR: 100 }, fillModel: walk }))))

  it.effect("a market order the model fills nothing of expires, and spends nothing", () =>
    Effect.gen(function*() {
      const id = yield* createMarketSell(100)
      const order = yield* fetchOrder(id)
      assert.strictEqual(order.status, "expired")
      assert.strictEqual(text(order.filled), "0")
      assert.deepStrictEqual(yield* tradesText, [])
      assert.strictEqual(text(yield* getBaseAssetBalance()), "100")
    }).pipe(Effect.provide(DryRun.layer({ price: 0.1, balances: { HBAR: 100 }, fillModel: { name: "none", arrive: () => ({ fills: [] }), rest: () => ({ fills: [] }) } }))))

  it.effect("the queue a model keeps of an order comes back with the order's next question", () =>
    Effect.gen(function*() {
      const id = yield* createLimitBuy(0.1, 100)
      yield* setPrice(0.09)
      yield* setPrice(0.095)
      assert.strictEqual(text((yield* fetchOrder(id)).filled), "0") // two orders' worth were ahead of it
      yield* setPrice(0.09)
      assert.strictEqual((yield* fetchOrder(id)).status, "closed")
    }).pipe(Effect.provide(DryRun.layer({
      price: 0.11,
      fillModel: {
        name: "queue",
        arrive: (o, m, f) => ({ ...defaults.arrive(o, m, f), queueAhead: Decimal.unsafe("2") }),
        rest: (o, e, m, f) =>
          o.queueAhead !== undefined && Decimal.isPositive(o.queueAhead)
            ? { fills: [], queueAhead: Decimal.sub(o.queueAhead, Decimal.unsafe("1")) }
            : defaults.rest(o, e, m, f)
      }
    }))))
})
