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
 *   answers). Stop and take-profit orders keep Binance's own type word
 *   (`STOP_LOSS_LIMIT`, ...), their `stopPrice` is the trigger price and
 *   `orderListId` (-1 for none) the OCO list; a `FULL` answer's `fills` give the fees.
 * - A decoding failure is `ExchangeError` reason `UnreadableAnswer`, as in `decode.ts`.
 */
import { Option, Result, Schema } from "effect"
import type { ExchangeError } from "../../../../errors/ExchangeError.ts"
import * as D from "../../../../services/Decimal.ts"
import { addFee, type Fees, type OrderRecord } from "../../../../services/OrderRecord.ts"
import type { Balance, SubmitOrder } from "../../../../services/Venue.ts"
import { BINANCE_ORDER_TYPES, binanceSide } from "./OrderTypes.ts"
import { checker } from "../../decode.ts"
import { type DecodeContext, type DecodedOrders, decodeOrderList, failure, type RawOrder, toOrderRecord } from "../../RawOrder.ts"
import type { CcxtExchange } from "../../instance.ts"

export type Params = Readonly<Record<string, string | number>>

/** The endpoint methods ccxt generates for Binance's spot API (`api/v3`), as orderops calls them. */
export interface BinanceSpotRest {
  privatePostOrder(params: Params): Promise<unknown>
  privateGetOrder(params: Params): Promise<unknown>
  privateDeleteOrder(params: Params): Promise<unknown>
  privateGetOpenOrders(params: Params): Promise<unknown>
  privateDeleteOpenOrders(params: Params): Promise<unknown>
  privateGetAllOrders(params: Params): Promise<unknown>
  privateGetAccount(params: Params): Promise<unknown>
  privateGetMyTrades(params: Params): Promise<unknown>
}

const ENDPOINTS: ReadonlyArray<keyof BinanceSpotRest> = [
  "privatePostOrder",
  "privateGetOrder",
  "privateDeleteOrder",
  "privateGetOpenOrders",
  "privateDeleteOpenOrders",
  "privateGetAllOrders",
  "privateGetAccount",
  "privateGetMyTrades"
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
 * `POST /api/v3/order`'s parameters for any type: the exact decimal strings, a
 * stop-loss or take-profit's trigger as `stopPrice`, good-till-cancelled for the
 * types that rest at a limit (LIMIT_MAKER takes no time in force), and the `RESULT`
 * answer (the order's state after matching).
 */
export const orderParams = (order: SubmitOrder, marketId: string): Params => {
  const type = BINANCE_ORDER_TYPES[order.type]
  const price = Option.getOrUndefined(order.price)
  const trigger = Option.getOrUndefined(order.triggerPrice)
  return {
    symbol: marketId,
    side: binanceSide(order.side),
    type,
    quantity: D.format(order.quantity),
    newClientOrderId: order.clientOrderId,
    newOrderRespType: "RESULT",
    ...(price === undefined ? {} : { price: D.format(price) }),
    ...(price === undefined || type === "LIMIT_MAKER" ? {} : { timeInForce: "GTC" }),
    ...(trigger === undefined ? {} : { stopPrice: D.format(trigger) })
  }
}

// ---- orders -----------------------------------------------------------------

/** An id or a time: a JSON number from Binance, a string in some recorded answers. */
const IntLike = Schema.Union([Schema.Finite, Schema.String])

/** One fill in a create answer (`newOrderRespType=FULL`). */
const BinanceFill = Schema.Struct({ commission: Schema.String, commissionAsset: Schema.String })

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
  /** Stop and take-profit orders: the trigger price. */
  stopPrice: Schema.optional(Schema.String),
  /** The OCO list the order is in; -1 for none. */
  orderListId: Schema.optional(IntLike),
  /** A `FULL` create answer's fills, with their commissions. */
  fills: Schema.optional(Schema.Array(BinanceFill)),
  status: Schema.String,
  type: Schema.String,
  side: Schema.String,
  time: Schema.optional(IntLike),
  /** Queries: false for a stop or take-profit order whose trigger has not fired yet. */
  isWorking: Schema.optional(Schema.Boolean),
  /** Placement answers: -1 until a stop or take-profit order's trigger fires. */
  workingTime: Schema.optional(IntLike),
  transactTime: Schema.optional(IntLike),
  updateTime: Schema.optional(IntLike)
})
export type BinanceOrder = typeof BinanceOrder.Type

// The quick checks below read the usual shape directly before the schema decides
// anything else. They hold bench (a): an answer is read right after ccxt and the
// HTTP stack have pushed the schema's interpreter out of the CPU's caches, where
// walking its AST costs several times what it does in a loop (about 4% of (a)).
// test/ccxt-binance.test.ts checks that they accept only what the schemas accept.

const isPlainObject = (v: unknown): v is Readonly<Record<string, unknown>> => typeof v === "object" && v !== null && !Array.isArray(v)
// Binance leaves optional fields out; it never sends null (unlike ccxt's `decode.ts` shapes).
const isStringOrAbsent = (v: unknown) => v === undefined || typeof v === "string"
const isIntLike = (v: unknown) => typeof v === "string" || (typeof v === "number" && Number.isFinite(v))
const isIntLikeOrAbsent = (v: unknown) => v === undefined || isIntLike(v)

/** `BinanceOrder`'s quick check. */
export const quickBinanceOrder = (raw: unknown): boolean =>
  isPlainObject(raw) && typeof raw["symbol"] === "string" && isIntLike(raw["orderId"]) &&
  isStringOrAbsent(raw["clientOrderId"]) && isStringOrAbsent(raw["origClientOrderId"]) && isStringOrAbsent(raw["price"]) &&
  typeof raw["origQty"] === "string" && isStringOrAbsent(raw["executedQty"]) &&
  isStringOrAbsent(raw["cummulativeQuoteQty"]) && isStringOrAbsent(raw["stopPrice"]) && typeof raw["status"] === "string" &&
  typeof raw["type"] === "string" && typeof raw["side"] === "string" && isIntLikeOrAbsent(raw["time"]) &&
  isIntLikeOrAbsent(raw["workingTime"]) && (raw["isWorking"] === undefined || typeof raw["isWorking"] === "boolean") &&
  isIntLikeOrAbsent(raw["transactTime"]) && isIntLikeOrAbsent(raw["updateTime"]) &&
  isIntLikeOrAbsent(raw["orderListId"]) && raw["fills"] === undefined

const parseOrder = checker(BinanceOrder, quickBinanceOrder)

/** A market as the wire names it (`HBARUSDT`) and as orderops does (`HBAR/USDT`). */
export interface WireMarket {
  readonly symbol: string
  readonly id: string
}

/**
 * A Binance spot order of `market`, read into the shared `RawOrder`. Amounts are the
 * exchange's own decimal strings, read exactly. An order of another market is an error.
 */
export const readBinanceOrder = (raw: unknown, market: WireMarket, ctx: DecodeContext): Result.Result<RawOrder, ExchangeError> => {
  const parsed = parseOrder(raw)
  if (Result.isFailure(parsed)) return Result.fail(failure(ctx, "order", parsed.failure))
  const o = parsed.success
  const id = String(o.orderId)
  const bad = (issue: string) => Result.fail(failure({ ...ctx, orderId: ctx.orderId ?? id }, "order", `${issue} (order ${id})`))
  if (o.symbol !== market.id) return bad(`market ${o.symbol} is not ${market.id}`)

  const decimals: Record<string, D.Decimal | undefined> = {}
  const read = (field: "price" | "origQty" | "executedQty" | "cummulativeQuoteQty" | "stopPrice"): string | undefined => {
    const text = o[field]
    if (text === undefined) return undefined
    const d = D.parsePlain(text)
    if (d === undefined) return `${field} ${JSON.stringify(text)} is not a decimal`
    decimals[field] = d
    return undefined
  }
  const issue = read("price") ?? read("origQty") ?? read("executedQty") ?? read("stopPrice")
  if (issue !== undefined) return bad(issue)
  // What the order cost matters only once it has filled (an unfilled order's cost is 0).
  const filled = decimals["executedQty"]
  const costIssue = filled !== undefined && D.isPositive(filled) ? read("cummulativeQuoteQty") : undefined
  if (costIssue !== undefined) return bad(costIssue)
  let fees: Fees | undefined
  if (o.fills !== undefined) {
    fees = {}
    for (const f of o.fills) {
      const fee = D.parsePlain(f.commission)
      if (fee === undefined) return bad(`fill commission ${JSON.stringify(f.commission)} is not a decimal`)
      if (D.isPositive(fee)) fees = addFee(fees, f.commissionAsset, fee)
    }
  }
  const listId = o.orderListId === undefined || String(o.orderListId) === "-1" ? undefined : String(o.orderListId)

  return Result.succeed({
    id,
    clientOrderId: o.origClientOrderId ?? o.clientOrderId,
    symbol: market.symbol,
    side: o.side,
    type: o.type,
    status: o.status,
    price: decimals["price"],
    average: undefined,
    quantity: decimals["origQty"],
    filled: decimals["executedQty"],
    cost: decimals["cummulativeQuoteQty"],
    triggerPrice: decimals["stopPrice"],
    fees,
    listId,
    working: o.isWorking ?? (o.workingTime === undefined ? undefined : Number(o.workingTime) > 0),
    timestamps: [o.time, o.workingTime, o.transactTime, o.updateTime].map((t) => (t === undefined ? undefined : Number(t)))
  })
}

/**
 * Binance's cancel answers (DELETE order, DELETE openOrders) carry the order's own
 * client id as `origClientOrderId`; their `clientOrderId`, which ccxt's unified parse
 * reports, is the id of the cancel request itself. Read from ccxt's `info`.
 */
export const binanceOwnClientOrderId = (info: unknown): string | undefined => {
  if (typeof info !== "object" || info === null) return undefined
  const id = (info as { readonly origClientOrderId?: unknown }).origClientOrderId
  return typeof id === "string" ? id : undefined
}

/** A Binance spot order as an `OrderRecord` (see `readBinanceOrder` and `toOrderRecord`). */
export const decodeBinanceOrder = (raw: unknown, market: WireMarket, ctx: DecodeContext): Result.Result<OrderRecord, ExchangeError> =>
  Result.flatMap(readBinanceOrder(raw, market, ctx), (o) => toOrderRecord(o, ctx))

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
