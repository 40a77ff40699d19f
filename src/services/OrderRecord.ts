/**
 * The orderops view of an order, the same whichever layer produced it. Every amount
 * is an exact `BigDecimal` (see `Decimal.ts`): read from the exchange's decimal
 * strings or from snapped decimals, never through float arithmetic, so a bot can add
 * fills and fees up without drift. For a chart or a log, `Decimal.toNumber` and
 * `Decimal.format` turn one into a number or text.
 */
import { BigDecimal, Option, Schema } from "effect"
import * as D from "./Decimal.ts"

export const OrderSide = Schema.Literals(["buy", "sell"])
export type OrderSide = typeof OrderSide.Type

/**
 * `cases.buy` or `cases.sell` as `side` says: every side has its own case, and no
 * other value falls into one (a side reaches here decoded, `Inputs.ts`; anything else
 * is a bug, thrown as one, never a sell).
 */
export const bySide = <A>(side: OrderSide, cases: { readonly buy: A; readonly sell: A }): A => {
  switch (side) {
    case "buy":
      return cases.buy
    case "sell":
      return cases.sell
  }
  throw new TypeError(`not an order side: ${String(side)}`)
}

/**
 * The order types orderops represents. `stop-loss` and `take-profit` become market
 * orders when their trigger is reached, the `-limit` kinds limit orders;
 * `limit-maker` is a limit order the exchange rejects if it would take liquidity.
 */
export const OrderType = Schema.Literals([
  "limit",
  "market",
  "stop-loss",
  "stop-loss-limit",
  "take-profit",
  "take-profit-limit",
  "limit-maker"
])
export type OrderType = typeof OrderType.Type

/** Whether an order of this type rests at a limit price (when working). */
export const hasLimitPrice = (t: OrderType): boolean =>
  t === "limit" || t === "limit-maker" || t === "stop-loss-limit" || t === "take-profit-limit"

/** Whether an order of this type waits for a trigger price before it works. */
export const isTriggerType = (t: OrderType): boolean =>
  t === "stop-loss" || t === "stop-loss-limit" || t === "take-profit" || t === "take-profit-limit"

export const OrderStatus = Schema.Literals(["open", "closed", "canceled", "expired", "rejected"])
export type OrderStatus = typeof OrderStatus.Type

/** Statuses after which an order never changes again. */
export const isFinalStatus = (s: OrderStatus): boolean => s !== "open"

/**
 * Fees paid, by asset (`{ HBAR: 0.1 }`): an exchange charges a fee in the asset
 * received, or in another asset (BNB) when the account pays that way, so one order
 * can carry fees in more than one asset and they cannot be summed into one amount.
 * Empty when none are known (no fill yet, or an answer that does not state them).
 */
export const Fees = Schema.Record(Schema.String, Schema.BigDecimal)
export type Fees = typeof Fees.Type

export const OrderRecord = Schema.Struct({
  /** The exchange's order id (`dry_run_...` in a dry run). */
  id: Schema.String,
  /** The client order id orderops sent with the order (`oo_...`), used to find it again after a lost answer. */
  clientOrderId: Schema.String,
  symbol: Schema.String,
  side: OrderSide,
  type: OrderType,
  /** The limit price; none for market, stop-loss and take-profit orders. */
  price: Schema.Option(Schema.BigDecimal),
  /** The trigger (stop) price of a stop-loss or take-profit order; none for others (and for a trailing stop). */
  triggerPrice: Schema.Option(Schema.BigDecimal),
  /** The ordered base quantity, after rounding down to the lot step. */
  quantity: Schema.BigDecimal,
  /** The base quantity filled so far. */
  filled: Schema.BigDecimal,
  /** The quote amount filled so far (the sum of price × quantity over the fills). */
  cost: Schema.BigDecimal,
  /** `cost / filled`; none before the first fill. */
  averagePrice: Schema.Option(Schema.BigDecimal),
  /** Fees paid so far, by asset. */
  fees: Fees,
  /** The id of the order list (OCO) the order belongs to; none for a single order. */
  listId: Schema.Option(Schema.String),
  status: OrderStatus,
  /**
   * A stop-loss or take-profit order's: whether its trigger has fired, so it works as
   * the market or limit order it became (Binance's `isWorking`). Absent for other types
   * and where the exchange does not say; not journaled.
   */
  triggered: Schema.optionalKey(Schema.Boolean),
  /** When the exchange accepted the order, epoch milliseconds. */
  timestamp: Schema.Finite
})
export type OrderRecord = typeof OrderRecord.Type

/** The record of an order just accepted: open, nothing filled, no fees, in no list. */
export const acceptedOrder = (fields: {
  readonly id: string
  readonly clientOrderId: string
  readonly symbol: string
  readonly side: OrderSide
  readonly type: OrderType
  readonly price: Option.Option<BigDecimal.BigDecimal>
  readonly triggerPrice?: Option.Option<BigDecimal.BigDecimal> | undefined
  readonly quantity: BigDecimal.BigDecimal
  readonly timestamp: number
}): OrderRecord => ({
  id: fields.id,
  clientOrderId: fields.clientOrderId,
  symbol: fields.symbol,
  side: fields.side,
  type: fields.type,
  price: fields.price,
  triggerPrice: fields.triggerPrice ?? Option.none(),
  quantity: fields.quantity,
  filled: D.ZERO,
  cost: D.ZERO,
  averagePrice: Option.none(),
  fees: {},
  listId: Option.none(),
  status: "open",
  timestamp: fields.timestamp
})

/** Digits kept by an average price that does not divide exactly (far beyond any exchange's tick). */
const AVERAGE_SCALE = 18

/** `cost / filled`, none when nothing filled; exact when it divides, else rounded to 18 decimals. */
export const averageOf = (cost: BigDecimal.BigDecimal, filled: BigDecimal.BigDecimal): Option.Option<BigDecimal.BigDecimal> => {
  if (!BigDecimal.isPositive(filled)) return Option.none()
  return Option.map(BigDecimal.divide(cost, filled), (avg) =>
    BigDecimal.normalize(avg.scale > AVERAGE_SCALE ? BigDecimal.round(avg, { scale: AVERAGE_SCALE }) : avg))
}

/** Whether two fee maps hold the same amounts (exactly, whatever the scale). */
export const sameFees = (a: Fees, b: Fees): boolean => {
  const ka = Object.keys(a)
  if (ka.length !== Object.keys(b).length) return false
  return ka.every((k) => b[k] !== undefined && BigDecimal.equals(a[k]!, b[k]!))
}

/** `a` plus `fee` paid in `asset`. */
export const addFee = (a: Fees, asset: string, fee: BigDecimal.BigDecimal): Fees => {
  const prev = a[asset]
  return { ...a, [asset]: prev === undefined ? fee : BigDecimal.sum(prev, fee) }
}

/** An order's amounts for a log line: `at 0.05 for 100` (no price for a market order), exact. */
export const describeAmounts = (r: OrderRecord): string =>
  `${Option.match(r.price, { onNone: () => "", onSome: (p) => `at ${D.format(p)} ` })}for ${D.format(r.quantity)}`
