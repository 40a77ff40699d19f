/**
 * The Binance test server's answers for orders and order lists, in the shapes
 * rest-api.md documents (decimals as Binance prints them). Conditional fields
 * follow "Conditional fields in Order Responses": `stopPrice` only for the four
 * stop types in placement and cancel answers; queries always carry it.
 */
import * as D from "./decimal.ts"
import type { OrderList } from "./lists.ts"
import { isStopType, isWorking, type Order, type OrderStatus } from "./orders.ts"

const ZERO_STR = "0.00000000"

/** An order as GET /api/v3/order, openOrders and allOrders return it. */
export interface BinanceOrderJson {
  readonly symbol: string
  readonly orderId: number
  readonly orderListId: number
  readonly clientOrderId: string
  readonly price: string
  readonly origQty: string
  readonly executedQty: string
  readonly cummulativeQuoteQty: string
  readonly status: OrderStatus
  readonly timeInForce: string
  readonly type: string
  readonly side: "BUY" | "SELL"
  readonly stopPrice: string
  readonly icebergQty: string
  readonly time: number
  readonly updateTime: number
  /** false for a stop order that has not triggered yet. */
  readonly isWorking: boolean
  /** -1 for a stop order that has not triggered yet. */
  readonly workingTime: number
  readonly origQuoteOrderQty: string
  readonly selfTradePreventionMode: string
}

/** An order list as GET /api/v3/orderList, openOrderList and allOrderList return it. */
export interface BinanceOrderListJson {
  readonly orderListId: number
  readonly contingencyType: "OCO"
  readonly listStatusType: OrderList["listStatusType"]
  readonly listOrderStatus: OrderList["listOrderStatus"]
  readonly listClientOrderId: string
  readonly transactionTime: number
  readonly symbol: string
  readonly orders: ReadonlyArray<{ readonly symbol: string; readonly orderId: number; readonly clientOrderId: string }>
}

const stopField = (o: Order): { readonly stopPrice?: string } => (isStopType(o.type) ? { stopPrice: D.fmt(o.stopPrice) } : {})

/** The order's terms and progress as placement and cancel answers show them. */
const execution = (o: Order) => ({
  price: D.fmt(o.price),
  origQty: D.fmt(o.origQty),
  executedQty: D.fmt(o.executedQty),
  cummulativeQuoteQty: D.fmt(o.cummulativeQuoteQty),
  status: o.status,
  timeInForce: o.timeInForce,
  type: o.type,
  side: o.side,
  ...stopField(o)
})

export const orderJson = (o: Order): BinanceOrderJson => ({
  symbol: o.rules.symbol,
  orderId: o.orderId,
  orderListId: o.orderListId,
  clientOrderId: o.clientOrderId,
  ...execution(o),
  stopPrice: D.fmt(o.stopPrice), // queries carry it for every type
  icebergQty: ZERO_STR,
  time: o.time,
  updateTime: o.updateTime,
  isWorking: isWorking(o),
  workingTime: o.workingTime,
  origQuoteOrderQty: D.fmt(o.origQuoteOrderQty),
  selfTradePreventionMode: "NONE"
})

/**
 * A placement's answer in `respType` (ACK, RESULT or FULL). Binance's default is
 * FULL for LIMIT and MARKET and ACK for every other type; OCO legs default to RESULT.
 */
export const newOrderJson = (o: Order, respType: string | undefined, defaultType?: "RESULT"): Record<string, unknown> => {
  const ack = { symbol: o.rules.symbol, orderId: o.orderId, orderListId: o.orderListId, clientOrderId: o.clientOrderId, transactTime: o.time }
  const chosen = respType ?? defaultType ?? (o.type === "LIMIT" || o.type === "MARKET" ? "FULL" : "ACK")
  if (chosen === "ACK") return ack
  const result = { ...ack, ...execution(o), workingTime: o.workingTime, selfTradePreventionMode: "NONE" }
  if (chosen === "RESULT") return result
  const fills = o.fills.map((f) => ({
    price: D.fmt(f.price),
    qty: D.fmt(f.qty),
    commission: D.fmt(f.commission),
    commissionAsset: f.commissionAsset,
    tradeId: f.tradeId
  }))
  return { ...result, fills }
}

/** DELETE /api/v3/order: `clientOrderId` is the cancel request's own id, the order's is `origClientOrderId`. */
export const cancelJson = (o: Order, transactTime: number): Record<string, unknown> => ({
  symbol: o.rules.symbol,
  origClientOrderId: o.clientOrderId,
  orderId: o.orderId,
  orderListId: o.orderListId,
  clientOrderId: o.cancelClientOrderId,
  transactTime,
  ...execution(o),
  selfTradePreventionMode: "NONE"
})

export const orderListJson = (list: OrderList): BinanceOrderListJson => ({
  orderListId: list.orderListId,
  contingencyType: "OCO",
  listStatusType: list.listStatusType,
  listOrderStatus: list.listOrderStatus,
  listClientOrderId: list.listClientOrderId,
  transactionTime: list.transactionTime,
  symbol: list.rules.symbol,
  orders: list.legs.map((o) => ({ symbol: o.rules.symbol, orderId: o.orderId, clientOrderId: o.clientOrderId }))
})

/** A list with its legs' reports: POST /api/v3/order/oco (placement reports) or a list cancel (cancel reports). */
export const orderListWithReports = (
  list: OrderList,
  reports: (leg: Order) => Record<string, unknown>
): Record<string, unknown> => ({ ...orderListJson(list), orderReports: list.legs.map(reports) })
