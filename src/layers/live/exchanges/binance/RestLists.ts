/**
 * Binance spot's OCO order lists, spoken through ccxt's implicit
 * endpoint methods as `Rest.ts` speaks single orders. Requests leave with the
 * snapped decimal strings; answers are read exactly. ccxt's unified parse cannot
 * read a list (nor the list entries of a cancel-all answer), so lists are read here:
 *
 * - `POST /api/v3/order/oco` (Binance.US's form, which Binance also keeps) places a
 *   LIMIT_MAKER leg at `price` and a STOP_LOSS(_LIMIT) leg at `stopPrice`, with the
 *   list's and both legs' client ids chosen by orderops;
 * - `DELETE /api/v3/orderList` cancels a list; `GET /api/v3/orderList` finds one by
 *   `listClientOrderId` after a lost answer (a list's legs are orders like any
 *   other, carrying its id, so open orders and recovery need no list endpoint);
 * - `DELETE /api/v3/openOrders` answers with plain orders and, for each open list,
 *   the list with its legs' cancel reports: `flattenListEntries` makes that one list
 *   of orders.
 */
import { Option, Result, Schema } from "effect"
import type { ExchangeError } from "../../../../errors/ExchangeError.ts"
import * as D from "../../../../services/Decimal.ts"
import type { OrderRecord } from "../../../../services/OrderRecord.ts"
import type { OcoRecord, SubmitOco } from "../../../../services/Venue.ts"
import { decodeBinanceOrder, type Params, type WireMarket } from "./Rest.ts"
import { binanceSide } from "./OrderTypes.ts"
import { checker } from "../../decode.ts"
import { type DecodeContext, failure } from "../../RawOrder.ts"

/** The list endpoints ccxt generates for Binance's spot API, as orderops calls them. */
export interface BinanceListRest {
  privatePostOrderOco(params: Params): Promise<unknown>
  privateDeleteOrderList(params: Params): Promise<unknown>
  privateGetOrderList(params: Params): Promise<unknown>
}

/** `POST /api/v3/order/oco`'s parameters. */
export const ocoParams = (oco: SubmitOco, marketId: string): Params => ({
  symbol: marketId,
  side: binanceSide(oco.side),
  quantity: D.format(oco.quantity),
  price: D.format(oco.price),
  stopPrice: D.format(oco.triggerPrice),
  ...Option.match(oco.stopLimitPrice, {
    onNone: () => ({}),
    onSome: (p) => ({ stopLimitPrice: D.format(p), stopLimitTimeInForce: "GTC" })
  }),
  listClientOrderId: oco.listClientOrderId,
  limitClientOrderId: oco.limitClientOrderId,
  stopClientOrderId: oco.stopClientOrderId,
  newOrderRespType: "RESULT"
})

// ---- answers ------------------------------------------------------------------

const IntLike = Schema.Union([Schema.Finite, Schema.String])

/** A Binance order list (OCO), with its legs' reports when the answer carries them. */
export const BinanceOrderList = Schema.Struct({
  orderListId: IntLike,
  listClientOrderId: Schema.String,
  listOrderStatus: Schema.String,
  symbol: Schema.String,
  orders: Schema.Array(Schema.Struct({ orderId: IntLike, clientOrderId: Schema.String })),
  orderReports: Schema.optional(Schema.Array(Schema.Unknown))
})
export type BinanceOrderList = typeof BinanceOrderList.Type

const parseList = checker(BinanceOrderList)

/** An order list as orderops reads it: its ids, whether it still runs, its legs, and their reports (raw, for `Rest.ts`). */
export interface RawOrderList {
  readonly listId: string
  readonly listClientOrderId: string
  /** `EXECUTING` until a leg fills or the list is cancelled. */
  readonly executing: boolean
  readonly legs: ReadonlyArray<{ readonly orderId: string; readonly clientOrderId: string }>
  /** The legs' order reports, as Binance wrote them; empty when the answer has none (queries). */
  readonly reports: ReadonlyArray<unknown>
}

/** A Binance order list of market `marketId`. */
export const readBinanceOrderList = (raw: unknown, marketId: string, ctx: DecodeContext): Result.Result<RawOrderList, ExchangeError> => {
  const parsed = parseList(raw)
  if (Result.isFailure(parsed)) return Result.fail(failure(ctx, "order list", parsed.failure))
  const l = parsed.success
  if (l.symbol !== marketId) return Result.fail(failure(ctx, "order list", `market ${l.symbol} is not ${marketId}`))
  return Result.succeed({
    listId: String(l.orderListId),
    listClientOrderId: l.listClientOrderId,
    executing: l.listOrderStatus === "EXECUTING",
    legs: l.orders.map((o) => ({ orderId: String(o.orderId), clientOrderId: o.clientOrderId })),
    reports: l.orderReports ?? []
  })
}

/** The limit leg of a list is its limit-maker order; the other leg is the stop. */
const isLimitLeg = (o: OrderRecord): boolean => String(o.type) === "limit-maker" || o.type === "limit"

/** A list's two legs, read from its orders, as an `OcoRecord`. */
export const ocoRecordOf = (
  list: RawOrderList,
  legs: ReadonlyArray<OrderRecord>,
  ctx: DecodeContext
): Result.Result<OcoRecord, ExchangeError> => {
  const limit = legs.find(isLimitLeg)
  const stop = legs.find((o) => !isLimitLeg(o))
  if (legs.length !== 2 || limit === undefined || stop === undefined) {
    return Result.fail(failure(ctx, "order list", `list ${list.listId} has not one limit-maker and one stop leg`))
  }
  return Result.succeed({ listId: list.listId, listClientOrderId: list.listClientOrderId, limit, stop })
}

/** An answer carrying a list and its legs' reports (placing or cancelling an OCO), as an `OcoRecord`. */
export const decodeBinanceOco = (raw: unknown, market: WireMarket, ctx: DecodeContext): Result.Result<OcoRecord, ExchangeError> =>
  Result.flatMap(readBinanceOrderList(raw, market.id, ctx), (list) => {
    const legs: Array<OrderRecord> = []
    for (const report of list.reports) {
      const leg = decodeBinanceOrder(report, market, ctx)
      if (Result.isFailure(leg)) return Result.fail(leg.failure)
      legs.push(leg.success)
    }
    return ocoRecordOf(list, legs, ctx)
  })

/** Whether an entry of a cancel-all answer is an order list (it names its legs) rather than an order. */
const isListEntry = (item: unknown): item is { readonly orderReports: ReadonlyArray<unknown> } =>
  typeof item === "object" && item !== null && Array.isArray((item as { readonly orders?: unknown }).orders) &&
  Array.isArray((item as { readonly orderReports?: unknown }).orderReports)

/**
 * A cancel-all answer as one list of orders: a list entry stands for its legs'
 * cancel reports. Anything but an array is returned as is, for the decoder to refuse.
 */
export const flattenListEntries = (raw: unknown): unknown =>
  Array.isArray(raw) ? raw.flatMap((item) => (isListEntry(item) ? item.orderReports : [item])) : raw
