/**
 * Bad input, caught before any request is sent. `rule` names the market rule
 * that failed, `value` what was given (after snapping, where snapping applies)
 * and `limit` the bound it broke.
 */
import { Schema } from "effect"
import { describeContext, ErrorContext } from "./context.ts"

export const ValidationRule = Schema.Literals([
  "NotFinite",
  "NotPositive",
  "MinQuantity",
  "MaxQuantity",
  "MinPrice",
  "MaxPrice",
  "MinNotional",
  "MaxOpenOrders",
  "OrderTypeNotAllowed",
  /** A stop-loss or take-profit whose trigger the last price has already reached. */
  "WouldTriggerImmediately",
  /** An OCO's prices out of order (SELL: limit > last > trigger; BUY: limit < last < trigger). */
  "OcoPriceOrder",
  "UnknownMarket",
  "InvalidArgument"
])
export type ValidationRule = typeof ValidationRule.Type

export class ValidationError extends Schema.TaggedError<ValidationError>()("ValidationError", {
  ...ErrorContext,
  rule: ValidationRule,
  /** Which input failed: `price`, `quantity`, `notional`, `type`, ... */
  field: Schema.String,
  /** The offending value, as given or after snapping to the market's tick and step. */
  value: Schema.String,
  /** The bound the value broke, when the rule has one. */
  limit: Schema.optional(Schema.String)
}) {
  get retryable(): false {
    return false
  }
  override get message(): string {
    const limit = this.limit === undefined ? "" : ` (limit ${this.limit})`
    return `${describeContext(this)}: invalid ${this.field} ${this.value}: ${this.rule}${limit}`
  }
}
