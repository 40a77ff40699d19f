/**
 * Reading ccxt's unified answers: what ccxt returns (`info: any`, `side: string`,
 * floats for money) becomes orderops' own types here, through `Schema`, or fails
 * with a typed error. Nothing past this file sees a ccxt structure.
 *
 * - Amounts: ccxt parses the exchange's decimal strings into floats. Each float is
 *   read back through its 15-significant-digit form (which removes float noise such
 *   as `0.30000000000000004`) and, where the market's tick or step is known, snapped
 *   to it when it is within noise of a multiple. The result is an exact decimal.
 * - Orders are read into the shared `RawOrder`, which `RawOrder.ts` turns into an
 *   `OrderRecord` (what is representable is decided there, for both wire formats).
 * - A decoding failure is `ExchangeError` reason `UnreadableAnswer`.
 */
import { BigDecimal, Option, Result, Schema } from "effect"
import type { ExchangeError } from "../../errors/ExchangeError.ts"
import * as D from "../../services/Decimal.ts"
import type { MarketRules } from "../../services/MarketRules.ts"
import { addFee, type Fees, type OrderRecord, type OrderType } from "../../services/OrderRecord.ts"
import type { Balance } from "../../services/Venue.ts"
import { BINANCE_ORDER_TYPES } from "./exchanges/binance/OrderTypes.ts"
import { type DecodeContext, type DecodedOrders, decodeOrderList, failure, type RawOrder, toOrderRecord } from "./RawOrder.ts"

export { type DecodeContext, type DecodedOrders, decodeOrderList, failure } from "./RawOrder.ts"

const NullableNumber = Schema.NullishOr(Schema.Finite)
/**
 * For amounts that go through `clean`, which refuses NaN and ±Infinity itself
 * (with the field named), so the schema does not check finiteness a second time.
 */
const NullableAmount = Schema.NullishOr(Schema.Number)
const NullableString = Schema.NullishOr(Schema.String)

// ---- numbers ----------------------------------------------------------------

/** A millionth of a unit: closer to a multiple than this is float noise, not a real off-grid amount. */
const NOISE_PER_UNIT = D.unsafe("1000000")

/** `cleanNumber` without the `Option`: `undefined` for NaN and ±Infinity. */
const clean = (n: number, unit: D.Decimal | undefined): D.Decimal | undefined => {
  const read = D.fromNumber15(n)
  if (Option.isNone(read)) return undefined
  const d = read.value
  // Already on the grid (the usual case): nothing to snap.
  if (unit === undefined || !D.isPositive(unit) || D.isMultipleOf(d, unit)) return d
  const down = D.floorTo(d, unit)
  const up = D.ceilTo(d, unit)
  const nearest = D.lte(D.sub(d, down), D.sub(up, d)) ? down : up
  const distance = D.gte(d, nearest) ? D.sub(d, nearest) : D.sub(nearest, d)
  return D.lte(D.mul(distance, NOISE_PER_UNIT), unit) ? nearest : d
}

/** The exact decimal a ccxt float stands for, without float noise; snapped to `unit` when within noise of it. */
export const cleanNumber = (n: number, unit?: D.Decimal): Option.Option<D.Decimal> => Option.fromNullishOr(clean(n, unit))

/** A decoder for `schema`, built once: a failure is the schema's message on one line. */
const decoder = <S extends Schema.Top & { readonly DecodingServices: never }>(schema: S) => {
  const decode = Schema.decodeUnknownResult(schema)
  return (raw: unknown) => Result.mapError(decode(raw), (e) => e.message.replace(/\s+/g, " "))
}

/**
 * A decoder for a schema whose decoded and encoded forms are the same (no
 * transformations): a value that passes the schema's guard is used as it is,
 * without a copy; only a failure pays for the decoder's message. `quick`, when
 * given, is a hand-written check of the usual shape tried first (see `exchanges/binance/Rest.ts`);
 * it accepts only values the schema accepts, and anything else goes to the schema.
 */
export const checker = <S extends Schema.Top & { readonly DecodingServices: never }>(
  schema: S & Schema.Codec<S["Type"], S["Type"]>,
  quick: (raw: unknown) => boolean = () => false
) => {
  const is = Schema.is(schema)
  const decode = decoder(schema)
  return (raw: unknown): Result.Result<S["Type"], string> => (quick(raw) || is(raw) ? Result.succeed(raw as S["Type"]) : decode(raw))
}

// ---- orders -----------------------------------------------------------------

/** A ccxt fee: `{ cost, currency }` (either may be missing on some exchanges). */
const CcxtFee = Schema.Struct({ cost: Schema.optional(NullableAmount), currency: Schema.optional(NullableString) })

/**
 * The exchange's own order fields ccxt keeps in `info` that orderops reads: the
 * exchange's type word (Binance's `STOP_LOSS_LIMIT`, which ccxt reports as `limit`)
 * the order list id (Binance's `orderListId`, -1 for none) and whether a trigger
 * order works yet (Binance's `isWorking`, or `workingTime`: -1 until it does).
 */
const OrderInfo = Schema.Struct({
  type: Schema.optional(Schema.Unknown),
  orderListId: Schema.optional(Schema.Unknown),
  isWorking: Schema.optional(Schema.Unknown),
  workingTime: Schema.optional(Schema.Unknown)
})

/** Whether the exchange says a trigger order works (its trigger fired); undefined when it does not say. */
const workingOf = (info: typeof OrderInfo.Type | undefined): boolean | undefined => {
  if (typeof info?.isWorking === "boolean") return info.isWorking
  const t = info?.workingTime
  return typeof t === "number" || (typeof t === "string" && t !== "") ? Number(t) > 0 : undefined
}
const parseOrderInfo = Schema.decodeUnknownResult(OrderInfo)

/** The fields of a ccxt `Order` that orderops reads. Everything else (`info` included) is ignored. */
export const CcxtOrder = Schema.Struct({
  id: Schema.String,
  clientOrderId: Schema.optional(NullableString),
  symbol: Schema.String,
  type: Schema.optional(NullableString),
  side: Schema.optional(NullableString),
  status: Schema.optional(NullableString),
  price: Schema.optional(NullableAmount),
  average: Schema.optional(NullableAmount),
  amount: Schema.optional(NullableAmount),
  filled: Schema.optional(NullableAmount),
  cost: Schema.optional(NullableAmount),
  fee: Schema.optional(Schema.NullishOr(CcxtFee)),
  fees: Schema.optional(Schema.NullishOr(Schema.Array(CcxtFee))),
  triggerPrice: Schema.optional(NullableAmount),
  stopPrice: Schema.optional(NullableAmount),
  takeProfitPrice: Schema.optional(NullableAmount),
  stopLossPrice: Schema.optional(NullableAmount),
  timestamp: Schema.optional(NullableNumber),
  lastUpdateTimestamp: Schema.optional(NullableNumber),
  lastTradeTimestamp: Schema.optional(NullableNumber),
  info: Schema.optional(Schema.Unknown)
})
export type CcxtOrder = typeof CcxtOrder.Type

const parseOrder = checker(CcxtOrder)

/** One of an order's amounts as an exact decimal, `undefined` when ccxt has none, or what is wrong with it. */
const amountOf = (n: number | null | undefined, unit: D.Decimal | undefined, field: string): D.Decimal | undefined | string => {
  if (n == null) return undefined
  if (n < 0) return `${field} ${n} is negative`
  return clean(n, unit) ?? `${field} ${n} is not finite`
}

const isObject = (v: unknown): v is object => typeof v === "object" && v !== null

/** Exchange type words in `info` that say more than ccxt's unified `type` (Binance's). */
const KNOWN_INFO_TYPES: ReadonlySet<string> = new Set([
  "limit_maker",
  "stop_loss",
  "stop_loss_limit",
  "take_profit",
  "take_profit_limit"
])

/** ccxt's fees by currency, summed (a rebate is negative); a fee without a currency or amount says nothing and is left out. */
const feesOf = (list: ReadonlyArray<typeof CcxtFee.Type>): Fees | string => {
  let fees: Fees = {}
  for (const f of list) {
    if (f.cost == null || f.currency == null) continue
    // A negative fee is a rebate, kept as it is.
    const cost = clean(f.cost, undefined)
    if (cost === undefined) return `fee ${f.cost} is not finite`
    if (!D.isZero(cost)) fees = addFee(fees, f.currency, cost)
  }
  return fees
}

/** Options for reading ccxt orders. */
export interface CcxtOrderOptions {
  /**
   * The order's own client order id, read from the exchange's raw answer (`info`),
   * where ccxt reports another one (Binance's cancel answers: ccxt's `clientOrderId`
   * is the cancel request's own).
   */
  readonly ownClientOrderId?: ((info: unknown) => string | undefined) | undefined
}

/**
 * A ccxt order read into the shared `RawOrder`. `market` gives the tick and step
 * that the amounts snap to; without it only float noise is removed.
 */
export const readCcxtOrder = (
  raw: unknown,
  market: MarketRules | undefined,
  ctx: DecodeContext,
  options: CcxtOrderOptions = {}
): Result.Result<RawOrder, ExchangeError> => {
  const parsed = parseOrder(raw)
  if (Result.isFailure(parsed)) return Result.fail(failure(ctx, "order", parsed.failure))
  const o = parsed.success
  const amounts = {
    price: amountOf(o.price, o.type === "limit" ? market?.tickSize : undefined, "price"),
    // ccxt leaves `average` out for some fills: the price then is the fill price.
    average: amountOf(o.average ?? (o.filled ? o.price : undefined), undefined, "price"),
    quantity: amountOf(o.amount, market?.stepSize, "amount"),
    filled: amountOf(o.filled, market?.stepSize, "filled"),
    cost: amountOf(o.cost, undefined, "cost"),
    triggerPrice: amountOf(o.triggerPrice ?? o.stopPrice ?? o.takeProfitPrice ?? o.stopLossPrice, undefined, "triggerPrice")
  }
  for (const a of Object.values(amounts)) {
    if (typeof a === "string") return Result.fail(failure({ ...ctx, orderId: ctx.orderId ?? o.id }, "order", `${a} (order ${o.id})`))
  }
  const exact = amounts as { readonly [K in keyof typeof amounts]: D.Decimal | undefined }
  const fees = feesOf(o.fees != null && o.fees.length > 0 ? o.fees : o.fee == null ? [] : [o.fee])
  if (typeof fees === "string") return Result.fail(failure({ ...ctx, orderId: ctx.orderId ?? o.id }, "order", `${fees} (order ${o.id})`))
  const info = Result.getOrUndefined(parseOrderInfo(isObject(o.info) ? o.info : {}))
  // The exchange's own word names trigger kinds ccxt folds into limit / market.
  const infoType = typeof info?.type === "string" && KNOWN_INFO_TYPES.has(info.type.toLowerCase()) ? info.type : undefined
  const listId = info?.orderListId
  return Result.succeed({
    id: o.id,
    clientOrderId: options.ownClientOrderId?.(o.info) ?? o.clientOrderId ?? undefined,
    symbol: o.symbol,
    side: o.side ?? undefined,
    type: infoType ?? o.type ?? undefined,
    triggerKind: o.takeProfitPrice != null && o.stopLossPrice == null ? "take-profit" : undefined,
    fees,
    listId: (typeof listId === "number" || typeof listId === "string") && String(listId) !== "-1" ? String(listId) : undefined,
    status: o.status ?? undefined,
    working: workingOf(info),
    ...exact,
    timestamps: [o.timestamp ?? undefined, o.lastUpdateTimestamp ?? undefined, o.lastTradeTimestamp ?? undefined]
  })
}

/** A ccxt order as an `OrderRecord` (see `readCcxtOrder` and `toOrderRecord`). */
export const decodeOrder = (
  raw: unknown,
  market: MarketRules | undefined,
  ctx: DecodeContext,
  options: CcxtOrderOptions = {}
): Result.Result<OrderRecord, ExchangeError> =>
  Result.flatMap(readCcxtOrder(raw, market, ctx, options), (o) => toOrderRecord(o, ctx))

/** A list of ccxt orders (see `decodeOrderList`). */
export const decodeOrders = (
  raw: unknown,
  market: MarketRules | undefined,
  ctx: DecodeContext,
  options: CcxtOrderOptions = {}
): Result.Result<DecodedOrders, ExchangeError> => decodeOrderList(raw, ctx, (item) => decodeOrder(item, market, ctx, options))

// ---- markets ------------------------------------------------------------------

/** Every order type orderops places, in the order a market's rules list them. */
const ORDER_TYPES: ReadonlyArray<OrderType> = ["limit", "limit-maker", "market", "stop-loss", "stop-loss-limit", "take-profit", "take-profit-limit"]

const MinMax = Schema.Struct({ min: Schema.optional(NullableNumber), max: Schema.optional(NullableNumber) })

/** The Binance `exchangeInfo` symbol fields orderops reads from `info`, when present. */
const BinanceSymbolInfo = Schema.Struct({
  orderTypes: Schema.optional(Schema.Array(Schema.String)),
  ocoAllowed: Schema.optional(Schema.Boolean),
  filters: Schema.optional(
    Schema.Array(
      Schema.Struct({
        filterType: Schema.String,
        maxNumOrders: Schema.optional(Schema.Union([Schema.String, Schema.Finite]))
      })
    )
  )
})

export const CcxtMarket = Schema.Struct({
  symbol: Schema.String,
  base: Schema.String,
  quote: Schema.String,
  active: Schema.optional(Schema.NullishOr(Schema.Boolean)),
  precision: Schema.Struct({ amount: Schema.optional(NullableNumber), price: Schema.optional(NullableNumber) }),
  limits: Schema.Struct({
    amount: Schema.optional(Schema.NullishOr(MinMax)),
    price: Schema.optional(Schema.NullishOr(MinMax)),
    cost: Schema.optional(Schema.NullishOr(MinMax))
  }),
  info: Schema.optional(Schema.Unknown)
})

const parseMarket = decoder(CcxtMarket)
const parseSymbolInfo = Schema.decodeUnknownResult(BinanceSymbolInfo)

/** ccxt's precision modes (`exchange.precisionMode`). */
export const PrecisionMode = { DECIMAL_PLACES: 2, SIGNIFICANT_DIGITS: 3, TICK_SIZE: 4 } as const

export interface MarketDecodeOptions {
  /** `exchange.precisionMode`. Default TICK_SIZE (ccxt 4's mode for Binance). */
  readonly precisionMode?: number | undefined
}

const positive = (n: number | null | undefined): Option.Option<D.Decimal> =>
  n == null || !(n > 0) ? Option.none() : cleanNumber(n)

/** A ccxt market as `MarketRules`: tick and step from `precision`, bounds from `limits`, Binance extras from `info`. */
export const decodeMarket = (
  raw: unknown,
  ctx: DecodeContext,
  options: MarketDecodeOptions = {}
): Result.Result<MarketRules, ExchangeError> => {
  const parsed = parseMarket(raw)
  if (Result.isFailure(parsed)) return Result.fail(failure(ctx, "market", parsed.failure))
  const m = parsed.success
  const bad = (issue: string) => Result.fail(failure(ctx, "market", `${m.symbol}: ${issue}`))

  const mode = options.precisionMode ?? PrecisionMode.TICK_SIZE
  const unit = (n: number | null | undefined, field: string): Result.Result<D.Decimal, string> => {
    if (n == null || n < 0 || (n === 0 && mode !== PrecisionMode.DECIMAL_PLACES)) {
      return Result.fail(`precision.${field} ${String(n)} is not positive`)
    }
    if (mode === PrecisionMode.TICK_SIZE) {
      return Option.match(cleanNumber(n), {
        onNone: () => Result.fail(`precision.${field} is not finite`),
        onSome: Result.succeed
      })
    }
    if (mode === PrecisionMode.DECIMAL_PLACES && Number.isInteger(n)) return Result.succeed(BigDecimal.make(1n, n))
    return Result.fail(`precision mode ${mode} is not supported (need tick sizes or decimal places)`)
  }
  const tick = unit(m.precision.price, "price")
  if (Result.isFailure(tick)) return bad(tick.failure)
  const step = unit(m.precision.amount, "amount")
  if (Result.isFailure(step)) return bad(step.failure)

  const info = Result.getOrUndefined(parseSymbolInfo(m.info ?? {}))
  const maxNumOrders = info?.filters?.find((f) => f.filterType === "MAX_NUM_ORDERS")?.maxNumOrders
  const maxOpenOrders = maxNumOrders === undefined ? NaN : Number(maxNumOrders)
  // Binance lists its types (LIMIT, LIMIT_MAKER, STOP_LOSS_LIMIT, ...); other exchanges: limit and market.
  const orderTypes: ReadonlyArray<OrderType> = info?.orderTypes === undefined
    ? ["limit", "market"]
    : ORDER_TYPES.filter((t) => info.orderTypes!.includes(BINANCE_ORDER_TYPES[t]))

  return Result.succeed({
    symbol: m.symbol,
    base: m.base,
    quote: m.quote,
    tickSize: tick.success,
    stepSize: step.success,
    minQuantity: Option.getOrElse(positive(m.limits.amount?.min), () => step.success),
    maxQuantity: positive(m.limits.amount?.max),
    minPrice: positive(m.limits.price?.min),
    // Binance reports 0 for "no maximum".
    maxPrice: positive(m.limits.price?.max),
    minNotional: Option.getOrElse(positive(m.limits.cost?.min), () => D.ZERO),
    maxOpenOrders: Number.isInteger(maxOpenOrders) && maxOpenOrders > 0 ? Option.some(maxOpenOrders) : Option.none(),
    orderTypes,
    // Only Binance's exchangeInfo says so; every other exchange has no OCO here.
    ocoAllowed: info?.ocoAllowed === true
  })
}

// ---- balances -----------------------------------------------------------------

const Amounts = Schema.Record(Schema.String, NullableAmount)
export const CcxtBalance = Schema.Struct({
  free: Schema.optional(Schema.NullishOr(Amounts)),
  used: Schema.optional(Schema.NullishOr(Amounts))
})

const parseBalance = checker(CcxtBalance)

/** A listed amount, zero when ccxt has none; `undefined` when it is not finite. */
const amountOrZero = (n: number | null | undefined): D.Decimal | undefined => (n == null ? D.ZERO : clean(n, undefined))

/** A ccxt balance as free / used per asset. Assets ccxt lists with no amount count as zero. */
export const decodeBalances = (raw: unknown, ctx: DecodeContext): Result.Result<ReadonlyMap<string, Balance>, ExchangeError> => {
  const parsed = parseBalance(raw)
  if (Result.isFailure(parsed)) return Result.fail(failure(ctx, "balance", parsed.failure))
  const free = parsed.success.free ?? {}
  const used = parsed.success.used ?? {}
  const out = new Map<string, Balance>()
  for (const amounts of [free, used]) {
    for (const asset of Object.keys(amounts)) {
      if (out.has(asset)) continue
      const f = amountOrZero(free[asset])
      const u = amountOrZero(used[asset])
      if (f === undefined || u === undefined) return Result.fail(failure(ctx, "balance", `${asset} is not finite`))
      out.set(asset, { free: f, used: u })
    }
  }
  return Result.succeed(out)
}

// ---- tickers ------------------------------------------------------------------

export const CcxtTicker = Schema.Struct({
  last: Schema.optional(NullableNumber),
  close: Schema.optional(NullableNumber)
})

const parseTicker = checker(CcxtTicker)

/** The last traded price of a ccxt ticker, when it has one, snapped to `tick` when within noise of it. */
export const decodeLastPrice = (
  raw: unknown,
  tick: D.Decimal | undefined,
  ctx: DecodeContext
): Result.Result<Option.Option<D.Decimal>, ExchangeError> => {
  const parsed = parseTicker(raw)
  if (Result.isFailure(parsed)) return Result.fail(failure(ctx, "ticker", parsed.failure))
  const last = parsed.success.last ?? parsed.success.close
  return Result.succeed(last == null || !(last > 0) ? Option.none() : cleanNumber(last, tick))
}
