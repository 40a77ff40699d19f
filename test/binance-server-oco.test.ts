/**
 * The test server's OCO lists over HTTP, as Binance.US documents
 * `POST /api/v3/order/oco` and the orderList endpoints: the answer's shape, the
 * price rules, one leg ending the other, cancels by leg, by list and for the whole
 * symbol, duplicates, lost answers, and the user stream's `listStatus` events.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { WebSocket } from "ws"
import { type BinanceServer, startBinanceServer } from "./support/BinanceServer.ts"
import { signed, userDataStream } from "./support/binance/rest.ts"

const SECRET = "oco-secret"
let server: BinanceServer

type Json = Record<string, unknown>

const call = async (method: string, path: string, params: Record<string, string>, target: BinanceServer = server) =>
  signed(target, SECRET, method, path, { symbol: "HBARUSDT", ...params })
/** A SELL OCO of 100 HBAR: take profit at 0.07, stop at 0.05 (last 0.06). */
const sellOco = (params: Record<string, string> = {}, target: BinanceServer = server) =>
  call("POST", "/api/v3/order/oco", { side: "SELL", quantity: "100", price: "0.07", stopPrice: "0.05", ...params }, target)
const order = async (orderId: unknown) => (await call("GET", "/api/v3/order", { orderId: String(orderId) })).body as Json
const list = async (params: Record<string, string>) => (await signed(server, SECRET, "GET", "/api/v3/orderList", params)).body as Json
const legIds = (answer: { readonly body: unknown }) => ((answer.body as Json)["orders"] as ReadonlyArray<Json>).map((o) => o["orderId"])

beforeAll(async () => {
  server = await startBinanceServer({ secret: SECRET, balances: { USDT: "100", HBAR: "1000" }, prices: { HBARUSDT: "0.06" } })
})
afterAll(() => server.close())
beforeEach(() => server.reset())

describe("POST /api/v3/order/oco", () => {
  it("answers with the list and both legs' reports: the stop leg first, then the LIMIT_MAKER; the base is locked once", async () => {
    const answer = await sellOco({ listClientOrderId: "list-1", limitClientOrderId: "tp-1", stopClientOrderId: "sl-1", stopLimitPrice: "0.049", stopLimitTimeInForce: "GTC" })
    expect(answer.status).toBe(200)
    const body = answer.body as Json
    expect(body).toMatchObject({
      contingencyType: "OCO", listStatusType: "EXEC_STARTED", listOrderStatus: "EXECUTING", listClientOrderId: "list-1", symbol: "HBARUSDT",
      orders: [{ symbol: "HBARUSDT", clientOrderId: "sl-1" }, { symbol: "HBARUSDT", clientOrderId: "tp-1" }],
      orderReports: [
        { clientOrderId: "sl-1", type: "STOP_LOSS_LIMIT", side: "SELL", price: "0.04900000", stopPrice: "0.05000000", status: "NEW", workingTime: -1 },
        { clientOrderId: "tp-1", type: "LIMIT_MAKER", side: "SELL", price: "0.07000000", status: "NEW" }
      ]
    })
    const listId = body["orderListId"]
    expect((body["orderReports"] as ReadonlyArray<Json>).map((r) => r["orderListId"])).toEqual([listId, listId])
    expect(server.balances()["HBAR"]).toEqual({ free: "900.00000000", locked: "100.00000000" })
    const open = (await call("GET", "/api/v3/openOrders", {})).body as ReadonlyArray<Json>
    expect(open.map((o) => [o["type"], o["orderListId"], o["isWorking"]])).toEqual([["STOP_LOSS_LIMIT", listId, false], ["LIMIT_MAKER", listId, true]])
    expect(await list({ orderListId: String(listId) })).toMatchObject({ listClientOrderId: "list-1", listOrderStatus: "EXECUTING" })
    expect(await list({ origClientOrderId: "list-1" })).toMatchObject({ orderListId: listId })
    expect(await list({ origClientOrderId: "nope" })).toEqual({ code: -2013, msg: "Order list does not exist." })
    const ack = (await sellOco({ price: "0.08", stopLimitPrice: "0.049", stopLimitTimeInForce: "GTC", newOrderRespType: "ACK" })).body as Json
    expect((ack["orderReports"] as ReadonlyArray<Json>).map((r) => Object.keys(r).sort()))
      .toEqual([["clientOrderId", "orderId", "orderListId", "symbol", "transactTime"], ["clientOrderId", "orderId", "orderListId", "symbol", "transactTime"]])
  })

  it("refuses prices out of order, a symbol without OCO, a stop type the symbol lacks, and a limit leg off the filters", async () => {
    const badPrices = { code: -2010, msg: "The relationship of the prices for the orders is not correct." }
    expect((await sellOco({ price: "0.059" })).body).toEqual(badPrices) // SELL: limit > last > stop
    expect((await sellOco({ stopPrice: "0.06" })).body).toEqual(badPrices)
    expect((await call("POST", "/api/v3/order/oco", { side: "BUY", quantity: "100", price: "0.05", stopPrice: "0.059" })).body).toEqual(badPrices)
    expect((await sellOco()).body).toEqual({ code: -2010, msg: "Stop loss orders are not supported for this symbol." }) // Binance.US: no STOP_LOSS
    expect((await sellOco({ stopLimitPrice: "0.049" })).body)
      .toEqual({ code: -1102, msg: "Mandatory parameter 'stopLimitTimeInForce' was not sent, was empty/null, or malformed." })
    expect((await sellOco({ price: "0.070001", stopLimitPrice: "0.049", stopLimitTimeInForce: "GTC" })).body)
      .toEqual({ code: -1013, msg: "Filter failure: PRICE_FILTER" })
    const noOco = await startBinanceServer({ secret: SECRET, balances: { HBAR: "1000" }, prices: { HBARUSDT: "0.06" }, symbolOverrides: { HBARUSDT: { ocoAllowed: false } } })
    try {
      expect((await sellOco({}, noOco)).body).toEqual({ code: -2010, msg: "OCO orders are not supported for this symbol" })
    } finally {
      await noOco.close()
    }
    expect(server.orders()).toEqual([])
  })

  it("a list or leg client id in use while open is a duplicate (-2010); a finished list's id can be used again", async () => {
    const params = { listClientOrderId: "dup", stopLimitPrice: "0.049", stopLimitTimeInForce: "GTC" }
    await sellOco(params)
    expect((await sellOco(params)).body).toEqual({ code: -2010, msg: "Duplicate order sent." })
    await call("POST", "/api/v3/order", { side: "BUY", type: "LIMIT", timeInForce: "GTC", quantity: "100", price: "0.05", newClientOrderId: "taken" })
    expect((await sellOco({ ...params, listClientOrderId: "other", limitClientOrderId: "taken" })).body).toEqual({ code: -2010, msg: "Duplicate order sent." })
    await call("DELETE", "/api/v3/orderList", { listClientOrderId: "dup" })
    expect((await sellOco(params)).status).toBe(200)
    expect(server.orderLists().map((l) => [l.listClientOrderId, l.listOrderStatus])).toEqual([["dup", "ALL_DONE"], ["dup", "EXECUTING"]])
  })
})

describe("one leg ends the other", () => {
  const stopLimit = { stopLimitPrice: "0.049", stopLimitTimeInForce: "GTC" }

  it("the limit leg filling (even in part) expires the stop leg and ends the list", async () => {
    const [stopId, limitId] = legIds(await sellOco(stopLimit))
    server.fillOrder("HBARUSDT", { orderId: Number(limitId) }, "40")
    expect(await order(stopId)).toMatchObject({ status: "EXPIRED" })
    expect(await order(limitId)).toMatchObject({ status: "PARTIALLY_FILLED" })
    expect(await list({ orderListId: String(server.orderLists()[0]?.orderListId) })).toMatchObject({ listStatusType: "ALL_DONE", listOrderStatus: "ALL_DONE" })
    server.setPrice("HBARUSDT", "0.07")
    expect(await order(limitId)).toMatchObject({ status: "FILLED", cummulativeQuoteQty: "7.00000000" })
    expect(server.balances()).toMatchObject({ HBAR: { free: "900.00000000", locked: "0.00000000" }, USDT: { free: "107.00000000" } })
  })

  it("the stop triggering expires the limit leg; the stop then fills as the limit it became", async () => {
    const [stopId, limitId] = legIds(await sellOco(stopLimit))
    server.setPrice("HBARUSDT", "0.05")
    expect(await order(limitId)).toMatchObject({ status: "EXPIRED" })
    expect(await order(stopId)).toMatchObject({ status: "FILLED", isWorking: true, cummulativeQuoteQty: "5.00000000" })
    expect(server.orderLists()[0]).toMatchObject({ listOrderStatus: "ALL_DONE" })
    expect(server.balances()).toMatchObject({ HBAR: { free: "900.00000000", locked: "0.00000000" }, USDT: { free: "105.00000000" } })
  })

  it("a BUY OCO locks the larger leg's quote once and gives back the rest when a leg ends", async () => {
    const answer = await call("POST", "/api/v3/order/oco", { side: "BUY", quantity: "100", price: "0.05", stopPrice: "0.07", stopLimitPrice: "0.071", stopLimitTimeInForce: "GTC" })
    expect(server.balances()["USDT"]).toEqual({ free: "92.90000000", locked: "7.10000000" })
    server.setPrice("HBARUSDT", "0.05")
    expect(await order(legIds(answer)[1])).toMatchObject({ status: "FILLED" })
    expect(server.balances()["USDT"]).toEqual({ free: "95.00000000", locked: "0.00000000" })
  })
})

describe("cancelling", () => {
  const stopLimit = { stopLimitPrice: "0.049", stopLimitTimeInForce: "GTC" }

  it("DELETE /api/v3/order on either leg cancels the whole list and answers for that leg", async () => {
    const [stopId, limitId] = legIds(await sellOco(stopLimit))
    const answer = await call("DELETE", "/api/v3/order", { orderId: String(limitId), newClientOrderId: "cx-1" })
    expect(answer.body).toMatchObject({ orderId: limitId, status: "CANCELED", clientOrderId: "cx-1", orderListId: server.orderLists()[0]?.orderListId })
    expect(await order(stopId)).toMatchObject({ status: "CANCELED" })
    expect(server.orderLists()[0]).toMatchObject({ listStatusType: "ALL_DONE" })
    expect(server.balances()["HBAR"]).toEqual({ free: "1000.00000000", locked: "0.00000000" })
  })

  it("DELETE /api/v3/orderList by id or client id answers with both cancel reports; a done list is -2011", async () => {
    const first = (await sellOco({ ...stopLimit, listClientOrderId: "a" })).body as Json
    await sellOco({ ...stopLimit, listClientOrderId: "b" })
    const byId = await call("DELETE", "/api/v3/orderList", { orderListId: String(first["orderListId"]), newClientOrderId: "cx" })
    expect(byId.body).toMatchObject({
      listClientOrderId: "a", listStatusType: "ALL_DONE", listOrderStatus: "ALL_DONE",
      orderReports: [{ status: "CANCELED", clientOrderId: "cx", type: "STOP_LOSS_LIMIT", stopPrice: "0.05000000" }, { status: "CANCELED", clientOrderId: "cx" }]
    })
    expect((await call("DELETE", "/api/v3/orderList", { listClientOrderId: "b" })).body).toMatchObject({ listClientOrderId: "b", listOrderStatus: "ALL_DONE" })
    expect((await call("DELETE", "/api/v3/orderList", { listClientOrderId: "a" })).body).toEqual({ code: -2011, msg: "Unknown order list sent." })
    expect((await signed(server, SECRET, "GET", "/api/v3/openOrderList", {})).body).toEqual([])
  })

  it("DELETE /api/v3/openOrders cancels single orders and whole lists, a list entry for each list", async () => {
    await call("POST", "/api/v3/order", { side: "BUY", type: "LIMIT", timeInForce: "GTC", quantity: "100", price: "0.05" })
    await sellOco(stopLimit)
    const answer = (await call("DELETE", "/api/v3/openOrders", {})).body as ReadonlyArray<Json>
    expect(answer).toHaveLength(2)
    expect(answer[0]).toMatchObject({ status: "CANCELED", orderListId: -1 })
    expect(answer[1]).toMatchObject({ contingencyType: "OCO", listOrderStatus: "ALL_DONE", orderReports: [{ status: "CANCELED" }, { status: "CANCELED" }] })
    expect(server.openOrders("HBARUSDT")).toEqual([])
  })

  it("allOrderList lists newest first; fromId pages from a list id upwards", async () => {
    for (const id of ["l1", "l2", "l3"]) {
      await sellOco({ ...stopLimit, listClientOrderId: id })
      await call("DELETE", "/api/v3/orderList", { listClientOrderId: id })
    }
    const all = (await signed(server, SECRET, "GET", "/api/v3/allOrderList", {})).body as ReadonlyArray<Json>
    expect(all.map((l) => l["listClientOrderId"])).toEqual(["l3", "l2", "l1"])
    const from = (await signed(server, SECRET, "GET", "/api/v3/allOrderList", { fromId: String(all[1]?.["orderListId"]), limit: "1" })).body as ReadonlyArray<Json>
    expect(from.map((l) => l["listClientOrderId"])).toEqual(["l2"])
  })
})

describe("faults and the user stream", () => {
  const stopLimit = { stopLimitPrice: "0.049", stopLimitTimeInForce: "GTC" }

  it("a lost answer on the OCO or the list cancel: the server acted, the list is found by its client id", async () => {
    server.processThenDrop({ method: "POST", path: "/api/v3/order/oco" })
    await expect(sellOco({ ...stopLimit, listClientOrderId: "lost" })).rejects.toThrow()
    expect(await list({ origClientOrderId: "lost" })).toMatchObject({ listOrderStatus: "EXECUTING" })
    expect(server.counters().created).toBe(2)
    server.processThenDrop({ method: "DELETE", path: "/api/v3/orderList" })
    await expect(call("DELETE", "/api/v3/orderList", { listClientOrderId: "lost" })).rejects.toThrow()
    expect(await list({ origClientOrderId: "lost" })).toMatchObject({ listOrderStatus: "ALL_DONE" })
    server.dropBeforeProcessing({ path: "/api/v3/order" }) // a single-order fault does not catch the list endpoint
    expect((await call("GET", "/api/v3/orderList", { orderListId: String(server.orderLists()[0]?.orderListId) })).status).toBe(200)
    expect(server.requestLog().map((r) => r.outcome)).toEqual(["processedThenDropped", "answered", "processedThenDropped", "answered", "answered"])
  })

  it("an OCO counts as two orders against the order rate limit", async () => {
    await sellOco(stopLimit)
    const limits = (await signed(server, SECRET, "GET", "/api/v3/rateLimit/order", {})).body as ReadonlyArray<Json>
    expect(limits.map((l) => l["count"])).toEqual([2, 2])
  })

  it("listStatus follows the legs' executionReports when a list starts and when a trigger ends it", async () => {
    const key = ((await userDataStream(server, "POST")).body as Json)["listenKey"] as string
    const ws = new WebSocket(`${server.url.replace("http", "ws")}/ws/${key}`)
    const events: Array<Json> = []
    ws.on("message", (data) => events.push(JSON.parse(String(data)) as Json))
    await new Promise((resolve) => ws.once("open", resolve))
    try {
      const [stopId, limitId] = legIds(await sellOco({ ...stopLimit, listClientOrderId: "ws" }))
      server.setPrice("HBARUSDT", "0.05")
      await expect.poll(() => events.filter((e) => e["e"] !== "outboundAccountPosition").length).toBe(7)
      const seen = events.filter((e) => e["e"] !== "outboundAccountPosition")
        .map((e) => (e["e"] === "listStatus" ? `list ${e["l"]}/${e["L"]}` : `${e["i"] === stopId ? "stop" : e["i"] === limitId ? "limit" : "?"} ${e["x"]} ${e["X"]} w=${e["w"]}`))
      expect(seen).toEqual([
        "stop NEW NEW w=false", "limit NEW NEW w=true", "list EXEC_STARTED/EXECUTING",
        "limit EXPIRED EXPIRED w=false", "list ALL_DONE/ALL_DONE", "stop NEW NEW w=true", "stop TRADE FILLED w=false"
      ])
      const stopReport = events.find((e) => e["e"] === "executionReport" && e["i"] === stopId)
      expect(stopReport).toMatchObject({ o: "STOP_LOSS_LIMIT", P: "0.05000000", p: "0.04900000", g: server.orderLists()[0]?.orderListId })
      expect(stopReport).not.toHaveProperty("W") // not working before its trigger
      const triggered = events.filter((e) => e["e"] === "executionReport" && e["i"] === stopId)[1]
      expect(triggered?.["W"]).toBeGreaterThanOrEqual(Number(stopReport?.["O"]))
      expect(events.find((e) => e["e"] === "listStatus")).toMatchObject({ c: "OCO", C: "ws", O: [{ s: "HBARUSDT", i: stopId }, { s: "HBARUSDT", i: limitId }] })
    } finally {
      ws.terminate()
    }
  })
})
