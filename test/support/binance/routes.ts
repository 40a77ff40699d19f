/**
 * The Binance test server's order endpoints (rest-api.md "Account endpoints"):
 * single orders, OCO lists and their queries, each with Binance's weight. The
 * server (../BinanceServer.ts) adds market data, the account, the user stream
 * and what every request goes through (limits, signatures, faults).
 */
import type { Engine } from "./engine.ts"
import { fail } from "./errors.ts"
import type { Params } from "./orders.ts"
import { allLists, allOrders, findList, openLists, trades } from "./queries.ts"
import { cancelJson, newOrderJson, orderJson, orderListJson, orderListWithReports } from "./wire.ts"

export interface Route {
  readonly signed: boolean
  /** USER_STREAM security: the API key header only, no signature. */
  readonly keyed?: boolean
  readonly weight: (p: Params) => number
  readonly handle: (p: Params) => unknown
}

export const bySymbol = (one: number, all: number) => (p: Params) => (p["symbol"] === undefined ? all : one)
export const fixed = (w: number) => () => w

/** How many orders a request adds to the ORDERS rate limits: an OCO counts as 2. */
export const ordersAdded = (method: string, path: string): number =>
  method !== "POST" ? 0 : path === "/api/v3/order" ? 1 : path === "/api/v3/order/oco" ? 2 : 0

export const orderRoutes = (engine: Engine, clock: () => number, onCreated: (orders: number) => void): ReadonlyArray<readonly [string, Route]> => [
  ["POST /api/v3/order", {
    signed: true,
    weight: fixed(1),
    handle: (p) => {
      const order = engine.newOrder(p)
      onCreated(1)
      return newOrderJson(order, p["newOrderRespType"])
    }
  }],
  ["POST /api/v3/order/test", { signed: true, weight: fixed(1), handle: (p) => (engine.rules(p["symbol"]), {}) }],
  ["GET /api/v3/order", { signed: true, weight: fixed(2), handle: (p) => orderJson(engine.find(p, () => fail(-2013, "Order does not exist."))) }],
  ["DELETE /api/v3/order", { signed: true, weight: fixed(1), handle: (p) => cancelJson(engine.cancel(p), clock()) }],
  ["GET /api/v3/openOrders", { signed: true, weight: bySymbol(3, 40), handle: (p) => engine.openOrders(p["symbol"]).map(orderJson) }],
  ["DELETE /api/v3/openOrders", {
    signed: true,
    weight: fixed(1),
    handle: (p) => {
      const now = clock()
      return engine.cancelAll(p["symbol"]).map((c) =>
        c.kind === "order" ? cancelJson(c.order, now) : orderListWithReports(c.list, (leg) => cancelJson(leg, now))
      )
    }
  }],
  ["GET /api/v3/allOrders", { signed: true, weight: fixed(10), handle: (p) => allOrders(engine, p).map(orderJson) }],
  ["GET /api/v3/myTrades", { signed: true, weight: fixed(10), handle: (p) => trades(engine, p) }],
  ["POST /api/v3/order/oco", {
    signed: true,
    weight: fixed(1),
    handle: (p) => {
      const list = engine.newOco(p)
      onCreated(2)
      return orderListWithReports(list, (leg) => newOrderJson(leg, p["newOrderRespType"], "RESULT"))
    }
  }],
  ["DELETE /api/v3/orderList", {
    signed: true,
    weight: fixed(1),
    handle: (p) => {
      const list = engine.cancelList(p)
      const now = clock()
      return orderListWithReports(list, (leg) => cancelJson(leg, now))
    }
  }],
  ["GET /api/v3/orderList", { signed: true, weight: fixed(2), handle: (p) => orderListJson(findList(engine, p)) }],
  ["GET /api/v3/openOrderList", { signed: true, weight: fixed(3), handle: () => openLists(engine).map(orderListJson) }],
  ["GET /api/v3/allOrderList", { signed: true, weight: fixed(10), handle: (p) => allLists(engine, p).map(orderListJson) }]
]
