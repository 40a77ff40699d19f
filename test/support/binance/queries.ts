/**
 * The Binance test server's read endpoints over the engine's orders and lists:
 * allOrders, myTrades and the order-list queries (orderList, openOrderList,
 * allOrderList), with the paging rules rest-api.md gives for each: a page of at most
 * 1000 (-1130 beyond), a time window of at most 24 hours (-1127 beyond), and for
 * myTrades and allOrderList no `fromId` with a window (-1128).
 */
import * as D from "./decimal.ts"
import { fail } from "./errors.ts"
import type { Engine } from "./engine.ts"
import { isExecuting, type OrderList } from "./lists.ts"
import type { Order, Params } from "./orders.ts"

const DAY_MS = 86_400_000

/** `limit`: 500 by default, at most 1000. */
const limitParam = (params: Params): number => {
  const limit = Number(params["limit"] ?? 500)
  return Number.isInteger(limit) && limit >= 1 && limit <= 1000 ? limit : fail(-1130, "Data sent for parameter 'limit' is not valid.")
}
const numberParam = (params: Params, name: string): number | undefined => (params[name] === undefined ? undefined : Number(params[name]))

/**
 * `startTime`–`endTime`, at most 24 hours apart (-1127). One end alone spans the 24
 * hours from it (before it, for `endTime`), as Binance's myTrades documents; taken
 * for allOrders too, the stricter reading.
 */
const timeWindow = (params: Params): { readonly start: number; readonly end: number } | undefined => {
  const start = numberParam(params, "startTime")
  const end = numberParam(params, "endTime")
  if (start !== undefined && end !== undefined) {
    return end - start > DAY_MS ? fail(-1127, "More than 24 hours between startTime and endTime.") : { start, end }
  }
  if (start !== undefined) return { start, end: start + DAY_MS }
  return end === undefined ? undefined : { start: end - DAY_MS, end }
}
const inWindow = (time: number, window: { readonly start: number; readonly end: number } | undefined): boolean =>
  window === undefined || (time >= window.start && time <= window.end)

/** GET /api/v3/allOrders: ascending by orderId; from `orderId`/`startTime` upwards, else the most recent. */
export const allOrders = (engine: Engine, params: Params): ReadonlyArray<Order> => {
  const rules = engine.rules(params["symbol"])
  const limit = limitParam(params)
  const window = timeWindow(params)
  const fromId = numberParam(params, "orderId")
  const selected = engine.orders.filter((o) => o.rules === rules && (fromId === undefined || o.orderId >= fromId) && inWindow(o.time, window))
  return fromId !== undefined || params["startTime"] !== undefined ? selected.slice(0, limit) : selected.slice(-limit)
}

/** GET /api/v3/myTrades: one symbol's fills ascending by trade id; from `fromId` upwards, else the most recent. */
export const trades = (engine: Engine, params: Params): ReadonlyArray<Record<string, unknown>> => {
  const rules = engine.rules(params["symbol"])
  const limit = limitParam(params)
  const fromId = numberParam(params, "fromId")
  if (fromId !== undefined && (params["startTime"] !== undefined || params["endTime"] !== undefined)) {
    fail(-1128, "Combination of optional parameters invalid.")
  }
  const window = timeWindow(params)
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
    .filter((t) => inWindow(t.time, window) && (fromId === undefined || t.id >= fromId))
    .sort((a, b) => a.id - b.id)
  return fromId !== undefined || params["startTime"] !== undefined ? selected.slice(0, limit) : selected.slice(-limit)
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
  if (fromId !== undefined && (params["startTime"] !== undefined || params["endTime"] !== undefined)) {
    fail(-1128, "Combination of optional parameters invalid.")
  }
  const window = timeWindow(params)
  const selected = engine.lists.filter((l) => (fromId === undefined || l.orderListId >= fromId) && inWindow(l.legs[0].time, window))
  const limit = limitParam(params)
  const page = fromId !== undefined || params["startTime"] !== undefined ? selected.slice(0, limit) : selected.slice(-limit)
  return [...page].reverse()
}
