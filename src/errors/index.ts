/** The tagged errors of orderops. Each `_tag` equals its class name. */
export * from "./AuthenticationError.ts"
export * from "./ExchangeError.ts"
export * from "./JournalError.ts"
export * from "./NetworkError.ts"
export * from "./OrderEventsOverflow.ts"
export * from "./ValidationError.ts"
export { type ErrorContextFields } from "./context.ts"

import type { AuthenticationError } from "./AuthenticationError.ts"
import type { ExchangeError } from "./ExchangeError.ts"
import type { JournalError } from "./JournalError.ts"
import type { NetworkError } from "./NetworkError.ts"
import type { ValidationError } from "./ValidationError.ts"

/** A failure reported by the exchange or on the way to it. */
export type VenueError = AuthenticationError | NetworkError | ExchangeError

/** Every way an `Exchange` operation can fail. */
export type ExchangeFailure = VenueError | ValidationError | JournalError
