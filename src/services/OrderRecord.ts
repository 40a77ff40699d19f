/**
 * The orderops view of an order, the same whichever layer produced it. Amounts are
 * numbers whose decimal form is exact: they come from snapped decimals or from the
 * exchange's decimal strings, never from float arithmetic.
 */
import { Schema } from "effect"

export const OrderSide = Schema.Literals(["buy", "sell"])
export type OrderSide = typeof OrderSide.Type

export const OrderType = Schema.Literals(["limit", "market"])
export type OrderType = typeof OrderType.Type

export const OrderStatus = Schema.Literals(["open", "closed", "canceled", "expired", "rejected"])
export type OrderStatus = typeof OrderStatus.Type

/** Statuses after which an order never changes again. */
export const isFinalStatus = (s: OrderStatus): boolean => s !== "open"

export const OrderRecord = Schema.Struct({
  /** The exchange's order id (`dry_run_...` in a dry run). */
  id: Schema.String,
  /** The client order id orderops sent with the order (`oo_...`), used to find it again after a lost answer. */
  clientOrderId: Schema.String,
  symbol: Schema.String,
  side: OrderSide,
  type: OrderType,
  /** The limit price; for a market order, the average fill price (0 until it fills). */
  price: Schema.Finite,
  /** The ordered base quantity, after rounding down to the lot step. */
  quantity: Schema.Finite,
  /** The base quantity filled so far. */
  filled: Schema.Finite,
  status: OrderStatus,
  /** When the exchange accepted the order, epoch milliseconds. */
  timestamp: Schema.Finite
})
export type OrderRecord = typeof OrderRecord.Type
