/**
 * Binance spot's REST answers, read by orderops itself (`src/layers/live/exchanges/binance/Rest.ts`),
 * against ccxt's unified parse of the same answers: the recorded Binance answers in
 * test/fixtures/ccxt, and variants of them over every status, type and side,
 * must give the same `OrderRecord` either way, and the same balances. What the
 * unified path would accept and the REST path refuses is listed and checked too.
 */
import { assert, describe, it } from "@effect/vitest"
import * as ccxt from "ccxt"
import { Option, Result, Schema } from "effect"
import { readFileSync } from "node:fs"
import {
  BinanceAccount,
  BinanceOrder,
  binanceOwnClientOrderId,
  decodeBinanceBalances,
  decodeBinanceOrder,
  decodeBinanceOrders,
  orderParams,
  quickBinanceAccount,
  quickBinanceOrder
} from "../src/layers/live/exchanges/binance/Rest.ts"
import { decodeBalances, decodeMarket, decodeOrder } from "../src/layers/live/decode.ts"
import * as D from "../src/services/Decimal.ts"
import { feesText, recordText, text } from "./support/amounts.ts"
import type { MarketRules } from "../src/services/MarketRules.ts"

const fixture = (path: string): unknown =>
  JSON.parse(readFileSync(new URL(`./fixtures/ccxt/${path}`, import.meta.url), "utf8"))

interface ResponseEntry {
  readonly description: string
  readonly httpResponse: unknown
  readonly parsedResponse: unknown
}
const spot = (fixture("response/binance.spot.json") as { readonly methods: Record<string, ReadonlyArray<ResponseEntry>> }).methods
const markets = fixture("markets/binanceus.json") as Record<string, { readonly info: Record<string, unknown> }>

const ctx = { operation: "test", symbol: "LTC/USDT", exchange: "binanceus" }

/** ccxt 4.5.84, offline: its own parse of the recorded markets and orders. */
const parser = new ccxt.binanceus({ options: { crossMarginPairsData: [], isolatedMarginPairsData: [] } })
const ccxtMarket = (symbol: string) => parser.parseMarket(markets[symbol]!.info)
const rules = (symbol: string): MarketRules => {
  const r = decodeMarket(ccxtMarket(symbol), { ...ctx, symbol })
  if (Result.isFailure(r)) throw r.failure
  return r.success
}
const symbolOf = (marketId: string): string | undefined => Object.keys(markets).find((s) => ccxtMarket(s)?.id === marketId)

type Raw = Readonly<Record<string, unknown>>

/** The record each path gives for one raw Binance order (of a recorded market), or its failure. */
const bothWays = (raw: Raw) => {
  const symbol = symbolOf(String(raw["symbol"]))!
  const market = ccxtMarket(symbol)!
  const viaRest = decodeBinanceOrder(raw, { symbol, id: String(market.id) }, { ...ctx, symbol })
  const viaUnified = decodeOrder(parser.parseOrder(structuredClone(raw) as Record<string, unknown>, market), rules(symbol), { ...ctx, symbol }, {
    ownClientOrderId: binanceOwnClientOrderId
  })
  return { viaRest, viaUnified }
}

const recordedOrders = (): ReadonlyArray<Raw> =>
  ["createOrder", "fetchOrder", "fetchOpenOrders", "fetchOrders"].flatMap((method) =>
    (spot[method] ?? []).flatMap((e) => (Array.isArray(e.httpResponse) ? e.httpResponse : [e.httpResponse]) as ReadonlyArray<Raw>)
  )

/** What the loopback server (and Binance) sends: numbers for ids and times. */
const wireOrder: Raw = {
  symbol: "LTCUSDT",
  orderId: 601,
  orderListId: -1,
  clientOrderId: "oo_mf3k2_0123456789abcdef",
  transactTime: 1795501401843,
  price: "50.00000000",
  origQty: "0.20000000",
  executedQty: "0.00000000",
  cummulativeQuoteQty: "0.00000000",
  status: "NEW",
  timeInForce: "GTC",
  type: "LIMIT",
  side: "BUY",
  workingTime: 1795501401843,
  selfTradePreventionMode: "NONE"
}

const REPRESENTABLE_STATUSES = [
  "NEW",
  "PARTIALLY_FILLED",
  "FILLED",
  "CANCELED",
  "PENDING_CANCEL",
  "REJECTED",
  "EXPIRED",
  "EXPIRED_IN_MATCH"
]

/**
 * Every recorded and wire-shaped order of a recorded market, over every status,
 * representable type and side; fills, cancel answers and timestamps.
 */
const variants = (): ReadonlyArray<Raw> => {
  const out: Array<Raw> = []
  for (const base of [...recordedOrders(), wireOrder].filter((o) => symbolOf(String(o["symbol"])) !== undefined)) {
    out.push(base)
    for (const status of REPRESENTABLE_STATUSES) {
      for (const type of ["LIMIT", "LIMIT_MAKER", "MARKET"]) {
        for (const side of ["BUY", "SELL"]) out.push({ ...base, status, type, side })
      }
      // Trigger orders: the limit kinds keep their limit price, the market kinds have none.
      for (const type of ["STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"]) {
        out.push({ ...base, status, type, side: "SELL", stopPrice: "45.00000000", ...(type.endsWith("LIMIT") ? {} : { price: "0.00000000" }) })
      }
    }
    // Fills, including an average price with no finite decimal form (10 / 3).
    for (const [executedQty, cummulativeQuoteQty] of [["0.10000000", "9.08000000"], ["3.00000000", "10.00000000"], ["0.05000000", "2.50000000"]]) {
      out.push({ ...base, type: "MARKET", price: "0.00000000", status: "FILLED", executedQty, cummulativeQuoteQty })
      out.push({ ...base, type: "LIMIT", status: "PARTIALLY_FILLED", executedQty, cummulativeQuoteQty })
    }
    // An OCO leg, and a FULL answer's fills with their commissions.
    out.push({ ...base, orderListId: 7 })
    out.push({
      ...base,
      status: "FILLED",
      executedQty: base["origQty"],
      cummulativeQuoteQty: "10.00000000",
      fills: [
        { price: "50.00000000", qty: "0.10000000", commission: "0.00010000", commissionAsset: "LTC", tradeId: 1 },
        { price: "50.00000000", qty: "0.10000000", commission: "0.00010000", commissionAsset: "LTC", tradeId: 2 }
      ]
    })
    // A cancel answer: the order's own client id is origClientOrderId.
    out.push({ ...base, status: "CANCELED", origClientOrderId: "oo_own", clientOrderId: "cancel-request-id" })
    // Times: only the update time, and only the transaction time.
    const { time: _t, workingTime: _w, transactTime: _x, ...untimed } = base
    out.push({ ...untimed, updateTime: 1700000000000 })
    out.push({ ...untimed, transactTime: "1700000000001" })
  }
  return out
}

describe("Binance REST answers read directly, against ccxt's unified parse", () => {
  it("every recorded order and every variant gives the same OrderRecord either way", () => {
    let compared = 0
    let refusedBoth = 0
    for (const raw of variants()) {
      const { viaRest, viaUnified } = bothWays(raw)
      if (Result.isFailure(viaRest)) {
        // What the REST path refuses, the unified path refuses too (a limit order priced 0, say).
        assert.isTrue(Result.isFailure(viaUnified), `${viaRest.failure.detail}: ${JSON.stringify(raw)}`)
        refusedBoth++
        continue
      }
      assert.isTrue(Result.isSuccess(viaUnified), JSON.stringify(raw))
      assert.deepStrictEqual(recordText(viaRest.success), recordText(Result.getOrThrow(viaUnified)), JSON.stringify(raw))
      compared++
    }
    assert.isAbove(compared, 200)
    assert.isAbove(refusedBoth, 0)
  })

  it("the recorded answers decode to the records the recordings' own parse gives", () => {
    const entry = spot["fetchOrder"]![0]!
    const viaRest = Result.getOrThrow(decodeBinanceOrder(entry.httpResponse, { symbol: "LTC/USDT", id: "LTCUSDT" }, ctx))
    assert.deepStrictEqual(recordText(viaRest), recordText(Result.getOrThrow(decodeOrder(entry.parsedResponse, rules("LTC/USDT"), ctx))))
    // A filled market sell: no limit price, its average fill is 9.08 / 0.1.
    assert.deepStrictEqual(
      [viaRest.type, viaRest.side, viaRest.status, text(viaRest.price), text(viaRest.averagePrice), text(viaRest.cost), text(viaRest.quantity), text(viaRest.filled), viaRest.timestamp],
      ["market", "sell", "closed", null, "90.8", "9.08", "0.1", "0.1", 1679571174472]
    )
  })

  it("a market order's average fill with no finite decimal form is cost / filled to 18 decimals; its cost is exact", () => {
    const o = Result.getOrThrow(
      decodeBinanceOrder(
        { ...wireOrder, type: "MARKET", status: "FILLED", executedQty: "3.00000000", cummulativeQuoteQty: "10.00000000" },
        { symbol: "LTC/USDT", id: "LTCUSDT" },
        ctx
      )
    )
    assert.deepStrictEqual([text(o.price), text(o.cost), text(o.averagePrice)], [null, "10", "3.333333333333333333"])
  })

  it("a cancel answer's record carries the order's own client order id, not the cancel request's", () => {
    const o = Result.getOrThrow(
      decodeBinanceOrder(
        { ...wireOrder, status: "CANCELED", origClientOrderId: "oo_own", clientOrderId: "cancel-req" },
        { symbol: "LTC/USDT", id: "LTCUSDT" },
        ctx
      )
    )
    assert.deepStrictEqual([o.clientOrderId, o.status, o.id], ["oo_own", "canceled", "601"])
  })

  it("stop and take-profit orders are represented with their type and trigger price, alone and in a list", () => {
    const takeProfit = spot["createOrder"]![1]!.httpResponse as Raw
    const tp = Result.getOrThrow(decodeBinanceOrder(takeProfit, { symbol: "ETH/USDT", id: "ETHUSDT" }, ctx))
    assert.deepStrictEqual([tp.id, tp.type, text(tp.price), text(tp.triggerPrice)], ["2672907", "take-profit", null, null]) // trailing
    const stop = { ...wireOrder, orderId: 602, type: "STOP_LOSS_LIMIT", stopPrice: "49.00000000", orderListId: 9 }
    const list = Result.getOrThrow(decodeBinanceOrders([wireOrder, stop], { symbol: "LTC/USDT", id: "LTCUSDT" }, ctx))
    assert.deepStrictEqual(list.orders.map((o) => [o.id, o.type, text(o.price), text(o.triggerPrice), Option.getOrNull(o.listId)]), [
      ["601", "limit", "50", null, null],
      ["602", "stop-loss-limit", "50", "49", "9"]
    ])
    assert.strictEqual(list.skipped.length, 0)
  })

  it("a FULL answer's fills give the order's fees by asset, summed exactly", () => {
    const fills = [
      { price: "50.00000000", qty: "0.10000000", commission: "0.00010000", commissionAsset: "LTC", tradeId: 1 },
      { price: "50.00000000", qty: "0.10000000", commission: "0.00020000", commissionAsset: "BNB", tradeId: 2 },
      { price: "50.00000000", qty: "0.00000000", commission: "0.00000001", commissionAsset: "LTC", tradeId: 3 }
    ]
    const o = Result.getOrThrow(decodeBinanceOrder({ ...wireOrder, status: "FILLED", fills }, { symbol: "LTC/USDT", id: "LTCUSDT" }, ctx))
    assert.deepStrictEqual(feesText(o.fees), { LTC: "0.00010001", BNB: "0.0002" })
  })

  const refused: ReadonlyArray<readonly [string, Raw, string]> = [
    ["another market's order", { ...wireOrder, symbol: "BTCUSDT" }, "BTCUSDT is not LTCUSDT"],
    ["an unknown status", { ...wireOrder, status: "PENDING_NEW_THING" }, "PENDING_NEW_THING"],
    ["an unknown side", { ...wireOrder, side: "HOLD" }, "HOLD"],
    ["an amount in exponent form", { ...wireOrder, origQty: "1e-8" }, "origQty"],
    ["a negative amount", { ...wireOrder, executedQty: "-1.0" }, "executedQty"],
    ["an empty price", { ...wireOrder, price: "" }, "price"],
    ["a limit order without a price", { ...wireOrder, price: undefined }, "price is missing"],
    ["an order with no positive time", { ...wireOrder, transactTime: -1, workingTime: 0 }, "no timestamp"],
    ["an order id that is not one", { ...wireOrder, orderId: null }, "orderId"]
  ]
  for (const [title, raw, detail] of refused) {
    it(`refuses ${title} with ExchangeError UnreadableAnswer`, () => {
      const r = decodeBinanceOrder(raw, { symbol: "LTC/USDT", id: "LTCUSDT" }, ctx)
      assert.isTrue(Result.isFailure(r), JSON.stringify(raw))
      const e = Result.isFailure(r) ? r.failure : undefined
      assert.deepStrictEqual([e?._tag, e?.reason], ["ExchangeError", "UnreadableAnswer"])
      assert.include(e?.detail, detail)
    })
  }

  it("an order list that is not a list fails; its entries are read one by one", () => {
    assert.isTrue(Result.isFailure(decodeBinanceOrders({ code: -1 }, { symbol: "LTC/USDT", id: "LTCUSDT" }, ctx)))
    const open = spot["fetchOpenOrders"]![0]!.httpResponse
    const list = Result.getOrThrow(decodeBinanceOrders(open, { symbol: "LTC/USDT", id: "LTCUSDT" }, ctx))
    assert.deepStrictEqual(list.orders.map((o) => [o.id, o.type, o.side, text(o.price), text(o.quantity), o.status]), [
      ["3811057334", "limit-maker", "buy", "50", "0.2", "open"]
    ])
  })
})

describe("Binance account balances read directly", () => {
  it("the recorded account gives the same balances as ccxt's unified parse, exactly", () => {
    const entry = spot["fetchBalance"]![0]!
    const show = (m: ReadonlyMap<string, { readonly free: D.Decimal; readonly used: D.Decimal }>) =>
      [...m.entries()].map(([asset, b]) => [asset, D.format(b.free), D.format(b.used)]).sort()
    const viaRest = Result.getOrThrow(decodeBinanceBalances(entry.httpResponse, ctx))
    assert.deepStrictEqual(show(viaRest), show(Result.getOrThrow(decodeBalances(entry.parsedResponse, ctx))))
    assert.deepStrictEqual(show(viaRest), [["BTC", "0", "0"], ["ETH", "0.02229833", "0"], ["LTC", "0.919741", "0"]])
  })

  it("an amount that is not a plain decimal, or an answer that is not an account, fails with ExchangeError UnreadableAnswer", () => {
    for (const raw of [{ balances: [{ asset: "BTC", free: "1e3", locked: "0" }] }, { balances: "none" }, []]) {
      const r = decodeBinanceBalances(raw, ctx)
      assert.isTrue(Result.isFailure(r), JSON.stringify(raw))
      assert.strictEqual(Result.isFailure(r) && r.failure.reason, "UnreadableAnswer")
    }
  })
})

describe("Binance requests", () => {
  const order = (price: Option.Option<D.Decimal>) => ({
    clientOrderId: "oo_x",
    symbol: "HBAR/USDT",
    side: price._tag === "Some" ? "buy" as const : "sell" as const,
    type: price._tag === "Some" ? "limit" as const : "market" as const,
    price,
    triggerPrice: Option.none(),
    quantity: D.unsafe("100.0")
  })

  it("a limit order goes good-till-cancelled with exact decimal strings; a market order without a price", () => {
    assert.deepStrictEqual(orderParams(order(Option.some(D.unsafe("0.05000"))), "HBARUSDT"), {
      symbol: "HBARUSDT",
      side: "BUY",
      type: "LIMIT",
      timeInForce: "GTC",
      quantity: "100",
      price: "0.05",
      newClientOrderId: "oo_x",
      newOrderRespType: "RESULT"
    })
    assert.deepStrictEqual(orderParams(order(Option.none()), "HBARUSDT"), {
      symbol: "HBARUSDT",
      side: "SELL",
      type: "MARKET",
      quantity: "100",
      newClientOrderId: "oo_x",
      newOrderRespType: "RESULT"
    })
  })
})

describe("Decimal.parsePlain", () => {
  it("reads plain non-negative decimals without their trailing zeros, and nothing else", () => {
    const cases: ReadonlyArray<readonly [string, string | undefined]> = [
      ["0.05000000", "0.05"],
      ["100", "100"],
      ["100.00000000", "100"],
      ["0.00000000", "0"],
      ["0", "0"],
      ["007.50", "7.5"],
      ["12345678.12345678", "12345678.12345678"],
      ["", undefined],
      [".5", undefined],
      ["5.", undefined],
      ["-1", undefined],
      ["1e-8", undefined],
      [" 1", undefined],
      ["1.2.3", undefined],
      ["0x10", undefined]
    ]
    for (const [text, expected] of cases) {
      const d = D.parsePlain(text)
      assert.strictEqual(d === undefined ? undefined : D.format(d), expected, text)
    }
    assert.strictEqual(D.parsePlain("0.05000000")!.scale, 2)
  })
})

describe("quick checks of Binance answers", () => {
  const awkward: ReadonlyArray<unknown> = [undefined, null, "", "x", 0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, {}, [], true]

  it("the quick order check accepts only what BinanceOrder accepts, and the usual orders", () => {
    const is = Schema.is(BinanceOrder)
    let accepted = 0
    for (const base of [...recordedOrders(), wireOrder]) {
      for (const key of [...Object.keys(base), "origClientOrderId", "time", "updateTime"]) {
        for (const v of awkward) {
          const raw = { ...base, [key]: v }
          if (quickBinanceOrder(raw)) {
            accepted++
            assert.isTrue(is(raw), `quickBinanceOrder accepted what the schema refuses: ${JSON.stringify(raw)}`)
          }
        }
      }
    }
    for (const raw of ["not an object", null, [], 42]) assert.isFalse(quickBinanceOrder(raw))
    assert.isAbove(accepted, 100)
    assert.isTrue(quickBinanceOrder(wireOrder))
  })

  it("the quick account check accepts only what BinanceAccount accepts, and the recorded account", () => {
    const is = Schema.is(BinanceAccount)
    const account = spot["fetchBalance"]![0]!.httpResponse as { readonly balances: ReadonlyArray<Raw> }
    let accepted = 0
    for (const key of ["asset", "free", "locked"]) {
      for (const v of awkward) {
        const raw = { ...account, balances: [account.balances[0]!, { ...account.balances[1]!, [key]: v }] }
        if (quickBinanceAccount(raw)) {
          accepted++
          assert.isTrue(is(raw), `quickBinanceAccount accepted what the schema refuses: ${JSON.stringify(raw)}`)
        }
      }
    }
    for (const raw of [{ balances: "x" }, { balances: [null] }, null, []]) assert.isFalse(quickBinanceAccount(raw))
    assert.isAbove(accepted, 2)
    assert.isTrue(quickBinanceAccount(account))
  })
})
