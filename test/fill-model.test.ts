/**
 * The dry run's default fill model, `lastPriceFillModel`, as pure functions: for an
 * order, a market event and a market state, which fills it gives (price, quantity,
 * maker or taker, fee rate). One table per question the dry run asks; then the
 * simulator asking its model about a trade print and a book.
 */
import { assert, describe, it } from "@effect/vitest"
import { Option, Result } from "effect"
import { lastPriceFillModel as model } from "../src/layers/dryrun/LastPriceFillModel.ts"
import { makeSimulator } from "../src/layers/dryrun/Simulator.ts"
import * as D from "../src/services/Decimal.ts"
import type { FeeSchedule, FillDecision, FillModel, FillOrder, MarketEvent, MarketState } from "../src/services/FillModel.ts"
import { HBAR_USDT } from "../src/services/MarketRules.ts"
import type { OrderSide, OrderType } from "../src/services/OrderRecord.ts"

const fees: FeeSchedule = { maker: D.unsafe("0.001"), taker: D.unsafe("0.002") }

const order = (o: { side: OrderSide; type: OrderType; limit?: string; trigger?: string; quantity?: string; filled?: string }): FillOrder => ({
  id: "dry_run_1",
  side: o.side,
  type: o.type,
  limit: o.limit === undefined ? undefined : D.unsafe(o.limit),
  triggerPrice: o.trigger === undefined ? undefined : D.unsafe(o.trigger),
  quantity: D.unsafe(o.quantity ?? "100"),
  filled: D.unsafe(o.filled ?? "0"),
  placedAt: 0,
  queueAhead: undefined
})

const market = (last: string | undefined, depth?: string): MarketState => ({
  symbol: "HBAR/USDT",
  last: last === undefined ? undefined : D.unsafe(last),
  book: undefined,
  depth: depth === undefined ? undefined : D.unsafe(depth)
})

const move = (price: string): MarketEvent => ({ _tag: "PriceMove", symbol: "HBAR/USDT", price: D.unsafe(price), timestamp: 0 })
const print = (price: string): MarketEvent => ({
  _tag: "TradePrint",
  symbol: "HBAR/USDT",
  price: D.unsafe(price),
  quantity: D.unsafe("1"),
  aggressor: "sell",
  timestamp: 0
})
const snapshot: MarketEvent = {
  _tag: "BookSnapshot",
  symbol: "HBAR/USDT",
  bids: [{ price: D.unsafe("0.05"), quantity: D.unsafe("1000") }],
  asks: [{ price: D.unsafe("0.06"), quantity: D.unsafe("1000") }],
  timestamp: 0
}

/** A decision as text: `quantity@price role rate` per fill. */
const fillsText = (d: FillDecision) => d.fills.map((f) => `${D.format(f.quantity)}@${D.format(f.price)} ${f.liquidity} ${D.format(f.feeRate)}`)

describe("lastPriceFillModel.arrive: an order that comes to trade takes at the last price", () => {
  const cases: ReadonlyArray<[string, FillOrder, MarketState, ReadonlyArray<string>]> = [
    ["a market buy fills in full at the last price", order({ side: "buy", type: "market" }), market("0.1"), ["100@0.1 taker 0.002"]],
    ["a market sell fills at most the depth", order({ side: "sell", type: "market" }), market("0.1", "30"), ["30@0.1 taker 0.002"]],
    ["no last price: nothing fills", order({ side: "buy", type: "market" }), market(undefined), []],
    ["a buy limit above the price takes at the price, not its limit", order({ side: "buy", type: "limit", limit: "0.1" }), market("0.09"), ["100@0.09 taker 0.002"]],
    ["a buy limit at the price takes", order({ side: "buy", type: "limit", limit: "0.1" }), market("0.1"), ["100@0.1 taker 0.002"]],
    ["a buy limit below the price rests", order({ side: "buy", type: "limit", limit: "0.1" }), market("0.11"), []],
    ["a sell limit below the price takes at the price", order({ side: "sell", type: "limit", limit: "0.1" }), market("0.11"), ["100@0.11 taker 0.002"]],
    ["a sell limit above the price rests", order({ side: "sell", type: "limit", limit: "0.1" }), market("0.09"), []],
    ["a fired stop-market fills at the last price", order({ side: "sell", type: "stop-loss", trigger: "0.09" }), market("0.089"), ["100@0.089 taker 0.002"]],
    ["a fired stop-limit whose limit the price passed rests", order({ side: "sell", type: "stop-loss-limit", trigger: "0.09", limit: "0.095" }), market("0.089"), []],
    ["a partly filled order takes only its rest", order({ side: "buy", type: "limit", limit: "0.1", filled: "70" }), market("0.1"), ["30@0.1 taker 0.002"]],
    ["a depth of zero fills nothing", order({ side: "buy", type: "market" }), market("0.1", "0"), []]
  ]
  for (const [name, o, m, expected] of cases) {
    it(name, () => assert.deepStrictEqual(fillsText(model.arrive(o, m, fees)), expected))
  }
})

describe("lastPriceFillModel.rest: a resting order the market crosses makes at its own limit", () => {
  const buy = order({ side: "buy", type: "limit", limit: "0.1" })
  const sell = order({ side: "sell", type: "limit", limit: "0.1" })
  const cases: ReadonlyArray<[string, FillOrder, MarketEvent, MarketState, ReadonlyArray<string>]> = [
    ["a buy the price falls through fills at its limit, as maker", buy, move("0.09"), market("0.09"), ["100@0.1 maker 0.001"]],
    ["a buy the price reaches fills", buy, move("0.1"), market("0.1"), ["100@0.1 maker 0.001"]],
    ["a buy the price stays above does not fill", buy, move("0.11"), market("0.11"), []],
    ["a sell the price rises through fills at its limit", sell, move("0.12"), market("0.12"), ["100@0.1 maker 0.001"]],
    ["a sell the price stays below does not fill", sell, move("0.09"), market("0.09"), []],
    ["a trade printed through the limit fills, as a price move does", buy, print("0.095"), market("0.095"), ["100@0.1 maker 0.001"]],
    ["a book snapshot fills nothing, even crossing", buy, snapshot, market("0.05"), []],
    ["each fill takes at most the depth", buy, move("0.09"), market("0.09", "40"), ["40@0.1 maker 0.001"]],
    ["a partly filled order fills its rest", order({ side: "buy", type: "limit", limit: "0.1", filled: "60" }), move("0.09"), market("0.09"), ["40@0.1 maker 0.001"]],
    [
      "a stop-market left partly filled rests at its trigger",
      order({ side: "sell", type: "stop-loss", trigger: "0.09", filled: "30" }),
      move("0.091"),
      market("0.091"),
      ["70@0.09 maker 0.001"]
    ],
    ["a market order never rests", order({ side: "buy", type: "market" }), move("0.09"), market("0.09"), []]
  ]
  for (const [name, o, e, m, expected] of cases) {
    it(name, () => assert.deepStrictEqual(fillsText(model.rest(o, e, m, fees)), expected))
  }
  it("keeps no queue", () => assert.isUndefined(model.rest(buy, move("0.09"), market("0.09"), fees).queueAhead))
})

describe("the simulator asks its model about every market event", () => {
  const seed = () => ({
    exists: true,
    seq: 0,
    balances: new Map([["USDT", { free: D.unsafe("1000"), used: D.ZERO }]]),
    prices: new Map([["HBAR/USDT", D.unsafe("0.11")]]),
    open: []
  })
  const buy = {
    symbol: "HBAR/USDT",
    side: "buy",
    type: "limit",
    clientOrderId: "c1",
    quantity: D.unsafe("100"),
    price: Option.some(D.unsafe("0.1")),
    triggerPrice: Option.none()
  } as const

  it("a trade printed through a resting order fills it; a book reaches the model in its market state", () => {
    const seen: Array<string> = []
    const watching: FillModel = {
      name: "watching",
      arrive: model.arrive,
      rest: (o, e, m, f) => {
        seen.push(`${e._tag} last ${m.last === undefined ? "-" : D.format(m.last)} book ${m.book === undefined ? "-" : D.format(m.book.bids[0]!.price)}`)
        return model.rest(o, e, m, f)
      }
    }
    const sim = makeSimulator({ markets: new Map([[HBAR_USDT.symbol, HBAR_USDT]]), book: seed(), makerFee: fees.maker, takerFee: fees.taker, fillModel: watching })
    assert.isTrue(Result.isSuccess(sim.submit("createLimitBuy", buy, 0)))
    assert.deepStrictEqual(sim.apply(snapshot, 1), []) // a book crossing the order fills nothing by the default rules
    const [filled] = sim.apply(print("0.099"), 2)
    assert.deepStrictEqual(seen, ["BookSnapshot last 0.11 book 0.05", "TradePrint last 0.099 book 0.05"])
    assert.strictEqual(filled!.status, "closed")
    assert.strictEqual(D.format(Option.getOrThrow(filled!.averagePrice)), "0.1")
    assert.strictEqual(D.format(Option.getOrThrow(sim.price("HBAR/USDT"))), "0.099") // a trade moves the last price
  })
})
