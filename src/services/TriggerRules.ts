/**
 * The rules of trigger prices, shared by every layer so that a dry run refuses what
 * the exchange would: when a stop-loss or take-profit fires, how its trigger is
 * snapped to the tick, that it must not fire at once, and Binance's price order for
 * an OCO's two legs. Pure: nothing is sent, and a broken rule is a `ValidationError`.
 *
 * When a trigger fires (Binance's rule, which ccxt's other exchanges share):
 * - a SELL stop-loss when the last price falls to or below it, a BUY one when it
 *   rises to or above it;
 * - a take-profit the other way round.
 *
 * Snapping: the trigger rounds to the tick in the direction that fires no later than
 * the trigger asked for (a sell stop-loss rounds up, a buy stop-loss down, a sell
 * take-profit down, a buy take-profit up): a protective order never waits past the
 * price its owner chose.
 */
import { Option, Result } from "effect"
import type { ErrorContextFields } from "../errors/context.ts"
import { contextFields } from "../errors/context.ts"
import { ValidationError, type ValidationRule } from "../errors/ValidationError.ts"
import * as D from "./Decimal.ts"
import type { MarketRules } from "./Market.ts"
import type { OrderSide, OrderType } from "./OrderRecord.ts"

/** What a trigger protects: a loss (it fires as the price moves against the position) or a profit. */
export type TriggerKind = "stop-loss" | "take-profit"

/** The kind of trigger an order type waits for (stop-loss and stop-loss-limit; take-profit and take-profit-limit). */
export const triggerKindOf = (type: OrderType): TriggerKind => (type.startsWith("stop-loss") ? "stop-loss" : "take-profit")

/** Whether a trigger of `kind` for a `side` order fires when the last price falls to it (else when it rises to it). */
export const firesOnFall = (kind: TriggerKind, side: OrderSide): boolean => (side === "sell") === (kind === "stop-loss")

/** Whether a trigger of `kind` for a `side` order at `trigger` has fired at the last price `last`. */
export const fires = (kind: TriggerKind, side: OrderSide, trigger: D.Decimal, last: D.Decimal): boolean =>
  firesOnFall(kind, side) ? D.lte(last, trigger) : D.gte(last, trigger)

/** `trigger` on the tick, rounded so that it fires no later than asked (see the header). */
export const snapTrigger = (rules: MarketRules, kind: TriggerKind, side: OrderSide, trigger: D.Decimal): D.Decimal =>
  firesOnFall(kind, side) ? D.ceilTo(trigger, rules.tickSize) : D.floorTo(trigger, rules.tickSize)

export interface TriggerRequest {
  readonly kind: TriggerKind
  readonly side: OrderSide
  readonly triggerPrice: D.Amount
}

export interface TriggerContext extends ErrorContextFields {
  /** The last traded price; when absent, a trigger is not checked against it. */
  readonly lastPrice?: D.Decimal | undefined
}

const failWith = (ctx: ErrorContextFields, rule: ValidationRule, field: string, value: string, limit?: string) =>
  Result.fail(new ValidationError({ ...contextFields(ctx), rule, field, value, ...(limit === undefined ? {} : { limit }) }))

/**
 * The trigger price, read, snapped to the tick and checked: positive, within the
 * market's price bounds, and not already fired at the last price (when known).
 */
export const validateTrigger = (
  rules: MarketRules,
  request: TriggerRequest,
  ctx: TriggerContext
): Result.Result<D.Decimal, ValidationError> => {
  const fail = (rule: ValidationRule, value: string, limit?: string) => failWith(ctx, rule, "triggerPrice", value, limit)
  const read = D.fromAmount(request.triggerPrice)
  if (Option.isNone(read)) {
    const given = request.triggerPrice
    const rule = typeof given === "number" && !Number.isFinite(given) ? "NotFinite" : "InvalidArgument"
    return Result.fail(new ValidationError({ ...contextFields(ctx), rule, field: "triggerPrice", value: D.describeAmount(given), accepted: D.AMOUNT_ACCEPTED }))
  }
  if (!D.isPositive(read.value)) return fail("NotPositive", D.format(read.value))
  const trigger = snapTrigger(rules, request.kind, request.side, read.value)
  if (!D.isPositive(trigger)) return fail("MinPrice", D.format(trigger), D.format(rules.tickSize))
  if (Option.isSome(rules.minPrice) && D.lt(trigger, rules.minPrice.value)) {
    return fail("MinPrice", D.format(trigger), D.format(rules.minPrice.value))
  }
  if (Option.isSome(rules.maxPrice) && D.gt(trigger, rules.maxPrice.value)) {
    return fail("MaxPrice", D.format(trigger), D.format(rules.maxPrice.value))
  }
  const last = ctx.lastPrice
  if (last !== undefined && fires(request.kind, request.side, trigger, last)) {
    // The limit is the last price the trigger must stay beyond.
    return fail("WouldTriggerImmediately", D.format(trigger), D.format(last))
  }
  return Result.succeed(trigger)
}

/**
 * Binance's OCO price order, checked on snapped prices: SELL limit > last > trigger,
 * BUY limit < last < trigger. Without a last price, the limit and the trigger must
 * still lie on their sides of each other.
 */
export const validateOcoPrices = (
  side: OrderSide,
  limit: D.Decimal,
  trigger: D.Decimal,
  ctx: TriggerContext
): Result.Result<void, ValidationError> => {
  const [low, high] = side === "sell" ? [trigger, limit] : [limit, trigger]
  const last = ctx.lastPrice
  const ordered = last === undefined ? D.lt(low, high) : D.lt(low, last) && D.lt(last, high)
  if (ordered) return Result.succeed(undefined)
  const order = side === "sell" ? "limit > last > trigger" : "limit < last < trigger"
  const value = `limit ${D.format(limit)}, trigger ${D.format(trigger)}${last === undefined ? "" : `, last ${D.format(last)}`}`
  return failWith(ctx, "OcoPriceOrder", "price", value, order)
}

/** An OCO on a market that takes none is `OrderTypeNotAllowed` (type `oco`): nothing is sent. */
export const validateOcoAllowed = (rules: MarketRules, ctx: ErrorContextFields): Result.Result<void, ValidationError> =>
  rules.ocoAllowed ? Result.succeed(undefined) : failWith(ctx, "OrderTypeNotAllowed", "type", "oco", rules.orderTypes.join(","))
