/**
 * The test server's stop orders, partial fills and trades, driven over HTTP with
 * signed requests as any Binance client sends them (and once through real ccxt):
 * the trigger rules Binance.US documents, the fields its queries return before and
 * after a trigger, the errors it answers, and fills in parts with a trade each.
 */
import ccxt from "ccxt"
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { type BinanceServer, startBinanceServer } from "./support/BinanceServer.ts"
import { signed } from "./support/binance/rest.ts"
import { pointAt } from "../src/layers/live/instance.ts"

const SECRET = "orders-secret"
/** Binance spot's order types, which Binance.US does not all offer. */
const ALL_TYPES = ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"]
let server: BinanceServer

type Json = Record<string, unknown>

const call = async (target: BinanceServer, method: string, path: string, params: Record<string, string>) =>
  signed(target, SECRET, method, path, { symbol: "HBARUSDT", ...params })
const place = async (params: Record<string, string>, target: BinanceServer = server) => call(target, "POST", "/api/v3/order", params)
const query = async (orderId: unknown, target: BinanceServer = server) =>
  (await call(target, "GET", "/api/v3/order", { orderId: String(orderId) })).body as Json
const myTrades = async (params: Record<string, string> = {}) =>
  (await call(server, "GET", "/api/v3/myTrades", params)).body as ReadonlyArray<Json>
const idOf = (answer: { readonly body: unknown }) => (answer.body as Json)["orderId"]

const stopLimit = (side: "BUY" | "SELL", stopPrice: string, price: string, quantity = "100", type = "STOP_LOSS_LIMIT") =>
  place({ side, type, timeInForce: "GTC", quantity, price, stopPrice })

beforeAll(async () => {
  server = await startBinanceServer({ secret: SECRET, balances: { USDT: "100", HBAR: "1000" }, prices: { HBARUSDT: "0.06" }, feeRate: "0.001" })
})
afterAll(() => server.close())
beforeEach(() => server.reset())

describe("stop orders", () => {
  it("a SELL STOP_LOSS_LIMIT waits untriggered (NEW, not working), then triggers at its stop and fills as taker", async () => {
    const placed = await stopLimit("SELL", "0.05", "0.049")
    expect(placed.status).toBe(200)
    expect(Object.keys(placed.body as Json).sort()).toEqual(["clientOrderId", "orderId", "orderListId", "symbol", "transactTime"]) // ACK by default
    expect(await query(idOf(placed))).toMatchObject({
      type: "STOP_LOSS_LIMIT", status: "NEW", stopPrice: "0.05000000", price: "0.04900000", orderListId: -1, isWorking: false, workingTime: -1
    })
    expect(server.balances()["HBAR"]).toEqual({ free: "900.00000000", locked: "100.00000000" })
    server.setPrice("HBARUSDT", "0.05001")
    expect((await query(idOf(placed)))["isWorking"]).toBe(false)
    server.setPrice("HBARUSDT", "0.05") // falls to the stop: a LIMIT at 0.049 that crosses at once
    const filled = await query(idOf(placed))
    expect(filled).toMatchObject({ status: "FILLED", isWorking: true, executedQty: "100.00000000", cummulativeQuoteQty: "5.00000000" })
    expect(filled["workingTime"]).toBeGreaterThan(0)
    expect(await myTrades()).toMatchObject([{ orderId: idOf(placed), price: "0.05000000", isMaker: false, commission: "0.00500000", commissionAsset: "USDT" }])
  })

  it("a triggered limit that does not cross rests, then fills at its limit as maker", async () => {
    const placed = await stopLimit("SELL", "0.05", "0.052")
    server.setPrice("HBARUSDT", "0.0495")
    expect(await query(idOf(placed))).toMatchObject({ status: "NEW", isWorking: true })
    expect(server.openOrders("HBARUSDT")).toHaveLength(1)
    server.setPrice("HBARUSDT", "0.052")
    expect(await query(idOf(placed))).toMatchObject({ status: "FILLED", cummulativeQuoteQty: "5.20000000" })
    expect((await myTrades())[0]).toMatchObject({ price: "0.05200000", isMaker: true })
  })

  it("a BUY STOP_LOSS_LIMIT triggers on a rise and locks its limit's quote; TAKE_PROFIT_LIMIT the other way round", async () => {
    const stop = await stopLimit("BUY", "0.07", "0.071")
    expect(server.balances()["USDT"]).toEqual({ free: "92.90000000", locked: "7.10000000" })
    const profit = await stopLimit("SELL", "0.08", "0.08", "100", "TAKE_PROFIT_LIMIT") // a SELL take-profit waits for a rise too
    server.setPrice("HBARUSDT", "0.069")
    expect((await query(idOf(stop)))["isWorking"]).toBe(false)
    server.setPrice("HBARUSDT", "0.07")
    expect(await query(idOf(stop))).toMatchObject({ status: "FILLED", cummulativeQuoteQty: "7.00000000" })
    expect(server.balances()["USDT"]).toEqual({ free: "93.00000000", locked: "0.00000000" }) // the 0.1 USDT over the fill price came back
    expect((await query(idOf(profit)))["status"]).toBe("NEW")
    server.setPrice("HBARUSDT", "0.08")
    expect((await query(idOf(profit)))["status"]).toBe("FILLED")
  })

  it("a stop whose trigger is already crossed is refused (-2010) and nothing is placed", async () => {
    for (const [side, type, stopPrice] of [["SELL", "STOP_LOSS_LIMIT", "0.06"], ["BUY", "STOP_LOSS_LIMIT", "0.059"], ["BUY", "TAKE_PROFIT_LIMIT", "0.061"]] as const) {
      const answer = await place({ side, type, timeInForce: "GTC", quantity: "100", price: "0.06", stopPrice })
      expect(answer).toEqual({ status: 400, body: { code: -2010, msg: "Stop price would trigger immediately." } })
    }
    expect(server.orders()).toEqual([])
  })

  it("types the symbol lacks, missing or unwanted parameters and the price filter on stopPrice are Binance's errors", async () => {
    expect((await place({ side: "SELL", type: "STOP_LOSS", quantity: "100", stopPrice: "0.05" })).body)
      .toEqual({ code: -2010, msg: "Stop loss orders are not supported for this symbol." })
    expect((await place({ side: "SELL", type: "STOP_LOSS_LIMIT", timeInForce: "GTC", quantity: "100", price: "0.05" })).body)
      .toEqual({ code: -1102, msg: "Mandatory parameter 'stopPrice' was not sent, was empty/null, or malformed." })
    expect((await place({ side: "SELL", type: "LIMIT", timeInForce: "GTC", quantity: "100", price: "0.07", stopPrice: "0.05" })).body)
      .toEqual({ code: -1106, msg: "Parameter 'stopPrice' sent when not required." })
    expect((await stopLimit("SELL", "0.050005", "0.05")).body).toEqual({ code: -1013, msg: "Filter failure: PRICE_FILTER" })
    expect(server.orders()).toEqual([])
  })

  it("with Binance spot's types, STOP_LOSS and TAKE_PROFIT become market orders that fill at the last price", async () => {
    const spot = await startBinanceServer({
      secret: SECRET, balances: { USDT: "100", HBAR: "1000" }, prices: { HBARUSDT: "0.06" }, symbolOverrides: { HBARUSDT: { orderTypes: ALL_TYPES } }
    })
    try {
      const stop = await place({ side: "SELL", type: "STOP_LOSS", quantity: "100", stopPrice: "0.05", newOrderRespType: "RESULT" }, spot)
      expect(stop.body).toMatchObject({ type: "STOP_LOSS", status: "NEW", price: "0.00000000", stopPrice: "0.05000000", workingTime: -1 })
      const profit = await place({ side: "BUY", type: "TAKE_PROFIT", quantity: "100", stopPrice: "0.045" }, spot)
      expect(spot.balances()["USDT"]).toEqual({ free: "95.50000000", locked: "4.50000000" }) // a market buy locks at its trigger
      spot.setPrice("HBARUSDT", "0.048") // below the stop loss: sells at 0.048; above the take profit
      expect(await query(idOf(stop), spot)).toMatchObject({ status: "FILLED", cummulativeQuoteQty: "4.80000000", isWorking: true })
      spot.setPrice("HBARUSDT", "0.044")
      expect(await query(idOf(profit), spot)).toMatchObject({ status: "FILLED", cummulativeQuoteQty: "4.40000000" })
      expect(spot.balances()).toMatchObject({ USDT: { free: "100.40000000", locked: "0.00000000" }, HBAR: { free: "1000.00000000", locked: "0.00000000" } })
    } finally {
      await spot.close()
    }
  })

  it("real ccxt places a stop-loss-limit with triggerPrice and reads it back as untriggered", async () => {
    const exchange = new ccxt.binanceus({ apiKey: server.apiKey, secret: SECRET, enableRateLimit: false, options: { maxRetriesOnFailure: 0 } })
    pointAt(exchange, server.url)
    try {
      await exchange.loadMarkets()
      const order = await exchange.createOrder("HBAR/USDT", "STOP_LOSS_LIMIT", "sell", 100, 0.049, { triggerPrice: 0.05 })
      expect(server.requestLog().at(-1)?.params).toMatchObject({ type: "STOP_LOSS_LIMIT", stopPrice: "0.05", price: "0.049" })
      const read = await exchange.fetchOrder(order.id!, "HBAR/USDT")
      expect(read).toMatchObject({ status: "open", triggerPrice: 0.05, price: 0.049, filled: 0 })
    } finally {
      await exchange.close()
    }
  })
})

describe("partial fills and trades", () => {
  it("setDepth: a crossing limit fills in parts, one trade and one commission each, and rests PARTIALLY_FILLED", async () => {
    server.setDepth("HBARUSDT", "30")
    const placed = await place({ side: "BUY", type: "LIMIT", timeInForce: "GTC", quantity: "100", price: "0.06", newOrderRespType: "FULL" })
    expect(placed.body).toMatchObject({ status: "PARTIALLY_FILLED", executedQty: "30.00000000", fills: [{ qty: "30.00000000" }] })
    server.setPrice("HBARUSDT", "0.06") // crosses the resting rest again: 30 more, as maker
    server.setPrice("HBARUSDT", "0.059")
    expect(await query(idOf(placed))).toMatchObject({ status: "PARTIALLY_FILLED", executedQty: "90.00000000" })
    server.setDepth("HBARUSDT", undefined)
    server.setPrice("HBARUSDT", "0.06")
    expect((await query(idOf(placed)))["status"]).toBe("FILLED")
    const trades = await myTrades({ orderId: String(idOf(placed)) })
    expect(trades.map((t) => [t["qty"], t["isMaker"], t["commission"]])).toEqual([
      ["30.00000000", false, "0.03000000"],
      ["30.00000000", true, "0.03000000"],
      ["30.00000000", true, "0.03000000"],
      ["10.00000000", true, "0.01000000"]
    ])
    expect(new Set(trades.map((t) => t["id"])).size).toBe(4)
    expect(server.balances()["HBAR"]?.free).toBe("1099.90000000") // 100 less 0.1 commission
  })

  it("setDepth: a market order fills what the depth holds and expires the rest; a depth of 0 fills nothing", async () => {
    server.setDepth("HBARUSDT", "40")
    const answer = await place({ side: "SELL", type: "MARKET", quantity: "100" })
    expect(answer.body).toMatchObject({ status: "EXPIRED", executedQty: "40.00000000", cummulativeQuoteQty: "2.40000000" })
    expect(server.balances()["HBAR"]).toEqual({ free: "960.00000000", locked: "0.00000000" })
    server.setDepth("HBARUSDT", "0") // no liquidity: a crossing limit rests untouched, even when the price crosses it again
    const resting = await place({ side: "BUY", type: "LIMIT", timeInForce: "GTC", quantity: "100", price: "0.06", newOrderRespType: "RESULT" })
    expect(resting.body).toMatchObject({ status: "NEW", executedQty: "0.00000000" })
    server.setPrice("HBARUSDT", "0.059")
    expect(await myTrades({ orderId: String(idOf(resting)) })).toEqual([])
  })

  it("fillOrder fills a part at a chosen price; myTrades pages by fromId and keeps orderListId", async () => {
    const placed = await place({ side: "SELL", type: "LIMIT", timeInForce: "GTC", quantity: "100", price: "0.07" })
    server.fillOrder("HBARUSDT", { orderId: Number(idOf(placed)) }, "25")
    server.fillOrder("HBARUSDT", { orderId: Number(idOf(placed)) }, "25", "0.071")
    expect(await query(idOf(placed))).toMatchObject({ status: "PARTIALLY_FILLED", executedQty: "50.00000000", cummulativeQuoteQty: "3.52500000" })
    const all = await myTrades()
    expect(all.map((t) => [t["price"], t["orderListId"]])).toEqual([["0.07000000", -1], ["0.07100000", -1]])
    expect((await myTrades({ fromId: String(all[1]?.["id"]) })).map((t) => t["id"])).toEqual([all[1]?.["id"]])
    expect(() => server.fillOrder("HBARUSDT", { orderId: Number(idOf(placed)) }, "51")).toThrow(/cannot fill/)
  })

  it("a duplicate newClientOrderId is refused while the first is open, stop orders included", async () => {
    await stopLimit("SELL", "0.05", "0.049").then(() => undefined)
    const first = server.orders()[0]!
    const again = await place({ side: "SELL", type: "LIMIT", timeInForce: "GTC", quantity: "100", price: "0.07", newClientOrderId: first.clientOrderId })
    expect(again.body).toEqual({ code: -2010, msg: "Duplicate order sent." })
  })
})
