/**
 * Binance spot's REST API, spoken through ccxt. On `binance` and `binanceus` the
 * live venue calls ccxt's implicit endpoint methods (`privatePostOrder`,
 * `privateGetOpenOrders`, ...) instead of its unified ones. ccxt still signs,
 * sends, paces its clock offset and classifies errors (`handleErrors`); what it
 * skips is the unified parse (`parseOrder`, `safeOrder`, `parseBalance`), which
 * turns Binance's exact decimal strings into floats and costs more CPU than the
 * rest of the request. This module builds the requests and reads the answers:
 *
 * - Amounts leave as the snapped decimal strings and come back as Binance's own
 *   decimal strings, read exactly: no float ever stands for money here.
 * - An answer is decoded into the same `OrderRecord` that ccxt's unified path gives
 *   (test/ccxt-binance.test.ts checks this against ccxt's own parse of recorded
 *   answers), with one difference: Binance's stop and take-profit orders, which
 *   ccxt reports as `limit` / `market`, are not representable here (as with any
 *   order orderops cannot place), so a list skips them and reports them.
 * - A decoding failure is `ExchangeError` reason `UnreadableAnswer`, as in `decode.ts`.
 */
import { BigDecimal, Option, Result, Schema } from "effect"
import type { ExchangeError } from "../../errors/ExchangeError.ts"
import * as D from "../../services/Decimal.ts"
import type { OrderRecord, OrderStatus, OrderType } from "../../services/OrderRecord.ts"
import type { Balance, SubmitOrder } from "../../services/Venue.ts"
import { checker, type DecodeContext, type DecodedOrders, decodeOrderList, failure, isPlainObject } from "./decode.ts"
import type { CcxtExchange } from "./instance.ts"

type Params = Readonly<Record<string, string | number>>

/** The endpoint methods ccxt generates for Binance's spot API (`api/v3`), as orderops calls them. */
export interface BinanceSpotRest {
  privatePostOrder(params: Params): Promise<unknown>
  privateGetOrder(params: Params): Promise<unknown>
  privateDeleteOrder(params: Params): Promise<unknown>
  privateGetOpenOrders(params: Params): Promise<unknown>
  privateDeleteOpenOrders(params: Params): Promise<unknown>
  privateGetAllOrders(params: Params): Promise<unknown>
  privateGetAccount(params: Params): Promise<unknown>
}

const ENDPOINTS: ReadonlyArray<keyof BinanceSpotRest> = [
  "privatePostOrder",
  "privateGetOrder",
  "privateDeleteOrder",
  "privateGetOpenOrders",
  "privateDeleteOpenOrders",
  "privateGetAllOrders",
  "privateGetAccount"
]

/** The exchanges whose spot API this module speaks. Their futures siblings have other endpoints. */
const SPOT_EXCHANGES: ReadonlySet<string> = new Set(["binance", "binanceus"])

/** `exchange`'s Binance spot endpoints, when it is Binance or Binance.US spot and has them all. */
export const binanceSpotRest = (exchange: CcxtExchange): BinanceSpotRest | undefined => {
  if (!SPOT_EXCHANGES.has(exchange.id)) return undefined
  const methods = exchange as unknown as Record<string, unknown>
  return ENDPOINTS.every((name) => typeof methods[name] === "function") ? (exchange as unknown as BinanceSpotRest) : undefined
}

/**
 * `POST /api/v3/order`'s parameters: the exact decimal strings, good-till-cancelled
 * for a limit order, and the `RESULT` answer (the order's state after matching).
 */
export const orderParams = (order: SubmitOrder, marketId: string): Params => {
  const common = {
    symbol: marketId,
    side: order.side === "buy" ? "BUY" : "SELL",
    quantity: D.format(order.quantity),
    newClientOrderId: order.clientOrderId,
    newOrderRespType: "RESULT"
  }
  return Option.isSome(order.price)
    ? { ...common, type: "LIMIT", timeInForce: "GTC", price: D.format(order.price.value) }
    : { ...common, type: "MARKET" }
}

// ---- orders -----------------------------------------------------------------

/** An id or a time: a JSON number from Binance, a string in some recorded answers. */
const IntLike = Schema.Union([Schema.Finite, Schema.String])

/** The fields of a Binance spot order (query, list, create and cancel answers) that orderops reads. */
export const BinanceOrder = Schema.Struct({
  symbol: Schema.String,
  orderId: IntLike,
  clientOrderId: Schema.optional(Schema.String),
  /** Cancel answers: the order's own client id (their `clientOrderId` is the cancel request's). */
  origClientOrderId: Schema.optional(Schema.String),
  price: Schema.optional(Schema.String),
  origQty: Schema.String,
  executedQty: Schema.optional(Schema.String),
  cummulativeQuoteQty: Schema.optional(Schema.String),
  status: Schema.String,
  type: Schema.String,
  side: Schema.String,
  time: Schema.optional(IntLike),
  workingTime: Schema.optional(IntLike),
  transactTime: Schema.optional(IntLike),
  updateTime: Schema.optional(IntLike)
})
export type BinanceOrder = typeof BinanceOrder.Type

// Binance leaves optional fields out; it never sends null (unlike ccxt's `decode.ts` shapes).
const isStringOrAbsent = (v: unknown) => v === undefined || typeof v === "string"
const isIntLike = (v: unknown) => typeof v === "string" || (typeof v === "number" && Number.isFinite(v))
const isIntLikeOrAbsent = (v: unknown) => v === undefined || isIntLike(v)

/** `BinanceOrder`'s quick check (see `checker` in decode.ts). */
export const quickBinanceOrder = (raw: unknown): boolean =>
  isPlainObject(raw) && typeof raw["symbol"] === "string" && isIntLike(raw["orderId"]) &&
  isStringOrAbsent(raw["clientOrderId"]) && isStringOrAbsent(raw["origClientOrderId"]) && isStringOrAbsent(raw["price"]) &&
  typeof raw["origQty"] === "string" && isStringOrAbsent(raw["executedQty"]) &&
  isStringOrAbsent(raw["cummulativeQuoteQty"]) && typeof raw["status"] === "string" && typeof raw["type"] === "string" &&
  typeof raw["side"] === "string" && isIntLikeOrAbsent(raw["time"]) && isIntLikeOrAbsent(raw["workingTime"]) &&
  isIntLikeOrAbsent(raw["transactTime"]) && isIntLikeOrAbsent(raw["updateTime"])

const parseOrder = checker(BinanceOrder, quickBinanceOrder)

/** Binance's order statuses, as ccxt reads them. `PENDING_CANCEL` is not final yet, so it stays open. */
const STATUSES: Readonly<Record<string, OrderStatus>> = {
  NEW: "open",
  PENDING_NEW: "open",
  PARTIALLY_FILLED: "open",
  ACCEPTED: "open",
  PENDING_CANCEL: "open",
  FILLED: "closed",
  CANCELED: "canceled",
  CANCELLED: "canceled",
  REJECTED: "rejected",
  EXPIRED: "expired",
  EXPIRED_IN_MATCH: "expired"
}

/** The order types orderops places. A limit-maker order is a limit order. */
const TYPES: Readonly<Record<string, OrderType>> = { LIMIT: "limit", LIMIT_MAKER: "limit", MARKET: "market" }

/** The largest unscaled value with 15 significant digits. */
const MAX_15_DIGITS = 999_999_999_999_999n

/** `n` read through 15 significant digits, as `decode.ts` reads ccxt's floats. */
const to15 = (n: number): number => Number(n.toPrecision(15))

/**
 * The number a Binance amount's decimal string names: exact for up to 15
 * significant digits (any amount Binance lists with 8 decimals below 10 million),
 * else read through 15 significant digits, as ccxt's floats are in `decode.ts`.
 * `undefined` when it is not a plain non-negative decimal.
 */
const amount = (s: string): number | undefined => {
  const d = D.parsePlain(s)
  if (d === undefined) return undefined
  const n = D.toNumber(d)
  return d.value <= MAX_15_DIGITS ? n : to15(n)
}

/** A market order's average fill price: quote spent over base filled, to 15 significant digits. */
const averagePrice = (cost: string, filled: string): number | undefined => {
  const c = D.parsePlain(cost)
  const f = D.parsePlain(filled)
  if (c === undefined || f === undefined || !D.isPositive(f)) return undefined
  const q = BigDecimal.divide(c, f)
  return Option.isSome(q) ? to15(D.toNumber(q.value)) : undefined
}

const intOf = (v: string | number | undefined): number | undefined => {
  if (v === undefined) return undefined
  const n = typeof v === "number" ? v : Number(v)
  return Number.isSafeInteger(n) && n > 0 ? n : undefined
}

/** A market as the wire names it (`HBARUSDT`) and as orderops does (`HBAR/USDT`). */
export interface WireMarket {
  readonly symbol: string
  readonly id: string
}

/**
 * A Binance spot order as an `OrderRecord` of `market`. Amounts are the exchange's
 * own decimal strings; an order of another market is an error.
 */
export const decodeBinanceOrder = (
  raw: unknown,
  market: WireMarket,
  ctx: DecodeContext
): Result.Result<OrderRecord, ExchangeError> => {
  const parsed = parseOrder(raw)
  if (Result.isFailure(parsed)) return Result.fail(failure(ctx, "order", parsed.failure))
  const o = parsed.success
  const id = String(o.orderId)
  const bad = (issue: string) =>
    Result.fail(failure({ ...ctx, orderId: ctx.orderId ?? id }, "order", `${issue} (order ${id})`))

  if (o.symbol !== market.id) return bad(`market ${o.symbol} is not ${market.id}`)
  const side = o.side === "BUY" ? "buy" : o.side === "SELL" ? "sell" : undefined
  if (side === undefined) return bad(`side ${JSON.stringify(o.side)} is not BUY or SELL`)
  const type = TYPES[o.type]
  if (type === undefined) return bad(`type ${JSON.stringify(o.type)} is not LIMIT, LIMIT_MAKER or MARKET`)
  const status = STATUSES[o.status]
  if (status === undefined) return bad(`status ${JSON.stringify(o.status)} is not a known order status`)

  const quantity = amount(o.origQty)
  if (quantity === undefined) return bad(`origQty ${JSON.stringify(o.origQty)} is not a decimal`)
  const filled = o.executedQty === undefined ? 0 : amount(o.executedQty)
  if (filled === undefined) return bad(`executedQty ${JSON.stringify(o.executedQty)} is not a decimal`)
  // A limit order's price is its limit; a market order's is the average fill (0 until it fills).
  let price: number | undefined
  if (type === "limit") {
    if (o.price === undefined) return bad("price is missing")
    price = amount(o.price)
    if (price === undefined) return bad(`price ${JSON.stringify(o.price)} is not a decimal`)
    if (price === 0) return bad("limit price is zero")
  } else {
    price = filled > 0 && o.cummulativeQuoteQty !== undefined ? averagePrice(o.cummulativeQuoteQty, o.executedQty!) : 0
    if (price === undefined) return bad(`cummulativeQuoteQty ${JSON.stringify(o.cummulativeQuoteQty)} is not a decimal`)
  }

  const timestamp = intOf(o.time) ?? intOf(o.workingTime) ?? intOf(o.transactTime) ?? intOf(o.updateTime)
  if (timestamp === undefined) return bad("no timestamp")

  return Result.succeed({
    id,
    clientOrderId: o.origClientOrderId ?? o.clientOrderId ?? "",
    symbol: market.symbol,
    side,
    type,
    price,
    quantity,
    filled,
    status,
    timestamp
  })
}

/** A list of Binance spot orders (see `decodeOrderList`). */
export const decodeBinanceOrders = (
  raw: unknown,
  market: WireMarket,
  ctx: DecodeContext
): Result.Result<DecodedOrders, ExchangeError> => decodeOrderList(raw, ctx, (item) => decodeBinanceOrder(item, market, ctx))

// ---- balances -----------------------------------------------------------------

/** `GET /api/v3/account`, the part orderops reads. */
export const BinanceAccount = Schema.Struct({
  balances: Schema.Array(Schema.Struct({ asset: Schema.String, free: Schema.String, locked: Schema.String }))
})

/** `BinanceAccount`'s quick check. */
export const quickBinanceAccount = (raw: unknown): boolean => {
  if (!isPlainObject(raw) || !Array.isArray(raw["balances"])) return false
  for (const b of raw["balances"] as ReadonlyArray<unknown>) {
    if (!isPlainObject(b) || typeof b["asset"] !== "string" || typeof b["free"] !== "string" || typeof b["locked"] !== "string") {
      return false
    }
  }
  return true
}

const parseAccount = checker(BinanceAccount, quickBinanceAccount)

/** The account's balances as free / used (`locked`) per asset, exactly as Binance states them. */
export const decodeBinanceBalances = (raw: unknown, ctx: DecodeContext): Result.Result<ReadonlyMap<string, Balance>, ExchangeError> => {
  const parsed = parseAccount(raw)
  if (Result.isFailure(parsed)) return Result.fail(failure(ctx, "balance", parsed.failure))
  const out = new Map<string, Balance>()
  for (const b of parsed.success.balances) {
    const free = D.parsePlain(b.free)
    const used = D.parsePlain(b.locked)
    if (free === undefined || used === undefined) {
      return Result.fail(failure(ctx, "balance", `${b.asset}: free ${b.free} / locked ${b.locked} is not a decimal`))
    }
    out.set(b.asset, { free, used })
  }
  return Result.succeed(out)
}
