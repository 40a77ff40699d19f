/**
 * The exchange answered and refused, or reported a condition orderops must act on.
 * `reason` says which; `retryable` says whether the same request can succeed later,
 * and `retryAfterMs` how long to wait when the exchange said so.
 */
import { Schema } from "effect"
import { describeContext, ErrorContext, RequestContext } from "./context.ts"

export const ExchangeReason = Schema.Literals([
  /** Free balance does not cover the order. */
  "InsufficientFunds",
  /** The exchange rejected the order's parameters (filters, precision, type). */
  "InvalidOrder",
  /**
   * An open order already carries this client order id (Binance: "Duplicate order
   * sent."). On a create orderops resent after a lost answer, the first attempt got
   * through: the engine looks that order up instead of failing.
   */
  "DuplicateClientOrderId",
  /**
   * A stop or take-profit whose trigger the last price has already reached, so the
   * exchange refused to rest it (Binance: "Stop price would trigger immediately.",
   * -2021; ccxt's `OrderImmediatelyFillable`, which also covers a limit-maker order
   * that would take). Nothing was placed; re-price the trigger and try again.
   */
  "WouldTriggerImmediately",
  /** No such order on the exchange, or not one of this symbol's. */
  "OrderNotFound",
  /** The order exists but is no longer open (filled, cancelled, expired). */
  "OrderNotOpen",
  /** Request weight or order rate exceeded (HTTP 429). */
  "RateLimited",
  /** The IP or account is temporarily banned (HTTP 418, or Binance -2015 after a working session). */
  "TemporaryBan",
  /** The exchange and local clocks disagree beyond the receive window. */
  "InvalidNonce",
  /** The exchange rejected the request as malformed. */
  "BadRequest",
  /** The market is not trading, or the symbol is unknown to the exchange. */
  "MarketClosed",
  /** The exchange failed internally and the outcome is unknown (5xx with a body). */
  "ExchangeUnavailable",
  /**
   * The exchange answered with something orderops cannot read or represent. Not
   * retryable (asking again gives the same answer); a create that meets it may exist.
   */
  "UnreadableAnswer",
  /** Any other refusal. */
  "Unknown"
])
export type ExchangeReason = typeof ExchangeReason.Type

const retryableReasons: ReadonlySet<ExchangeReason> = new Set<ExchangeReason>([
  "RateLimited",
  "TemporaryBan",
  "InvalidNonce",
  "ExchangeUnavailable"
])

/** Whether a request that failed with `reason` may succeed when repeated later. */
export const isRetryableReason = (reason: ExchangeReason): boolean => retryableReasons.has(reason)

export class ExchangeError extends Schema.TaggedError<ExchangeError>()("ExchangeError", {
  ...ErrorContext,
  ...RequestContext,
  reason: ExchangeReason,
  detail: Schema.String,
  /** How long the exchange asked us to wait (`Retry-After`), in milliseconds. */
  retryAfterMs: Schema.optional(Schema.Number),
  cause: Schema.optional(Schema.Defect())
}) {
  get retryable(): boolean {
    return isRetryableReason(this.reason)
  }
  override get message(): string {
    const wait = this.retryAfterMs === undefined ? "" : ` (retry after ${this.retryAfterMs} ms)`
    return `${describeContext(this)}: ${this.reason}: ${this.detail}${wait}`
  }
}
