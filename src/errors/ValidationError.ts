/**
 * Bad input, caught before any request is sent. `rule` names the market rule
 * that failed, `value` what was given (after snapping, where snapping applies),
 * `limit` the bound it broke and, for a value not of the field's kind at all,
 * `accepted` what the field takes.
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
  limit: Schema.optional(Schema.String),
  /** What the field accepts, in words, when the value is not of its kind at all (`InvalidArgument`, `NotFinite`). */
  accepted: Schema.optional(Schema.String)
}) {
  get retryable(): false {
    return false
  }
  override get message(): string {
    const limit = this.limit === undefined ? "" : ` (limit ${this.limit})`
    const accepted = this.accepted === undefined ? "" : ` (accepted: ${this.accepted})`
    return `${describeContext(this)}: invalid ${this.field} ${this.value}: ${this.rule}${limit}${accepted}`
  }
}
