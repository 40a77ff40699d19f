/**
 * The Binance test server's read endpoints over the engine's orders and lists:
 * allOrders, myTrades and the order-list queries (orderList, openOrderList,
 * allOrderList), with the paging rules rest-api.md gives for each.
 */
import * as D from "./decimal.ts"
import { fail } from "./errors.ts"
import type { Engine } from "./engine.ts"
import { isExecuting, type OrderList } from "./lists.ts"
import type { Order, Params } from "./orders.ts"

const limitParam = (params: Params): number => Math.min(Number(params["limit"] ?? 500), 1000)
const numberParam = (params: Params, name: string): number | undefined => (params[name] === undefined ? undefined : Number(params[name]))
const inWindow = (time: number, start: number | undefined, end: number | undefined): boolean =>
  (start === undefined || time >= start) && (end === undefined || time <= end)

/** GET /api/v3/allOrders: ascending by orderId; from `orderId`/`startTime` upwards, else the most recent. */
export const allOrders = (engine: Engine, params: Params): ReadonlyArray<Order> => {
  const rules = engine.rules(params["symbol"])
  const limit = limitParam(params)
  const startTime = numberParam(params, "startTime")
  const fromId = numberParam(params, "orderId")
  const selected = engine.orders.filter(
    (o) => o.rules === rules && (fromId === undefined || o.orderId >= fromId) && inWindow(o.time, startTime, numberParam(params, "endTime"))
  )
  return fromId !== undefined || startTime !== undefined ? selected.slice(0, limit) : selected.slice(-limit)
}

/** GET /api/v3/myTrades: one symbol's fills ascending by trade id; from `fromId` upwards, else the most recent. */
export const trades = (engine: Engine, params: Params): ReadonlyArray<Record<string, unknown>> => {
  const rules = engine.rules(params["symbol"])
  const limit = limitParam(params)
  const startTime = numberParam(params, "startTime")
  const endTime = numberParam(params, "endTime")
  const fromId = numberParam(params, "fromId")
  const orderId = params["orderId"]
  const selected = engine.orders
    .filter((o) => o.rules === rules && (orderId === undefined || String(o.orderId) === orderId) && !engine.unlisted.has(String(o.orderId)))
    .flatMap((o) =>
      o.fills.map((f) => ({
        symbol: rules.symbol,
        id: f.tradeId,
        orderId: o.orderId,
        orderListId: o.orderListId,
        price: D.fmt(f.price),
        qty: D.fmt(f.qty),
        quoteQty: D.fmt(D.mul(f.price, f.qty)),
        commission: D.fmt(f.commission),
        commissionAsset: f.commissionAsset,
        time: f.time,
        isBuyer: o.side === "BUY",
        isMaker: f.isMaker,
        isBestMatch: true
      }))
    )
    .filter((t) => inWindow(t.time, startTime, endTime) && (fromId === undefined || t.id >= fromId))
    .sort((a, b) => a.id - b.id)
  return fromId !== undefined || startTime !== undefined ? selected.slice(0, limit) : selected.slice(-limit)
}

/** GET /api/v3/orderList: by `orderListId` or `origClientOrderId` (the list's client id, its latest use). */
export const findList = (engine: Engine, params: Params): OrderList => {
  const id = params["orderListId"]
  const clientId = params["origClientOrderId"]
  if (id === undefined && clientId === undefined) {
    return fail(-1102, "Param 'origClientOrderId' or 'orderListId' must be sent, but both were empty/null!")
  }
  const matches = engine.lists.filter((l) => (id !== undefined ? String(l.orderListId) === id : l.listClientOrderId === clientId))
  return matches[matches.length - 1] ?? fail(-2013, "Order list does not exist.")
}

/** GET /api/v3/openOrderList: the lists still executing. */
export const openLists = (engine: Engine): ReadonlyArray<OrderList> => engine.lists.filter(isExecuting)

/**
 * GET /api/v3/allOrderList: `fromId` upwards (not with a time window), else the
 * most recent; newest first, as rest-api.md's example lists them.
 */
export const allLists = (engine: Engine, params: Params): ReadonlyArray<OrderList> => {
  const fromId = numberParam(params, "fromId")
  const startTime = numberParam(params, "startTime")
  const endTime = numberParam(params, "endTime")
  if (fromId !== undefined && (startTime !== undefined || endTime !== undefined)) {
    fail(-1128, "Combination of optional parameters invalid.")
  }
  const selected = engine.lists.filter(
    (l) => (fromId === undefined || l.orderListId >= fromId) && inWindow(l.legs[0].time, startTime, endTime)
  )
  const limit = limitParam(params)
  const page = fromId !== undefined || startTime !== undefined ? selected.slice(0, limit) : selected.slice(-limit)
  return [...page].reverse()
}
