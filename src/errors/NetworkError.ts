/**
 * The request may or may not have reached the exchange: a timeout, a dropped
 * connection, an unavailable exchange. Reads and cancels retry on it; a create
 * looks its order up by client order id before any second attempt.
 */
import { Schema } from "effect"
import { describeContext, ErrorContext, RequestContext } from "./context.ts"

export const NetworkReason = Schema.Literals(["Timeout", "Unavailable", "ConnectionFailed"])
export type NetworkReason = typeof NetworkReason.Type

export class NetworkError extends Schema.TaggedError<NetworkError>()("NetworkError", {
  ...ErrorContext,
  ...RequestContext,
  reason: NetworkReason,
  detail: Schema.String,
  cause: Schema.optional(Schema.Defect())
}) {
  /** A network failure is always worth another attempt, when the operation is safe to repeat. */
  get retryable(): true {
    return true
  }
  override get message(): string {
    return `${describeContext(this)}: network failure (${this.reason}): ${this.detail}`
  }
}
