/**
 * A market's trading rules and the validation every layer runs before an order
 * leaves the process. Live rules come from the exchange's `loadMarkets`; dry-run
 * rules are built in or given as options. Either way, the same function decides.
 *
 * Snapping: a buy price rounds DOWN to the tick and a sell price rounds UP, so the
 * snapped price is never worse for the trader than the one asked for. Quantities
 * always round down to the lot step, so an order never exceeds what was asked.
 */
import { Option, Result } from "effect"
import type { ErrorContextFields } from "../errors/context.ts"
import { contextFields } from "../errors/context.ts"
import { ValidationError, type ValidationRule } from "../errors/ValidationError.ts"
import * as D from "./Decimal.ts"
import { hasLimitPrice, isTriggerType, type OrderSide, type OrderType } from "./OrderRecord.ts"
import { triggerKindOf, validateTrigger } from "./TriggerRules.ts"
import type { MarketRules } from "./Market.ts"

export type { MarketRules } from "./Market.ts"

/** Market rules as a user writes them in options: numbers or decimal strings. */
export interface MarketRulesInput {
  readonly base?: string
  readonly quote?: string
  readonly tickSize: number | string
  readonly stepSize: number | string
  readonly minQuantity?: number | string
  readonly maxQuantity?: number | string
  readonly minPrice?: number | string
  readonly maxPrice?: number | string
  readonly minNotional?: number | string
  readonly maxOpenOrders?: number
  readonly orderTypes?: ReadonlyArray<OrderType>
  /** Default false. */
  readonly ocoAllowed?: boolean
}

/** Splits `BASE/QUOTE` (ccxt's unified form; a `:SETTLE` suffix is ignored). */
export const splitSymbol = (symbol: string): Option.Option<{ readonly base: string; readonly quote: string }> => {
  const [pair] = symbol.split(":")
  const parts = (pair ?? "").split("/")
  return parts.length === 2 && parts[0] && parts[1] ? Option.some({ base: parts[0], quote: parts[1] }) : Option.none()
}

const optionalDecimal = (v: number | string | undefined) => (v === undefined ? Option.none() : Option.some(D.unsafe(v)))

/** Builds rules from user input. Throws on malformed decimals: inputs are configuration, checked at layer build. */
export const makeRules = (symbol: string, input: MarketRulesInput): MarketRules => {
  const split = Option.getOrElse(splitSymbol(symbol), () => ({ base: symbol, quote: "" }))
  return {
    symbol,
    base: input.base ?? split.base,
    quote: input.quote ?? split.quote,
    tickSize: D.unsafe(input.tickSize),
    stepSize: D.unsafe(input.stepSize),
    minQuantity: input.minQuantity === undefined ? D.unsafe(input.stepSize) : D.unsafe(input.minQuantity),
    maxQuantity: optionalDecimal(input.maxQuantity),
    minPrice: optionalDecimal(input.minPrice),
    maxPrice: optionalDecimal(input.maxPrice),
    minNotional: input.minNotional === undefined ? D.ZERO : D.unsafe(input.minNotional),
    maxOpenOrders: Option.fromNullishOr(input.maxOpenOrders),
    orderTypes: input.orderTypes ?? ["limit", "market"],
    ocoAllowed: input.ocoAllowed ?? false
  }
}

/** The filters every Binance.US spot market in the table below shares. */
const BINANCE_US_COMMON = {
  minNotional: "1",
  maxOpenOrders: 200,
  // Binance.US spot lists LIMIT, LIMIT_MAKER, MARKET, STOP_LOSS_LIMIT and TAKE_PROFIT_LIMIT (no plain STOP_LOSS / TAKE_PROFIT).
  orderTypes: ["limit", "limit-maker", "market", "stop-loss-limit", "take-profit-limit"],
  ocoAllowed: true
} as const

/**
 * Real Binance.US spot rules for common markets: HBAR/USDT, and the markets of
 * ccxt's recorded Binance.US data (`markets/binanceus.json`; a test holds the
 * table to it).
 * The dry run knows these symbols without being told. Exchanges change their
 * rules; a live layer always reads the current ones from the exchange.
 */
export const BINANCE_US_SPOT: Readonly<Record<string, MarketRulesInput>> = {
  "HBAR/USDT": { tickSize: "0.00001", stepSize: "1", minQuantity: "1", maxQuantity: "9000000", ...BINANCE_US_COMMON },
  "BTC/USDT": { tickSize: "0.01", stepSize: "0.00001", maxQuantity: "9000", minPrice: "0.01", maxPrice: "1000000", ...BINANCE_US_COMMON },
  "ETH/USD": { tickSize: "0.01", stepSize: "0.0001", maxQuantity: "9000", minPrice: "0.01", maxPrice: "1000000", ...BINANCE_US_COMMON },
  "LTC/USD": { tickSize: "0.01", stepSize: "0.001", maxQuantity: "90000", minPrice: "0.01", maxPrice: "100000", ...BINANCE_US_COMMON },
  "LTC/USDT": { tickSize: "0.01", stepSize: "0.001", maxQuantity: "90000", minPrice: "0.01", maxPrice: "100000", ...BINANCE_US_COMMON },
  "ADA/USDT": { tickSize: "0.0001", stepSize: "0.1", maxQuantity: "900000", minPrice: "0.0001", maxPrice: "1000", ...BINANCE_US_COMMON },
  "XRP/USDT": { tickSize: "0.0001", stepSize: "1", maxQuantity: "100000", minPrice: "0.0001", maxPrice: "100", ...BINANCE_US_COMMON },
  "SOL/USDT": { tickSize: "0.01", stepSize: "0.01", maxQuantity: "90000", minPrice: "0.01", maxPrice: "1000", ...BINANCE_US_COMMON },
  "TRX/USDT": { tickSize: "0.00001", stepSize: "0.1", maxQuantity: "9000000", minPrice: "0.00001", maxPrice: "1000", ...BINANCE_US_COMMON }
}

/** The built-in HBAR/USDT rules (Binance.US): tick 0.00001, step 1, min 1 HBAR, min notional 1 USDT, 200 open orders. */
export const HBAR_USDT: MarketRules = makeRules("HBAR/USDT", BINANCE_US_SPOT["HBAR/USDT"]!)

/** An order request after validation: exact, snapped, ready to send. */
export interface ValidOrder {
  readonly side: OrderSide
  readonly type: OrderType
  /** The snapped limit price; `None` for market, stop-loss and take-profit orders. */
  readonly price: Option.Option<D.Decimal>
  /** The snapped trigger price of a stop-loss or take-profit order; `None` for others. */
  readonly triggerPrice: Option.Option<D.Decimal>
  readonly quantity: D.Decimal
}

/**
 * An order as a caller asks for it. Amounts are numbers (read at 15 significant
 * digits, so float noise never moves an order by a tick), decimal strings or
 * `BigDecimal`s, for callers who keep exact amounts.
 */
export interface OrderRequest {
  readonly side: OrderSide
  readonly type: OrderType
  /** Required for the types that rest at a limit (limit, limit-maker, the `-limit` trigger types); ignored for the others. */
  readonly price?: D.Amount | undefined
  /** Required for stop-loss and take-profit types, ignored for the others. */
  readonly triggerPrice?: D.Amount | undefined
  readonly quantity: D.Amount
}

export interface ValidationContext extends ErrorContextFields {
  /**
   * The last known price: the notional of market orders, and the side a trigger must
   * lie on; those checks are skipped when it is absent.
   */
  readonly referencePrice?: D.Decimal | undefined
  /** How many orders are open on the symbol now, for `maxOpenOrders`. */
  readonly openOrders?: number | undefined
}

/**
 * Checks and snaps an order against the market's rules. Pure: nothing is sent, and
 * the first broken rule comes back as a `ValidationError` naming it and its values.
 */
export const validateOrder = (
  rules: MarketRules,
  request: OrderRequest,
  ctx: ValidationContext
): Result.Result<ValidOrder, ValidationError> => {
  const fail = (rule: ValidationRule, field: string, value: string, limit?: string, accepted?: string) =>
    Result.fail(
      new ValidationError({
        ...contextFields(ctx),
        rule,
        field,
        value,
        ...(limit === undefined ? {} : { limit }),
        ...(accepted === undefined ? {} : { accepted })
      })
    )

  /** A positive amount, or the failure naming what was given: NaN and ±Infinity, text that is no decimal, out of bounds, zero or less. */
  const positive = (field: string, given: D.Amount): Result.Result<D.Decimal, ValidationError> => {
    const read = D.fromAmount(given)
    if (Option.isNone(read)) {
      const rule = typeof given === "number" && !Number.isFinite(given) ? "NotFinite" : "InvalidArgument"
      return fail(rule, field, D.describeAmount(given), undefined, D.AMOUNT_ACCEPTED)
    }
    return D.isPositive(read.value) ? Result.succeed(read.value) : fail("NotPositive", field, D.format(read.value))
  }

  if (!rules.orderTypes.includes(request.type)) {
    return fail("OrderTypeNotAllowed", "type", request.type, rules.orderTypes.join(","))
  }
  const rawQuantity = positive("quantity", request.quantity)
  if (Result.isFailure(rawQuantity)) return Result.fail(rawQuantity.failure)

  let price: Option.Option<D.Decimal> = Option.none()
  if (hasLimitPrice(request.type)) {
    if (request.price === undefined) return fail("InvalidArgument", "price", "missing")
    const raw = positive("price", request.price)
    if (Result.isFailure(raw)) return Result.fail(raw.failure)
    const snapped = request.side === "buy" ? D.floorTo(raw.success, rules.tickSize) : D.ceilTo(raw.success, rules.tickSize)
    if (!D.isPositive(snapped)) return fail("MinPrice", "price", D.format(snapped), D.format(rules.tickSize))
    if (Option.isSome(rules.minPrice) && D.lt(snapped, rules.minPrice.value)) {
      return fail("MinPrice", "price", D.format(snapped), D.format(rules.minPrice.value))
    }
    if (Option.isSome(rules.maxPrice) && D.gt(snapped, rules.maxPrice.value)) {
      return fail("MaxPrice", "price", D.format(snapped), D.format(rules.maxPrice.value))
    }
    price = Option.some(snapped)
  }

  let triggerPrice: Option.Option<D.Decimal> = Option.none()
  if (isTriggerType(request.type)) {
    if (request.triggerPrice === undefined) return fail("InvalidArgument", "triggerPrice", "missing")
    const trigger = validateTrigger(rules, { kind: triggerKindOf(request.type), side: request.side, triggerPrice: request.triggerPrice }, {
      ...contextFields(ctx),
      lastPrice: ctx.referencePrice
    })
    if (Result.isFailure(trigger)) return Result.fail(trigger.failure)
    triggerPrice = Option.some(trigger.success)
  }

  const quantity = D.floorTo(rawQuantity.success, rules.stepSize)
  if (D.lt(quantity, rules.minQuantity) || !D.isPositive(quantity)) {
    return fail("MinQuantity", "quantity", D.format(quantity), D.format(rules.minQuantity))
  }
  if (Option.isSome(rules.maxQuantity) && D.gt(quantity, rules.maxQuantity.value)) {
    return fail("MaxQuantity", "quantity", D.format(quantity), D.format(rules.maxQuantity.value))
  }

  // A market order's notional is at the last price; a stop-loss or take-profit's at its trigger, where it will sell.
  const notionalPrice = Option.isSome(price) ? price.value : Option.isSome(triggerPrice) ? triggerPrice.value : ctx.referencePrice
  if (notionalPrice !== undefined && D.isPositive(rules.minNotional)) {
    const notional = D.mul(notionalPrice, quantity)
    if (D.lt(notional, rules.minNotional)) {
      return fail("MinNotional", "notional", D.format(notional), D.format(rules.minNotional))
    }
  }

  if (
    request.type !== "market" && Option.isSome(rules.maxOpenOrders) && ctx.openOrders !== undefined &&
    ctx.openOrders >= rules.maxOpenOrders.value
  ) {
    return fail("MaxOpenOrders", "openOrders", String(ctx.openOrders), String(rules.maxOpenOrders.value))
  }

  return Result.succeed({ side: request.side, type: request.type, price, triggerPrice, quantity })
}

/**
 * The largest sellable quantity of `free` base: rounded down to the step, or `None`
 * when that is dust (below the minimum quantity or, at `referencePrice`, the minimum notional).
 */
export const sellableQuantity = (
  rules: MarketRules,
  free: D.Decimal,
  referencePrice: D.Decimal | undefined
): Option.Option<D.Decimal> => {
  const quantity = D.floorTo(free, rules.stepSize)
  if (!D.isPositive(quantity) || D.lt(quantity, rules.minQuantity)) return Option.none()
  const capped = Option.isSome(rules.maxQuantity) ? D.min(quantity, rules.maxQuantity.value) : quantity
  if (referencePrice !== undefined && D.isPositive(rules.minNotional) && D.lt(D.mul(referencePrice, capped), rules.minNotional)) {
    return Option.none()
  }
  return Option.some(capped)
}
