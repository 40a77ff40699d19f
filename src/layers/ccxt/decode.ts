/**
 * Decoding at the ccxt boundary: what ccxt returns (`info: any`, `side: string`,
 * floats for money) becomes orderops' own types here, through `Schema`, or fails
 * with a typed error. Nothing past this file sees a ccxt structure.
 *
 * - Amounts: ccxt parses the exchange's decimal strings into floats. Each float is
 *   read back through its 15-significant-digit form (which removes float noise such
 *   as `0.30000000000000004`) and, where the market's tick or step is known, snapped
 *   to it when it is within noise of a multiple. The result is an exact decimal.
 * - Orders: only `limit` / `market`, `buy` / `sell` and ccxt's unified statuses are
 *   representable. A single order that is not (a stop order placed by hand, say) is
 *   an error; in a list it is skipped and reported, so one foreign order cannot break
 *   `openOrders` or `sync`.
 * - A decoding failure is `ExchangeError` reason `UnreadableAnswer`: the exchange answered,
 *   but with something orderops cannot represent. It is not `BadRequest` (our request
 *   was fine) and not retryable (asking again gives the same answer).
 */
import { BigDecimal, Option, Result, Schema } from "effect"
import { contextFields, type ErrorContextFields } from "../../errors/context.ts"
import { ExchangeError } from "../../errors/ExchangeError.ts"
import * as D from "../../services/Decimal.ts"
import type { MarketRules } from "../../services/MarketRules.ts"
import type { OrderRecord, OrderStatus, OrderType } from "../../services/OrderRecord.ts"
import type { Balance } from "../../services/Venue.ts"

export interface DecodeContext extends ErrorContextFields {
  /** The ccxt exchange id, for messages. */
  readonly exchange: string
}

/** The `ExchangeError` (`UnreadableAnswer`) for an answer orderops cannot represent. */
export const failure = (ctx: DecodeContext, what: string, issue: string) =>
  new ExchangeError({
    ...contextFields(ctx),
    reason: "UnreadableAnswer",
    detail: `unexpected ${what} from ${ctx.exchange}: ${issue}`
  })

const NullableNumber = Schema.NullishOr(Schema.Finite)
/**
 * For amounts that go through `cleanNumber`, which refuses NaN and ±Infinity itself
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

// ---- orders -----------------------------------------------------------------

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
  timestamp: Schema.optional(NullableNumber),
  lastUpdateTimestamp: Schema.optional(NullableNumber),
  lastTradeTimestamp: Schema.optional(NullableNumber),
  info: Schema.optional(Schema.Unknown)
})
export type CcxtOrder = typeof CcxtOrder.Type

const STATUSES: Readonly<Record<string, OrderStatus>> = {
  open: "open",
  // Binance PENDING_CANCEL: not final yet, so it stays tracked until it is.
  canceling: "open",
  closed: "closed",
  canceled: "canceled",
  cancelled: "canceled",
  expired: "expired",
  rejected: "rejected"
}

const TYPES: Readonly<Record<string, OrderType>> = { limit: "limit", market: "market" }

/** A decoder for `schema`, built once: a failure is the schema's message on one line. */
const decoder = <S extends Schema.Top & { readonly DecodingServices: never }>(schema: S) => {
  const decode = Schema.decodeUnknownResult(schema)
  return (raw: unknown) => Result.mapError(decode(raw), (e) => e.message.replace(/\s+/g, " "))
}

/**
 * A decoder for a schema whose decoded and encoded forms are the same (no
 * transformations): a value that passes the schema's guard is used as it is,
 * without a copy; only a failure pays for the decoder's message.
 *
 * `quick` is an optional hand-written check for the usual shape, tried first. Every
 * request decodes an answer right after ccxt has parsed it, when the schema's
 * interpreter is out of the CPU's caches: walking its AST then costs several times
 * what it does in a loop. `quick` reads the few fields directly. It accepts only
 * values the schema accepts (test/ccxt-decode.test.ts checks this on recorded and
 * mutated answers); anything it does not recognise goes to the schema, which decides.
 */
export const checker = <S extends Schema.Top & { readonly DecodingServices: never }>(
  schema: S & Schema.Codec<S["Type"], S["Type"]>,
  quick?: (raw: unknown) => boolean
) => {
  const is = Schema.is(schema)
  const decode = decoder(schema)
  return (raw: unknown): Result.Result<S["Type"], string> =>
    (quick !== undefined && quick(raw)) || is(raw) ? Result.succeed(raw as S["Type"]) : decode(raw)
}

const isNullish = (v: unknown): v is null | undefined => v === undefined || v === null
const isOptionalString = (v: unknown) => isNullish(v) || typeof v === "string"
const isOptionalNumber = (v: unknown) => isNullish(v) || typeof v === "number"
const isOptionalFinite = (v: unknown) => isNullish(v) || (typeof v === "number" && Number.isFinite(v))
export const isPlainObject = (v: unknown): v is Readonly<Record<string, unknown>> =>
  typeof v === "object" && v !== null && !Array.isArray(v)

/** `CcxtOrder`'s quick check (see `checker`). */
export const quickOrder = (raw: unknown): boolean =>
  isPlainObject(raw) && typeof raw["id"] === "string" && typeof raw["symbol"] === "string" &&
  isOptionalString(raw["clientOrderId"]) && isOptionalString(raw["type"]) && isOptionalString(raw["side"]) &&
  isOptionalString(raw["status"]) && isOptionalNumber(raw["price"]) && isOptionalNumber(raw["average"]) &&
  isOptionalNumber(raw["amount"]) && isOptionalNumber(raw["filled"]) && isOptionalFinite(raw["timestamp"]) &&
  isOptionalFinite(raw["lastUpdateTimestamp"]) && isOptionalFinite(raw["lastTradeTimestamp"])

const parseOrder = checker(CcxtOrder, quickOrder)

/**
 * An order's amount as the exact number its record carries (`clean`, then the
 * nearest number, which names the same decimal), `fallback` when ccxt has none, or
 * what is wrong with it.
 */
const amountOf = (
  n: number | null | undefined,
  unit: D.Decimal | undefined,
  field: string,
  fallback: number | undefined
): number | string => {
  if (n == null) return fallback ?? `${field} is missing`
  if (n < 0) return `${field} ${n} is negative`
  const d = clean(n, unit)
  return d === undefined ? `${field} ${n} is not finite` : D.toNumber(d)
}

const isPositiveTime = (t: number | null | undefined): t is number => t != null && t > 0

/**
 * Binance's cancel answers (DELETE order, DELETE openOrders) carry the order's own
 * client id as `origClientOrderId`; their `clientOrderId`, which ccxt reports, is the
 * id of the cancel request itself.
 */
const origClientOrderId = (info: unknown): string | undefined => {
  if (typeof info !== "object" || info === null) return undefined
  const id = (info as { readonly origClientOrderId?: unknown }).origClientOrderId
  return typeof id === "string" ? id : undefined
}

const badOrder = (ctx: DecodeContext, o: CcxtOrder, issue: string) =>
  Result.fail(failure({ ...ctx, orderId: ctx.orderId ?? o.id }, "order", `${issue} (order ${o.id})`))

/**
 * A ccxt order as an `OrderRecord`. `market` gives the tick and step that the
 * amounts snap to; without it only float noise is removed.
 */
export const decodeOrder = (
  raw: unknown,
  market: MarketRules | undefined,
  ctx: DecodeContext
): Result.Result<OrderRecord, ExchangeError> => {
  const parsed = parseOrder(raw)
  if (Result.isFailure(parsed)) return Result.fail(failure(ctx, "order", parsed.failure))
  const o = parsed.success

  const side = o.side === "buy" || o.side === "sell" ? o.side : undefined
  if (side === undefined) return badOrder(ctx, o, `side ${JSON.stringify(o.side ?? null)} is not buy or sell`)
  const type = o.type == null ? undefined : TYPES[o.type]
  if (type === undefined) return badOrder(ctx, o, `type ${JSON.stringify(o.type ?? null)} is not limit or market`)
  const status = o.status == null ? undefined : STATUSES[o.status]
  if (status === undefined) return badOrder(ctx, o, `status ${JSON.stringify(o.status ?? null)} is not a known order status`)

  // A limit order's price is its limit; a market order's is the average fill (0 until it fills).
  const priceSource = type === "limit" ? o.price : (o.average ?? (o.filled ? o.price : undefined))
  const price = amountOf(priceSource, type === "limit" ? market?.tickSize : undefined, "price", type === "market" ? 0 : undefined)
  if (typeof price === "string") return badOrder(ctx, o, price)
  const quantity = amountOf(o.amount, market?.stepSize, "amount", undefined)
  if (typeof quantity === "string") return badOrder(ctx, o, quantity)
  const filled = amountOf(o.filled, market?.stepSize, "filled", 0)
  if (typeof filled === "string") return badOrder(ctx, o, filled)

  const timestamp = isPositiveTime(o.timestamp)
    ? o.timestamp
    : isPositiveTime(o.lastUpdateTimestamp)
    ? o.lastUpdateTimestamp
    : isPositiveTime(o.lastTradeTimestamp)
    ? o.lastTradeTimestamp
    : undefined
  if (timestamp === undefined) return badOrder(ctx, o, "no timestamp")

  return Result.succeed({
    id: o.id,
    clientOrderId: origClientOrderId(o.info) ?? o.clientOrderId ?? "",
    symbol: o.symbol,
    side,
    type,
    price,
    quantity,
    filled,
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

/** A list of ccxt orders (see `decodeOrderList`). */
export const decodeOrders = (
  raw: unknown,
  market: MarketRules | undefined,
  ctx: DecodeContext
): Result.Result<DecodedOrders, ExchangeError> => decodeOrderList(raw, ctx, (item) => decodeOrder(item, market, ctx))

// ---- markets ------------------------------------------------------------------

const MinMax = Schema.Struct({ min: Schema.optional(NullableNumber), max: Schema.optional(NullableNumber) })

/** The Binance `exchangeInfo` symbol fields orderops reads from `info`, when present. */
const BinanceSymbolInfo = Schema.Struct({
  orderTypes: Schema.optional(Schema.Array(Schema.String)),
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
  const orderTypes: ReadonlyArray<OrderType> = info?.orderTypes === undefined
    ? ["limit", "market"]
    : (["limit", "market"] as const).filter((t) => info.orderTypes!.includes(t.toUpperCase()))

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
    orderTypes
  })
}

// ---- balances -----------------------------------------------------------------

const Amounts = Schema.Record(Schema.String, NullableAmount)
export const CcxtBalance = Schema.Struct({
  free: Schema.optional(Schema.NullishOr(Amounts)),
  used: Schema.optional(Schema.NullishOr(Amounts))
})

/** Amounts by asset: a plain object of numbers or nothing. */
const isOptionalAmounts = (v: unknown): boolean => {
  if (isNullish(v)) return true
  if (!isPlainObject(v)) return false
  for (const k of Object.keys(v)) if (!isOptionalNumber(v[k])) return false
  return true
}

/** `CcxtBalance`'s quick check (see `checker`). */
export const quickBalance = (raw: unknown): boolean =>
  isPlainObject(raw) && isOptionalAmounts(raw["free"]) && isOptionalAmounts(raw["used"])

const parseBalance = checker(CcxtBalance, quickBalance)

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
