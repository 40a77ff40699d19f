/**
 * The order journal could not be read or written. A create whose intent cannot be
 * journaled is never sent: an order the journal does not know about could be lost.
 */
import { Schema } from "effect"

export class JournalError extends Schema.TaggedError<JournalError>()("JournalError", {
  /** The journal operation, e.g. `recordIntent`. */
  operation: Schema.String,
  /** Where the journal lives (a file path or a database name). */
  location: Schema.String,
  detail: Schema.String,
  cause: Schema.optional(Schema.Defect())
}) {
  get retryable(): false {
    return false
  }
  override get message(): string {
    return `order journal ${this.location}: ${this.operation} failed: ${this.detail}`
  }
}
