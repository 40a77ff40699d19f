/**
 * The one shape both wire formats are read into, and the one function that turns
 * it into an `OrderRecord`. Each adapter (`BinanceSpot`, `CcxtUnified`) only reads
 * its own answers into a `RawOrder`: fields as the wire names them, amounts as exact
 * decimals. What an order *means* is decided here, once for both:
 *
 * - the status and type vocabularies (ccxt's unified words and Binance's, which
 *   ccxt's are drawn from), compared without case;
 * - a limit order's price is its limit; a market order's is its average fill (0
 *   until it fills);
 * - the timestamp is the first positive one the adapter lists, in its order of
 *   preference (creation, then update, then trade);
 * - trigger orders (stop loss, take profit) are not representable yet, on either
 *   path: a single one is an `UnreadableAnswer`, and a list skips and reports them.
 *
 * A failure is `ExchangeError` reason `UnreadableAnswer`: the exchange answered, but
 * with something orderops cannot represent. Not retryable: asking again gives the
 * same answer.
 */
import { Result } from "effect"
import { contextFields, type ErrorContextFields } from "../../errors/context.ts"
import { ExchangeError } from "../../errors/ExchangeError.ts"
import * as D from "../../services/Decimal.ts"
import type { OrderRecord, OrderStatus, OrderType } from "../../services/OrderRecord.ts"

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
  /** A stop or take-profit price: set (and positive) for a trigger order. */
  readonly triggerPrice: D.Decimal | undefined
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

/** The order types orderops places, by their wire word, lower case. A limit-maker order is a limit order. */
const TYPES: Readonly<Record<string, OrderType>> = { limit: "limit", limit_maker: "limit", market: "market" }

/** The largest unscaled value with 15 significant digits. */
const MAX_15_DIGITS = 999_999_999_999_999n

/**
 * The number an exact amount is carried as: exact for up to 15 significant digits
 * (every amount an exchange lists with 8 decimals below 10 million), else the
 * nearest number through 15 significant digits.
 */
export const toNumber15 = (d: D.Decimal): number => {
  const n = D.toNumber(d)
  const digits = d.value < 0n ? -d.value : d.value
  return digits <= MAX_15_DIGITS ? n : Number(n.toPrecision(15))
}

const isTime = (t: number | undefined): t is number => t !== undefined && Number.isSafeInteger(t) && t > 0

/** The `OrderRecord` a `RawOrder` stands for, or why it cannot be represented. */
export const toOrderRecord = (o: RawOrder, ctx: DecodeContext): Result.Result<OrderRecord, ExchangeError> => {
  const bad = (issue: string) =>
    Result.fail(failure({ ...ctx, orderId: ctx.orderId ?? o.id }, "order", `${issue} (order ${o.id})`))
  const word = (w: string | undefined) => JSON.stringify(w ?? null)

  const side = o.side?.toLowerCase()
  if (side !== "buy" && side !== "sell") return bad(`side ${word(o.side)} is not buy or sell`)
  const type = o.type === undefined ? undefined : TYPES[o.type.toLowerCase()]
  if (type === undefined) return bad(`type ${word(o.type)} is not limit or market`)
  if (o.triggerPrice !== undefined && D.isPositive(o.triggerPrice)) {
    return bad(`a ${o.type} order with trigger price ${D.format(o.triggerPrice)} (stop or take-profit) is not representable`)
  }
  const status = o.status === undefined ? undefined : STATUSES[o.status.toLowerCase()]
  if (status === undefined) return bad(`status ${word(o.status)} is not a known order status`)

  // A limit order's price is its limit; a market order's is the average fill (0 until it fills).
  let price: D.Decimal
  if (type === "limit") {
    if (o.price === undefined) return bad("price is missing")
    if (!D.isPositive(o.price)) return bad("limit price is zero")
    price = o.price
  } else {
    price = o.average ?? D.ZERO
  }
  if (o.quantity === undefined) return bad("amount is missing")

  const timestamp = o.timestamps.find(isTime)
  if (timestamp === undefined) return bad("no timestamp")

  return Result.succeed({
    id: o.id,
    clientOrderId: o.clientOrderId ?? "",
    symbol: o.symbol,
    side,
    type,
    price: toNumber15(price),
    quantity: toNumber15(o.quantity),
    filled: toNumber15(o.filled ?? D.ZERO),
    status,
    timestamp
  })
}

export interface DecodedOrders {
  readonly orders: ReadonlyArray<OrderRecord>
  /** Orders in the list that cannot be represented, with the reason. */
  readonly skipped: ReadonlyArray<ExchangeError>
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
  return Result.succeed({ orders, skipped })
}
