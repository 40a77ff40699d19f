/**
 * An order session's cleanup did not cancel every order it opened. It never
 * replaces the failure that ended the session: `withOrderSession` attaches it
 * after that failure in the `Cause`, so `Effect.catch`, `Cause.squash` and the
 * process exit code still see the original first.
 */
import { Schema } from "effect"

export class OrderSessionError extends Schema.TaggedError<OrderSessionError>()("OrderSessionError", {
  /** The order ids the cleanup did cancel. */
  canceled: Schema.Array(Schema.String),
  /** The order ids that may still be open, each with why its cancel failed. */
  failed: Schema.Array(Schema.Struct({ orderId: Schema.String, detail: Schema.String })),
  /** Set when the cleanup ran out of time before every cancel answered. */
  timedOut: Schema.Boolean
}) {
  get retryable(): false {
    return false
  }
  override get message(): string {
    const ids = this.failed.map((f) => `${f.orderId} (${f.detail})`).join(", ")
    return `order session cleanup: ${this.timedOut ? "timed out; " : ""}` +
      `${this.failed.length} order(s) may still be open: ${ids}; canceled ${this.canceled.length}`
  }
}
