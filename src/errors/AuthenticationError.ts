/** The exchange refused the credentials, or they are missing. Never retried. */
import { Schema } from "effect"
import { describeContext, ErrorContext } from "./context.ts"

export const AuthenticationReason = Schema.Literals([
  "InvalidCredentials",
  "PermissionDenied",
  "AccountSuspended",
  "MissingCredentials"
])
export type AuthenticationReason = typeof AuthenticationReason.Type

export class AuthenticationError extends Schema.TaggedError<AuthenticationError>()("AuthenticationError", {
  ...ErrorContext,
  reason: AuthenticationReason,
  detail: Schema.String,
  cause: Schema.optional(Schema.Defect())
}) {
  /** Authentication failures never succeed on a retry. */
  get retryable(): false {
    return false
  }
  override get message(): string {
    return `${describeContext(this)}: authentication failed (${this.reason}): ${this.detail}`
  }
}
