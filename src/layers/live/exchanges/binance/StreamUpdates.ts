/**
 * Binance's user-stream events in the venue's words (`VenueUpdate`, issue #15): an
 * `executionReport` of the engine's market becomes an `Order` update (the order's
 * record as of that report, and the trade when it reports a fill); the stream's
 * states become `State` updates. The record is built by the same `toOrderRecord`
 * that reads REST answers, so a stream view and a REST view of the same order agree
 * field by field (amounts exact and normalized; fees left to the order's trades, as
 * Binance's order queries state none).
 *
 * `triggered` (a stop or take-profit whose trigger fired) from a report: yes when
 * the order is on the book (`w`), has filled, or is reported NEW again after its
 * creation (Binance's report when the trigger fires); no on the report of its
 * creation; not stated otherwise (a cancel of an order that left the book says
 * nothing about its trigger).
 */
import { BigDecimal, Option, Result } from "effect"
import type { ExchangeError } from "../../../../errors/ExchangeError.ts"
import type { Trade } from "../../../../services/Trade.ts"
import type { VenueUpdate } from "../../../../services/Venue.ts"
import { decodeContext, type RawOrder, toOrderRecord } from "../../RawOrder.ts"
import type { UserStreamState } from "./UserStream.ts"
import type { UserStreamEvent } from "./UserStreamEvents.ts"

export type ExecutionReport = Extract<UserStreamEvent, { readonly _tag: "ExecutionReport" }>

/** The engine's market, as orderops names it (`HBAR/USDT`) and as the stream does (`HBARUSDT`). */
export interface StreamMarket {
  readonly symbol: string
  readonly wireId: string
  readonly base: string
  readonly quote: string
}

/**
 * `d` as the REST decoders read Binance's decimal strings (`Decimal.parsePlain`):
 * no trailing zeros after the point, none taken off an integer (100, not 1e2).
 */
export const exact = (d: BigDecimal.BigDecimal): BigDecimal.BigDecimal => {
  const n = BigDecimal.normalize(d)
  return n.scale < 0 ? BigDecimal.scale(n, 0) : n
}

/** Whether a report says the order's trigger fired (see the header); undefined when it does not say. */
const workingOf = (r: ExecutionReport): boolean | undefined => {
  if (Option.getOrUndefined(r.onBook) === true || BigDecimal.isPositive(r.filled)) return true
  if (r.execution !== "NEW") return undefined
  return Option.match(r.createdAt, { onNone: () => undefined, onSome: (created) => r.transactionTime > created })
}

/** The report's view of its order, as the shared `RawOrder`. */
const rawOrderOf = (r: ExecutionReport, market: StreamMarket): RawOrder => ({
  id: r.orderId,
  clientOrderId: r.clientOrderId,
  symbol: market.symbol,
  side: r.side,
  type: r.type,
  status: r.status,
  price: Option.getOrUndefined(Option.map(r.price, exact)),
  average: undefined,
  quantity: exact(r.quantity),
  filled: exact(r.filled),
  cost: exact(r.cumulativeQuote),
  triggerPrice: Option.getOrUndefined(Option.map(r.stopPrice, exact)),
  fees: undefined,
  listId: Option.getOrUndefined(r.orderListId),
  working: workingOf(r),
  timestamps: [Option.getOrUndefined(r.createdAt), r.transactionTime, r.eventTime]
})

/** The fill a TRADE report carries; a fee with no asset (none charged) is booked in the asset received. */
const tradeOf = (r: ExecutionReport, market: StreamMarket): Option.Option<Trade> =>
  Option.map(r.trade, (t) => ({
    id: t.id,
    orderId: r.orderId,
    clientOrderId: r.clientOrderId,
    side: r.side,
    price: exact(t.price),
    quantity: exact(t.quantity),
    quoteQuantity: exact(t.quoteQuantity),
    fee: exact(t.fee),
    feeAsset: Option.getOrElse(t.feeAsset, () => (r.side === "buy" ? market.base : market.quote)),
    maker: t.maker,
    timestamp: t.time
  }))

/**
 * The `Order` update of a report on `market` (none for another market's), or why
 * its order cannot be represented.
 */
export const orderUpdateOf = (
  r: ExecutionReport,
  market: StreamMarket,
  exchange: string
): Option.Option<Result.Result<VenueUpdate, ExchangeError>> => {
  if (r.symbol !== market.wireId) return Option.none()
  const ctx = decodeContext(exchange, "orderEvents", market.symbol, { orderId: r.orderId })
  return Option.some(Result.map(toOrderRecord(rawOrderOf(r, market), ctx), (order) => ({
    _tag: "Order" as const,
    order,
    trade: tradeOf(r, market)
  })))
}

/** The stream's state in the venue's words. */
export const stateOf = (state: UserStreamState): "connected" | "reconnecting" | "down" =>
  state._tag === "Connected" ? "connected" : state._tag === "Reconnecting" ? "reconnecting" : "down"
