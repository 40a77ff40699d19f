/**
 * Fields every orderops error carries, so that a log line or a caught error says
 * what was being done, on which market, and to which order.
 */
import { Schema } from "effect"

export const ErrorContext = {
  /** The `Exchange` operation that failed, e.g. `createLimitBuy`. */
  operation: Schema.String,
  /** The unified market symbol, e.g. `HBAR/USDT`. */
  symbol: Schema.String,
  /** The exchange's order id, when the failure concerns one order. */
  orderId: Schema.optional(Schema.String),
  /** The client order id orderops generated for the order, when there is one. */
  clientOrderId: Schema.optional(Schema.String)
}

/** The mutable-free shape of {@link ErrorContext}, for helpers that build errors. */
export interface ErrorContextFields {
  readonly operation: string
  readonly symbol: string
  readonly orderId?: string | undefined
  readonly clientOrderId?: string | undefined
}

/** Renders `operation symbol [order ...]` for error messages. */
export const describeContext = (c: ErrorContextFields): string => {
  const ids = [
    c.orderId === undefined ? undefined : `order ${c.orderId}`,
    c.clientOrderId === undefined ? undefined : `client order ${c.clientOrderId}`
  ].filter((s) => s !== undefined)
  return `${c.operation} ${c.symbol}${ids.length > 0 ? ` (${ids.join(", ")})` : ""}`
}

/** Drops `undefined` optional fields so that they can be spread into an error constructor. */
export const contextFields = (c: ErrorContextFields) => ({
  operation: c.operation,
  symbol: c.symbol,
  ...(c.orderId === undefined ? {} : { orderId: c.orderId }),
  ...(c.clientOrderId === undefined ? {} : { clientOrderId: c.clientOrderId })
})

/**
 * What the exchange's HTTP side said about a failed request, when it got that far:
 * the request as `POST /api/v3/order` (method and path, never the query, which
 * carries the signature) and the response's status. A timeout has the request and
 * no status; a failure outside HTTP (the dry run) has neither.
 */
export const RequestContext = {
  request: Schema.optional(Schema.String),
  httpStatus: Schema.optional(Schema.Number)
}
