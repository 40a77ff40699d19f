/**
 * The one shape both wire formats are read into, and the one function that turns
 * it into an `OrderRecord`. Each adapter (`BinanceSpot`, `CcxtUnified`) only reads
 * its own answers into a `RawOrder`: fields as the wire names them, amounts as exact
 * decimals. What an order *means* is decided here, once for both:
 *
 * - the status and type vocabularies (ccxt's unified words and Binance's, which
 *   ccxt's are drawn from), compared without case;
 * - the type: Binance's words (`STOP_LOSS_LIMIT`, `LIMIT_MAKER`, ...) and ccxt's
 *   (`stop_loss`, `stop-limit`, ...); a `limit` or `market` word with a positive
 *   trigger price is the stop-loss kind of that order unless the adapter says it
 *   takes profit (`triggerKind`), as ccxt's unified parse names a trigger order by
 *   what it becomes;
 * - the limit price (only for types that have one), the trigger price (only for
 *   trigger types), the cumulative quote `cost` and `averagePrice = cost / filled`;
 *   when the wire gives an average but no cost, the cost is average × filled;
 * - the timestamp is the first positive one the adapter lists, in its order of
 *   preference (creation, then update, then trade);
 * - `triggered` (a stop or take-profit whose trigger fired) only for trigger types,
 *   and only when the wire says (Binance's `isWorking`, or its `workingTime`: -1
 *   until the trigger fires);
 * - every order type either wire names is represented (stop and take-profit orders
 *   placed by hand included); a list skips and reports only malformed entries.
 *
 * A failure is `ExchangeError` reason `UnreadableAnswer`: the exchange answered, but
 * with something orderops cannot represent. Not retryable: asking again gives the
 * same answer.
 */
import { Option, Result } from "effect"
import { contextFields, type ErrorContextFields } from "../../errors/context.ts"
import { ExchangeError } from "../../errors/ExchangeError.ts"
import * as D from "../../services/Decimal.ts"
import {
  averageOf,
  type Fees,
  hasLimitPrice,
  isTriggerType,
  type OrderRecord,
  type OrderStatus,
  type OrderType
} from "../../services/OrderRecord.ts"

export interface DecodeContext extends ErrorContextFields {
  /** The ccxt exchange id, for messages. */
  readonly exchange: string
}

/** The context of an answer from exchange `exchange`, without absent ids. */
export const decodeContext = (
  exchange: string,
  operation: string,
  symbol: string,
  ids: Pick<ErrorContextFields, "orderId" | "clientOrderId"> = {}
): DecodeContext => ({ ...contextFields({ operation, symbol, ...ids }), exchange })

/** The `ExchangeError` (`UnreadableAnswer`) for an answer orderops cannot represent. */
export const failure = (ctx: DecodeContext, what: string, issue: string) =>
  new ExchangeError({
    ...contextFields(ctx),
    reason: "UnreadableAnswer",
    detail: `unexpected ${what} from ${ctx.exchange}: ${issue}`
  })

/** An order as an adapter read it from the wire: words as sent, amounts exact. */
export interface RawOrder {
  readonly id: string
  /** The client order id the order was placed with; `undefined` when the answer has none. */
  readonly clientOrderId: string | undefined
  /** The unified symbol (`HBAR/USDT`). */
  readonly symbol: string
  readonly side: string | undefined
  readonly type: string | undefined
  readonly status: string | undefined
  /** The limit price. */
  readonly price: D.Decimal | undefined
  /** The average fill price. */
  readonly average: D.Decimal | undefined
  readonly quantity: D.Decimal | undefined
  readonly filled: D.Decimal | undefined
  /** The cumulative quote filled, when the wire states it. */
  readonly cost: D.Decimal | undefined
  /** A stop or take-profit price: set (and positive) for a trigger order. */
  readonly triggerPrice: D.Decimal | undefined
  /** Whether a trigger order the wire calls `limit` / `market` takes profit (else it is a stop loss). */
  readonly triggerKind?: "stop-loss" | "take-profit" | undefined
  /** Fees by asset, when the answer states them. */
  readonly fees: Fees | undefined
  /** The order list (OCO) id, when the order is in one. */
  readonly listId: string | undefined
  /** A trigger order's: whether its trigger has fired (Binance's `isWorking`), when the wire says. */
  readonly working?: boolean | undefined
  /** Candidate timestamps (epoch ms), most preferred first. */
  readonly timestamps: ReadonlyArray<number | undefined>
}

/** Order statuses by their wire word, lower case: ccxt's unified ones and Binance's. */
const STATUSES: Readonly<Record<string, OrderStatus>> = {
  open: "open",
  new: "open",
  pending_new: "open",
  partially_filled: "open",
  accepted: "open",
  // Being cancelled is not final yet, so the order stays tracked until it is.
  canceling: "open",
  pending_cancel: "open",
  closed: "closed",
  filled: "closed",
  canceled: "canceled",
  cancelled: "canceled",
  expired: "expired",
  expired_in_match: "expired",
  rejected: "rejected"
}

/** Order types by their wire word, lower case, `-` read as `_`: Binance's and ccxt's. */
const TYPES: Readonly<Record<string, OrderType>> = {
  limit: "limit",
  market: "market",
  limit_maker: "limit-maker",
  stop_loss: "stop-loss",
  stop: "stop-loss",
  stop_market: "stop-loss",
  stop_loss_limit: "stop-loss-limit",
  stop_limit: "stop-loss-limit",
  take_profit: "take-profit",
  take_profit_market: "take-profit",
  take_profit_limit: "take-profit-limit"
}

/** The trigger kind of a `limit` or `market` order that has a trigger price. */
const triggerTypeOf = (type: OrderType, kind: "stop-loss" | "take-profit"): OrderType =>
  type === "limit" ? (kind === "stop-loss" ? "stop-loss-limit" : "take-profit-limit") : type === "market" ? kind : type

const isTime = (t: number | undefined): t is number => t !== undefined && Number.isSafeInteger(t) && t > 0

/** The `OrderRecord` a `RawOrder` stands for, or why it cannot be represented. */
export const toOrderRecord = (o: RawOrder, ctx: DecodeContext): Result.Result<OrderRecord, ExchangeError> => {
  const bad = (issue: string) =>
    Result.fail(failure({ ...ctx, orderId: ctx.orderId ?? o.id }, "order", `${issue} (order ${o.id})`))
  const word = (w: string | undefined) => JSON.stringify(w ?? null)

  const side = o.side?.toLowerCase()
  if (side !== "buy" && side !== "sell") return bad(`side ${word(o.side)} is not buy or sell`)
  const wireType = o.type === undefined ? undefined : TYPES[o.type.toLowerCase().replaceAll("-", "_")]
  if (wireType === undefined) return bad(`type ${word(o.type)} is not a known order type`)
  const status = o.status === undefined ? undefined : STATUSES[o.status.toLowerCase()]
  if (status === undefined) return bad(`status ${word(o.status)} is not a known order status`)

  const hasTrigger = o.triggerPrice !== undefined && D.isPositive(o.triggerPrice)
  const type = hasTrigger ? triggerTypeOf(wireType, o.triggerKind ?? "stop-loss") : wireType

  let price: Option.Option<D.Decimal> = Option.none()
  if (hasLimitPrice(type)) {
    if (o.price === undefined) return bad("price is missing")
    if (!D.isPositive(o.price)) return bad("limit price is zero")
    price = Option.some(o.price)
  }
  // A trailing stop has no fixed trigger price: its trigger price is none.
  const triggerPrice = isTriggerType(type) && hasTrigger ? Option.fromNullishOr(o.triggerPrice) : Option.none<D.Decimal>()
  if (o.quantity === undefined) return bad("amount is missing")
  const filled = o.filled ?? D.ZERO
  // The cost as stated; else the average fill times the quantity filled.
  const cost = o.cost ?? (o.average !== undefined && D.isPositive(filled) ? D.mul(o.average, filled) : D.ZERO)
  const averagePrice = D.isPositive(cost) ? averageOf(cost, filled) : Option.fromNullishOr(D.isPositive(filled) ? o.average : undefined)

  const timestamp = o.timestamps.find(isTime)
  if (timestamp === undefined) return bad("no timestamp")

  return Result.succeed({
    id: o.id,
    clientOrderId: o.clientOrderId ?? "",
    symbol: o.symbol,
    side,
    type,
    price,
    triggerPrice,
    quantity: o.quantity,
    filled,
    cost,
    averagePrice,
    fees: o.fees ?? {},
    listId: Option.fromNullishOr(o.listId),
    status,
    ...(isTriggerType(type) && o.working !== undefined ? { triggered: o.working } : {}),
    timestamp
  })
}

export interface DecodedOrders {
  readonly orders: ReadonlyArray<OrderRecord>
  /** Orders in the list that cannot be represented, with the reason. */
  readonly skipped: ReadonlyArray<ExchangeError>
  /** How many entries the list held, both kinds together (a page is full at 1000: `paging.ts`). */
  readonly listed: number
}

/**
 * A list of orders, each read by `one`. The list itself must decode; entries that
 * cannot be represented are skipped and reported.
 */
export const decodeOrderList = (
  raw: unknown,
  ctx: DecodeContext,
  one: (item: unknown) => Result.Result<OrderRecord, ExchangeError>
): Result.Result<DecodedOrders, ExchangeError> => {
  if (!Array.isArray(raw)) return Result.fail(failure(ctx, "order list", `expected an array, got ${typeof raw}`))
  const orders: Array<OrderRecord> = []
  const skipped: Array<ExchangeError> = []
  for (const item of raw) {
    const r = one(item)
    if (Result.isSuccess(r)) orders.push(r.success)
    else skipped.push(r.failure)
  }
  return Result.succeed({ orders, skipped, listed: raw.length })
}
