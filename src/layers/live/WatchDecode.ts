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
 *   It is read by the user stream's own decoder, in `exchanges/binance/WatchReport.ts`,
 *   which the venue hands in (`OrderReports`).
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
import type { OrderRecord } from "../../services/OrderRecord.ts"
import type { Trade } from "../../services/Trade.ts"
import type { VenueUpdate } from "../../services/Venue.ts"
import { type CcxtOrderOptions, readCcxtOrder } from "./decode.ts"
import { type DecodeContext, toOrderRecord } from "./RawOrder.ts"

export type OrderUpdate = Extract<VenueUpdate, { readonly _tag: "Order" }>

/**
 * An exchange's own event inside a watched order (ccxt keeps it as the order's
 * `info`), when it says more than ccxt's unified order: whether a trigger fired and
 * the trade that made the change. The exchange's folder reads it (Binance's
 * `executionReport`: `exchanges/binance/WatchReport.ts`); the venue hands the reader
 * in, so this module names no exchange.
 */
export interface OrderReport {
  /** `order` with whether its trigger fired, as the event says. */
  readonly triggered: (order: OrderRecord) => OrderRecord
  /** The trade the event reports for `order`, if any. */
  readonly trade: (order: OrderRecord) => Option.Option<Trade>
}

/** Reads the exchange's own event out of one of `watchOrders`' orders; undefined when it has none. */
export type OrderReports = (raw: unknown) => OrderReport | undefined

/** No exchange event is read: orders carry ccxt's view only, and no trade. */
export const noReports: OrderReports = () => undefined

/**
 * One of `watchOrders`' orders as an update. `previousFilled` is what the order's
 * last view on this connection had filled (none when this is its first view).
 */
export const decodeWatchedOrder = (
  raw: unknown,
  rules: MarketRules,
  ctx: DecodeContext,
  previousFilled: Option.Option<D.Decimal>,
  reports: OrderReports = noReports,
  options: CcxtOrderOptions = {}
): Result.Result<OrderUpdate, ExchangeError> => {
  const report = reports(raw)
  return Result.flatMap(readCcxtOrder(raw, rules, ctx, options), (read) =>
    Result.map(toOrderRecord(report === undefined ? read : { ...read, fees: undefined }, ctx), (record): OrderUpdate => {
      const order = report === undefined ? record : report.triggered(record)
      const trade = report === undefined ? Option.none<Trade>() : report.trade(order)
      const change = D.sub(order.filled, Option.getOrElse(previousFilled, () => D.ZERO))
      const whole = Option.filter(trade, (t) => D.eq(t.quantity, change))
      return { _tag: "Order", order, trade: whole }
    }))
}
