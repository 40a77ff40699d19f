/**
 * Decoding at the ccxt boundary, against ccxt's own recorded fixtures
 * (test/fixtures/ccxt): every recorded order, balance, ticker and market
 * passes through our schemas into domain types, and what cannot be represented
 * fails with a typed error instead of leaking through.
 */
import { assert, describe, it } from "@effect/vitest"
import * as ccxt from "ccxt"
import { Option, Result, Schema } from "effect"
import { readFileSync } from "node:fs"
import {
  CcxtBalance,
  CcxtOrder,
  cleanNumber,
  decodeBalances,
  decodeLastPrice,
  decodeMarket,
  decodeOrder,
  decodeOrders,
  PrecisionMode
} from "../src/layers/live/decode.ts"
import * as D from "../src/services/Decimal.ts"
import { feesText, recordText, text } from "./support/amounts.ts"
import type { MarketRules } from "../src/services/MarketRules.ts"

const fixture = (path: string): unknown =>
  JSON.parse(readFileSync(new URL(`./fixtures/ccxt/${path}`, import.meta.url), "utf8"))

interface ResponseEntry {
  readonly description: string
  readonly input: ReadonlyArray<unknown>
  readonly parsedResponse: unknown
}
const responses = (file: string) =>
  (fixture(`response/${file}`) as { readonly methods: Record<string, ReadonlyArray<ResponseEntry>> }).methods
const spot = responses("binance.spot.json")
const us = responses("binanceus.json")
const markets = fixture("markets/binanceus.json") as Record<string, { readonly info: unknown; readonly precision: unknown }>

const ctx = { operation: "test", symbol: "LTC/USDT", exchange: "binance" }
const ok = <A, E>(r: Result.Result<A, E>): A => {
  if (Result.isFailure(r)) assert.fail(String((r.failure as { message?: string }).message ?? r.failure))
  return (r as Result.Success<A, E>).success
}
const dec = (d: D.Decimal) => D.format(d)

/** ccxt 4.5.84's own parse of the recorded exchangeInfo symbols (tick-size precision). */
const parser = new ccxt.binanceus({ options: { crossMarginPairsData: [], isolatedMarginPairsData: [] } })
const rules = (symbol: string): MarketRules =>
  ok(decodeMarket(parser.parseMarket(markets[symbol]!.info as Record<string, unknown>), { ...ctx, symbol }))

describe("decodeMarket", () => {
  it("decodes LTC/USDT from ccxt's tick-size markets: tick, step, limits, MAX_NUM_ORDERS, order types", () => {
    const r = rules("LTC/USDT")
    assert.strictEqual(r.symbol, "LTC/USDT")
    assert.strictEqual(r.base, "LTC")
    assert.strictEqual(r.quote, "USDT")
    assert.strictEqual(dec(r.tickSize), "0.01")
    assert.strictEqual(dec(r.stepSize), "0.001")
    assert.strictEqual(dec(r.minQuantity), "0.001")
    assert.strictEqual(Option.map(r.maxQuantity, dec).pipe(Option.getOrNull), "90000")
    assert.strictEqual(Option.map(r.minPrice, dec).pipe(Option.getOrNull), "0.01")
    assert.strictEqual(Option.map(r.maxPrice, dec).pipe(Option.getOrNull), "100000")
    assert.strictEqual(dec(r.minNotional), "1")
    assert.deepStrictEqual(r.maxOpenOrders, Option.some(200))
    // Binance.US's LIMIT, LIMIT_MAKER, MARKET, STOP_LOSS_LIMIT, TAKE_PROFIT_LIMIT; and OCO lists.
    assert.deepStrictEqual(r.orderTypes, ["limit", "limit-maker", "market", "stop-loss-limit", "take-profit-limit"])
    assert.isTrue(r.ocoAllowed)
  })

  it("every recorded market decodes the same from its legacy decimal-places form and from ccxt 4's tick sizes", () => {
    for (const [symbol, m] of Object.entries(markets)) {
      const legacy = ok(decodeMarket(m, { ...ctx, symbol }, { precisionMode: PrecisionMode.DECIMAL_PLACES }))
      const current = rules(symbol)
      assert.strictEqual(dec(legacy.tickSize), dec(current.tickSize), symbol)
      assert.strictEqual(dec(legacy.stepSize), dec(current.stepSize), symbol)
      assert.strictEqual(dec(legacy.minQuantity), dec(current.minQuantity), symbol)
      assert.strictEqual(dec(legacy.minNotional), dec(current.minNotional), symbol)
      assert.deepStrictEqual(legacy.maxOpenOrders, current.maxOpenOrders, symbol)
    }
    assert.strictEqual(dec(rules("XRP/USDT").stepSize), "1")
    assert.strictEqual(dec(rules("TRX/USDT").tickSize), "0.00001")
  })

  it("rejects a market without a usable precision, and significant-digit precision, with a typed error", () => {
    const broken = decodeMarket({ symbol: "X/Y", base: "X", quote: "Y", precision: {}, limits: {} }, ctx)
    assert.isTrue(Result.isFailure(broken))
    const e = Result.isFailure(broken) ? broken.failure : undefined
    assert.strictEqual(e?._tag, "ExchangeError")
    assert.strictEqual(e?.reason, "UnreadableAnswer")
    const sig = decodeMarket(markets["LTC/USDT"], ctx, { precisionMode: PrecisionMode.SIGNIFICANT_DIGITS })
    assert.isTrue(Result.isFailure(sig))
    assert.isTrue(Result.isFailure(decodeMarket("not a market", ctx)))
  })
})

describe("decodeOrder: recorded ccxt orders", () => {
  it("createOrder: a SOL/USDT limit buy", () => {
    const entry = spot["createOrder"]![0]!
    const o = ok(decodeOrder(entry.parsedResponse, rules("SOL/USDT"), ctx))
    assert.deepStrictEqual(recordText(o), {
      id: "9780331417",
      clientOrderId: "x-R4BD3S824d31be3228a348eaa0a303",
      symbol: "SOL/USDT",
      side: "buy",
      type: "limit",
      price: "241",
      triggerPrice: null,
      quantity: "0.05",
      filled: "0",
      cost: "0",
      averagePrice: null,
      fees: {},
      listId: null,
      status: "open",
      timestamp: 1737635557417
    })
  })

  it("createOrder: a (trailing) take-profit order is represented: its type, no limit price, no fixed trigger", () => {
    const entry = spot["createOrder"]![1]!
    const o = ok(decodeOrder(entry.parsedResponse, undefined, ctx))
    assert.deepStrictEqual([o.id, o.type, text(o.price), text(o.triggerPrice)], ["2672907", "take-profit", null, null])
  })

  it("a stop order ccxt calls limit is a stop-loss-limit, with its trigger price, alone and in a list", () => {
    const limit = spot["createOrder"]![0]!.parsedResponse as Record<string, unknown>
    const stop = { ...limit, id: "77", type: "limit", triggerPrice: 230, stopPrice: 230, info: {} }
    const o = ok(decodeOrder(stop, rules("SOL/USDT"), ctx))
    assert.deepStrictEqual([o.type, text(o.price), text(o.triggerPrice)], ["stop-loss-limit", "241", "230"])
    const takeProfit = ok(decodeOrder({ ...stop, type: "market", price: null, takeProfitPrice: 250, triggerPrice: 250 }, rules("SOL/USDT"), ctx))
    assert.deepStrictEqual([takeProfit.type, text(takeProfit.price), text(takeProfit.triggerPrice)], ["take-profit", null, "250"])
    const list = ok(decodeOrders([limit, stop], rules("SOL/USDT"), ctx))
    assert.deepStrictEqual(list.orders.map((o) => [o.id, o.type]), [[String(limit["id"]), "limit"], ["77", "stop-loss-limit"]])
    assert.strictEqual(list.skipped.length, 0)
  })

  it("cost, average and fees (one or several, by currency) are read exactly; an OCO leg carries its list id", () => {
    const limit = spot["createOrder"]![0]!.parsedResponse as Record<string, unknown>
    const filled = {
      ...limit,
      status: "closed",
      filled: 0.05,
      cost: 12.05,
      average: 241,
      fee: { cost: 0.00005, currency: "SOL" },
      fees: [{ cost: 0.00003, currency: "SOL" }, { cost: 0.00002, currency: "SOL" }, { cost: 0.0001, currency: "BNB" }],
      info: { type: "LIMIT", orderListId: 42 }
    }
    const o = ok(decodeOrder(filled, rules("SOL/USDT"), ctx))
    assert.deepStrictEqual([text(o.cost), text(o.averagePrice), text(o.filled)], ["12.05", "241", "0.05"])
    assert.deepStrictEqual(feesText(o.fees), { SOL: "0.00005", BNB: "0.0001" })
    assert.deepStrictEqual(o.listId, Option.some("42"))
    const one = ok(decodeOrder({ ...filled, fees: [], info: {} }, rules("SOL/USDT"), ctx))
    assert.deepStrictEqual(feesText(one.fees), { SOL: "0.00005" })
    assert.isTrue(Option.isNone(one.listId))
  })

  it("fetchOrder: a filled LTC/USDT market sell carries its average price", () => {
    const o = ok(decodeOrder(spot["fetchOrder"]![0]!.parsedResponse, rules("LTC/USDT"), ctx))
    assert.strictEqual(o.type, "market")
    assert.strictEqual(o.side, "sell")
    assert.strictEqual(o.status, "closed")
    assert.strictEqual(text(o.price), null)
    assert.strictEqual(text(o.averagePrice), "90.8")
    assert.strictEqual(text(o.cost), "9.08")
    assert.strictEqual(text(o.quantity), "0.1")
    assert.strictEqual(text(o.filled), "0.1")
  })

  it("fetchOpenOrders and fetchOrders: lists decode entry by entry", () => {
    const open = ok(decodeOrders(spot["fetchOpenOrders"]![0]!.parsedResponse, rules("LTC/USDT"), ctx))
    assert.strictEqual(open.skipped.length, 0)
    assert.deepStrictEqual(open.orders.map((o) => [o.id, o.type, o.side, text(o.price), text(o.quantity), o.status]), [
      ["3811057334", "limit-maker", "buy", "50", "0.2", "open"]
    ])
    const all = ok(decodeOrders(spot["fetchOrders"]![0]!.parsedResponse, rules("LTC/USDT"), ctx))
    assert.deepStrictEqual(all.orders.map((o) => o.status), ["canceled"])
  })

  it("a list skips (and reports) the entries it cannot represent instead of failing whole", () => {
    const mixed = [spot["createOrder"]![0]!.parsedResponse, { ...(spot["createOrder"]![1]!.parsedResponse as object), side: "short" }]
    const r = ok(decodeOrders(mixed, undefined, ctx))
    assert.strictEqual(r.orders.length, 1)
    assert.strictEqual(r.skipped.length, 1)
    assert.isTrue(Result.isFailure(decodeOrders({ not: "a list" }, undefined, ctx)))
  })
})

describe("decodeOrder: float noise and bad values", () => {
  const base = {
    id: "1",
    clientOrderId: "oo_x",
    symbol: "HBAR/USDT",
    type: "limit",
    side: "buy",
    status: "open",
    price: 0.09,
    amount: 100,
    filled: 0,
    timestamp: 1
  }
  const hbar: MarketRules = {
    ...rules("TRX/USDT"),
    symbol: "HBAR/USDT",
    base: "HBAR",
    stepSize: D.unsafe("1"),
    minQuantity: D.unsafe("1")
  }

  it("float noise never passes: prices snap to the tick, amounts to the step", () => {
    const o = ok(decodeOrder({ ...base, price: 0.1 + 0.2 - 0.21, amount: 10.000000000000002, filled: 9.999999999999998 }, hbar, ctx))
    assert.strictEqual(text(o.price), "0.09")
    assert.strictEqual(text(o.quantity), "10")
    assert.strictEqual(text(o.filled), "10")
    assert.strictEqual(text(ok(decodeOrder({ ...base, price: 0.30000000000000004 }, undefined, ctx)).price), "0.3")
  })

  it("without a cost, the cost is the average fill times the quantity filled; the average is cost / filled", () => {
    const o = ok(decodeOrder({ ...base, status: "closed", filled: 100, average: 0.089, cost: null }, hbar, ctx))
    assert.deepStrictEqual([text(o.cost), text(o.averagePrice)], ["8.9", "0.089"])
    const exact = ok(decodeOrder({ ...base, status: "closed", filled: 3, average: 3.3333333333333335, cost: 10 }, hbar, ctx))
    assert.deepStrictEqual([text(exact.cost), text(exact.averagePrice)], ["10", "3.333333333333333333"])
  })

  it("a real off-grid value is kept, not rounded away", () => {
    const o = ok(decodeOrder({ ...base, filled: 0.5 }, hbar, ctx))
    assert.strictEqual(text(o.filled), "0.5")
  })

  it("missing client order id, filled and market price default sensibly", () => {
    const o = ok(decodeOrder({ ...base, clientOrderId: null, filled: null, type: "market", price: null }, hbar, ctx))
    assert.strictEqual(o.clientOrderId, "")
    assert.strictEqual(text(o.filled), "0")
    assert.strictEqual(text(o.price), null)
    assert.strictEqual(text(o.averagePrice), null)
  })

  for (
    const [title, patch] of [
      ["an unknown side", { side: "short" }],
      ["an unknown status", { status: "weird" }],
      ["a missing status", { status: null }],
      ["a missing amount", { amount: null }],
      ["a negative amount", { amount: -1 }],
      ["no timestamp", { timestamp: null }],
      ["a non-string id", { id: 42 }]
    ] as const
  ) {
    it(`rejects ${title} with ExchangeError UnreadableAnswer`, () => {
      const r = decodeOrder({ ...base, ...patch }, hbar, ctx)
      assert.isTrue(Result.isFailure(r), title)
      if (Result.isFailure(r)) {
        assert.strictEqual(r.failure._tag, "ExchangeError")
        assert.strictEqual(r.failure.reason, "UnreadableAnswer")
      }
    })
  }

  it("cleanNumber removes float noise and keeps exact values", () => {
    assert.strictEqual(Option.map(cleanNumber(0.1 + 0.2), dec).pipe(Option.getOrNull), "0.3")
    assert.strictEqual(Option.map(cleanNumber(73245.9), dec).pipe(Option.getOrNull), "73245.9")
    assert.strictEqual(Option.map(cleanNumber(1e-8), dec).pipe(Option.getOrNull), "0.00000001")
    assert.isTrue(Option.isNone(cleanNumber(Number.NaN)))
  })
})

describe("decodeBalances and decodeLastPrice", () => {
  it("fetchBalance: free and used per asset, exact", () => {
    const b = ok(decodeBalances(spot["fetchBalance"]![0]!.parsedResponse, ctx))
    assert.deepStrictEqual(
      [...b.entries()].map(([asset, { free, used }]) => [asset, dec(free), dec(used)]),
      [["BTC", "0", "0"], ["LTC", "0.919741", "0"], ["ETH", "0.02229833", "0"]]
    )
    assert.isTrue(Result.isFailure(decodeBalances({ free: { BTC: "lots" } }, ctx)))
  })

  it("fetchTicker (binance and binanceus recordings): the last price", () => {
    for (const entry of [...(spot["fetchTicker"] ?? []), ...(us["fetchTicker"] ?? [])]) {
      const last = ok(decodeLastPrice(entry.parsedResponse, D.unsafe("0.01"), ctx))
      assert.isTrue(Option.isSome(last), entry.description)
    }
    assert.strictEqual(
      Option.map(ok(decodeLastPrice(spot["fetchTicker"]![0]!.parsedResponse, undefined, ctx)), dec).pipe(Option.getOrNull),
      "73369.84"
    )
    assert.isTrue(Option.isNone(ok(decodeLastPrice({ last: null }, undefined, ctx))))
  })
})
