/**
 * Reading what ccxt's `watchOrders` gives (its unified orders, floats and `info: any`)
 * into `VenueUpdate.Order`s: the order through the same unified decoding as every
 * REST answer (`decode.ts` → `RawOrder.ts`), the trade that made the change, when
 * the exchange's own event carries one, from that event's exact decimal strings.
 *
 * - Amounts of the order: ccxt's floats read back through their 15-significant-digit
 *   form and snapped to the market's tick and step, as the unified REST path reads
 *   them (exact for every amount Binance prints: 8 decimals, under 10^7).
 * - The trade: Binance's `executionReport` (the listenKey stream's and the WebSocket
 *   API's event, which ccxt keeps as the order's `info`) names its trade: `t` id,
 *   `L` price, `l` quantity, `Y` quote, `n`/`N` commission, `m` maker, `T` time.
 *   It is read by the user stream's own decoder (`exchanges/binance/UserStreamEvents.ts`).
 *   Other exchanges' orders carry no trade here: `trade` is none and the engine
 *   reads the trades by REST.
 * - Triggered: a stop or take-profit order's `executionReport` says whether its
 *   trigger fired: the order is on the book (`w`), has a working time (`W`, sent
 *   once it works), or has filled.
 * - Fees: an `executionReport` states one trade's commission, not the order's total
 *   (and ccxt keeps the first one it saw), so the order's fees are left empty, as
 *   Binance's REST order answers leave them; the trade carries its fee.
 * - A trade is attached only when it accounts for the whole change of `filled` since
 *   the order's previous view on this connection. ccxt merges views of one order that
 *   arrive together, so a view can stand for two fills and name only the last one's
 *   trade; the engine counts an order's trades by quantity, oldest first
 *   (`engine/OrderChanges.ts`), and would take that later trade for the earlier fill.
 *   Such a view carries no trade, and the engine reads both trades by REST.
 */
import { Option, Result } from "effect"
import type { ExchangeError } from "../../errors/ExchangeError.ts"
import * as D from "../../services/Decimal.ts"
import type { MarketRules } from "../../services/MarketRules.ts"
import { isTriggerType, type OrderRecord } from "../../services/OrderRecord.ts"
import type { Trade } from "../../services/Trade.ts"
import type { VenueUpdate } from "../../services/Venue.ts"
import { decodeFrame } from "./exchanges/binance/UserStreamEvents.ts"
import { type CcxtOrderOptions, readCcxtOrder } from "./decode.ts"
import { type DecodeContext, toOrderRecord } from "./RawOrder.ts"

export type OrderUpdate = Extract<VenueUpdate, { readonly _tag: "Order" }>

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

/**
 * One of `watchOrders`' orders as an update. `previousFilled` is what the order's
 * last view on this connection had filled (none when this is its first view).
 */
export const decodeWatchedOrder = (
  raw: unknown,
  rules: MarketRules,
  ctx: DecodeContext,
  previousFilled: Option.Option<D.Decimal>,
  options: CcxtOrderOptions = {}
): Result.Result<OrderUpdate, ExchangeError> => {
  const info = executionReportInfo(raw)
  return Result.flatMap(readCcxtOrder(raw, rules, ctx, options), (read) =>
    Result.map(toOrderRecord(info === undefined ? read : { ...read, fees: undefined }, ctx), (record): OrderUpdate => {
      const order = info === undefined ? record : withTriggered(record, info)
      const trade = info === undefined ? Option.none<Trade>() : executionTrade(info, order)
      const change = D.sub(order.filled, Option.getOrElse(previousFilled, () => D.ZERO))
      const whole = Option.filter(trade, (t) => D.eq(t.quantity, change))
      return { _tag: "Order", order, trade: whole }
    }))
}
