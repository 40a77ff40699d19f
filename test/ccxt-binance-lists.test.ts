/**
 * Binance's trigger-order and OCO requests as orderops builds them, sent through
 * ccxt's implicit endpoint methods to the loopback Binance server: the server (which
 * checks parameters as Binance.US documents them) takes them, and the answers read
 * back into lists and orders.
 */
import * as ccxt from "ccxt"
import { Option, Result } from "effect"
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import {
  type BinanceListRest,
  flattenListEntries,
  ocoParams,
  readBinanceOrderList
} from "../src/layers/live/exchanges/binance/RestLists.ts"
import { orderParams } from "../src/layers/live/exchanges/binance/Rest.ts"
import { pointAt } from "../src/layers/live/instance.ts"
import { decodeContext } from "../src/layers/live/RawOrder.ts"
import * as D from "../src/services/Decimal.ts"
import { type BinanceServer, startBinanceServer } from "./support/BinanceServer.ts"

const SECRET = "lists-secret"
let server: BinanceServer
let exchange: ccxt.binanceus
type Rest = BinanceListRest & {
  privatePostOrder(p: object): Promise<unknown>
  privateDeleteOpenOrders(p: object): Promise<unknown>
  privateGetOpenOrderList(p: object): Promise<unknown>
}
const rest = () => exchange as unknown as Rest
const ctx = decodeContext("binanceus", "test", "HBAR/USDT")
const dec = D.unsafe

beforeAll(async () => {
  server = await startBinanceServer({
    secret: SECRET,
    balances: { USDT: "100", HBAR: "1000" },
    prices: { HBARUSDT: "0.06" },
    symbolOverrides: { HBARUSDT: { orderTypes: ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"] } }
  })
  exchange = new ccxt.binanceus({ apiKey: server.apiKey, secret: SECRET, enableRateLimit: false, options: { maxRetriesOnFailure: 0 } })
  pointAt(exchange, server.url)
  await exchange.loadMarkets()
})
afterAll(async () => {
  await exchange.close()
  await server.close()
})
beforeEach(() => server.reset())

const sellOco = (stopLimitPrice: Option.Option<D.Decimal>) =>
  ocoParams({
    symbol: "HBAR/USDT",
    side: "sell",
    quantity: dec("100"),
    price: dec("0.07"),
    triggerPrice: dec("0.05"),
    stopLimitPrice,
    listClientOrderId: "oo_list",
    limitClientOrderId: "oo_tp",
    stopClientOrderId: "oo_sl"
  }, "HBARUSDT")

describe("Binance trigger orders", () => {
  it("every trigger type and LIMIT_MAKER goes out as the server accepts it, the trigger as stopPrice", async () => {
    const cases = [
      ["stop-loss", Option.none(), "0.05", "STOP_LOSS"],
      ["stop-loss-limit", Option.some(dec("0.049")), "0.05", "STOP_LOSS_LIMIT"],
      ["take-profit", Option.none(), "0.07", "TAKE_PROFIT"],
      ["take-profit-limit", Option.some(dec("0.071")), "0.07", "TAKE_PROFIT_LIMIT"],
      ["limit-maker", Option.some(dec("0.07")), undefined, "LIMIT_MAKER"]
    ] as const
    for (const [type, price, trigger, wire] of cases) {
      const params = orderParams({
        symbol: "HBAR/USDT",
        clientOrderId: `oo_${type}`,
        side: "sell",
        type,
        quantity: dec("30"),
        price,
        triggerPrice: trigger === undefined ? Option.none() : Option.some(dec(trigger))
      }, "HBARUSDT")
      const answer = (await rest().privatePostOrder(params)) as Record<string, unknown>
      expect(answer).toMatchObject({ type: wire, status: "NEW", clientOrderId: `oo_${type}` })
      if (trigger !== undefined) expect(D.eq(dec(String(answer["stopPrice"])), dec(trigger))).toBe(true)
    }
    expect(server.openOrders("HBARUSDT").map((o) => o.type)).toEqual(cases.map((c) => c[3]))
  })
})

describe("Binance OCO lists", () => {
  it("an OCO goes out with orderops' three client ids and reads back as a list with both legs' reports", async () => {
    const raw = await rest().privatePostOrderOco(sellOco(Option.some(dec("0.049"))))
    const list = Result.getOrThrow(readBinanceOrderList(raw, "HBARUSDT", ctx))
    expect(list).toMatchObject({ listClientOrderId: "oo_list", executing: true })
    expect(list.legs.map((l) => l.clientOrderId)).toEqual(["oo_sl", "oo_tp"])
    expect(list.reports.map((r) => (r as { type: string }).type)).toEqual(["STOP_LOSS_LIMIT", "LIMIT_MAKER"])
    // The list is found again by its client id, as after a lost answer.
    const found = Result.getOrThrow(readBinanceOrderList(await rest().privateGetOrderList({ origClientOrderId: "oo_list" }), "HBARUSDT", ctx))
    expect(found.listId).toBe(list.listId)
    const open = (await rest().privateGetOpenOrderList({})) as ReadonlyArray<unknown>
    expect(open.map((l) => Result.getOrThrow(readBinanceOrderList(l, "HBARUSDT", ctx)).listId)).toEqual([list.listId])
    const cancelled = Result.getOrThrow(
      readBinanceOrderList(await rest().privateDeleteOrderList({ symbol: "HBARUSDT", orderListId: list.listId }), "HBARUSDT", ctx)
    )
    expect(cancelled.executing).toBe(false)
    expect(cancelled.reports.map((r) => (r as { status: string }).status)).toEqual(["CANCELED", "CANCELED"])
  })

  it("a STOP_LOSS leg goes out without a stop limit; a list of another market is refused", async () => {
    const raw = await rest().privatePostOrderOco(sellOco(Option.none()))
    const list = Result.getOrThrow(readBinanceOrderList(raw, "HBARUSDT", ctx))
    expect(list.reports.map((r) => (r as { type: string }).type)).toEqual(["STOP_LOSS", "LIMIT_MAKER"])
    const other = readBinanceOrderList(raw, "BTCUSDT", ctx)
    expect(Result.isFailure(other) && other.failure.reason).toBe("UnreadableAnswer")
  })

  it("a cancel-all answer's list entries become their legs' cancel reports", async () => {
    await rest().privatePostOrderOco(sellOco(Option.some(dec("0.049"))))
    await rest().privatePostOrder(orderParams({
      symbol: "HBAR/USDT", clientOrderId: "oo_single", side: "buy", type: "limit", quantity: dec("100"), price: Option.some(dec("0.05")), triggerPrice: Option.none()
    }, "HBARUSDT"))
    const flat = flattenListEntries(await rest().privateDeleteOpenOrders({ symbol: "HBARUSDT" })) as ReadonlyArray<Record<string, unknown>>
    expect(flat.map((o) => [o["origClientOrderId"], o["status"]]).sort()).toEqual(
      [["oo_single", "CANCELED"], ["oo_sl", "CANCELED"], ["oo_tp", "CANCELED"]]
    )
  })
})
