/**
 * Binance's `executionReport` inside an order from ccxt's `watchOrders` (the
 * WebSocket API's and the listenKey stream's event, which ccxt keeps as the order's
 * `info`), read for what it says beyond ccxt's unified order (see `WatchDecode.ts`):
 * - whether a stop or take-profit order's trigger fired: the order is on the book
 *   (`w`), has a working time (`W`, sent once it works), or has filled;
 * - the trade of an execution of type TRADE, by the user stream's own decoder
 *   (`UserStreamEvents.ts`), from the event's exact decimal strings.
 */
import { Option } from "effect"
import * as D from "../../../../services/Decimal.ts"
import { isTriggerType, type OrderRecord } from "../../../../services/OrderRecord.ts"
import type { Trade } from "../../../../services/Trade.ts"
import type { OrderReports } from "../../WatchDecode.ts"
import { decodeFrame } from "./UserStreamEvents.ts"

/** ccxt's `info` when it is a Binance `executionReport`. */
const executionReportInfo = (raw: unknown): Record<string, unknown> | undefined => {
  if (typeof raw !== "object" || raw === null) return undefined
  const info = (raw as { readonly info?: unknown }).info
  return typeof info === "object" && info !== null && (info as { readonly e?: unknown }).e === "executionReport"
    ? (info as Record<string, unknown>)
    : undefined
}

/** `order` with whether its trigger fired, for a trigger order (see the header). */
const withTriggered = (order: OrderRecord, info: Record<string, unknown>): OrderRecord =>
  isTriggerType(order.type) ? { ...order, triggered: info["w"] === true || info["W"] !== undefined || D.isPositive(order.filled) } : order

/** The trade an `executionReport` of execution type TRADE reports, for `order`. */
const executionTrade = (info: Record<string, unknown>, order: OrderRecord): Option.Option<Trade> => {
  if (info["x"] !== "TRADE") return Option.none()
  const frame = decodeFrame(JSON.stringify(info))
  if (frame._tag !== "Event" || frame.event._tag !== "ExecutionReport") return Option.none()
  return Option.map(frame.event.trade, (t): Trade => ({
    id: t.id,
    orderId: order.id,
    clientOrderId: order.clientOrderId,
    side: order.side,
    price: t.price,
    quantity: t.quantity,
    quoteQuantity: t.quoteQuantity,
    fee: t.fee,
    feeAsset: Option.getOrElse(t.feeAsset, () => ""),
    maker: t.maker,
    timestamp: t.time
  }))
}

/** Binance's `executionReport`, when a watched order's `info` is one. */
export const binanceOrderReports: OrderReports = (raw) => {
  const info = executionReportInfo(raw)
  return info === undefined ? undefined : { triggered: (order) => withTriggered(order, info), trade: (order) => executionTrade(info, order) }
}
