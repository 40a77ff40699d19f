/**
 * The one place where what ccxt throws becomes an orderops error. Classification is
 * by `instanceof` against the ccxt module's own classes, most specific first, plus
 * what only the HTTP exchange can tell (status, headers, Binance's body `code`),
 * captured per response by the venue (see `CcxtVenue.ts`), and one piece of
 * per-instance state: whether a private call has succeeded yet.
 *
 * Deliberate quirks (ccxt 4.5.84 over Binance):
 * - `-1013 Filter failure: NOTIONAL` arrives as `BadRequest`: it is `InvalidOrder`.
 * - `-2010 Duplicate order sent.` arrives as `DuplicateOrderId`, through the entry
 *   the venue adds to the instance's own table of exchange messages (`instance.ts`):
 *   `DuplicateClientOrderId`.
 * - `-2010 Stop price would trigger immediately.` (and `-2021`) arrive as ccxt's
 *   `OrderImmediatelyFillable`, from its own table of Binance messages and codes:
 *   `WouldTriggerImmediately`, not a plain `InvalidOrder`.
 * - `-2015` is `AuthenticationError` before the first successful private call and
 *   `DDoSProtection` after it (ccxt's `hasAlreadyAuthenticatedSuccessfully`). After a
 *   success it is a temporary ban either way: `ExchangeError` `TemporaryBan`.
 * - 429 and 418 both arrive as `DDoSProtection` (or `RateLimitExceeded` when the
 *   status is unknown to Binance's handler); ccxt never reads `Retry-After`, so the
 *   header is read here and carried as `retryAfterMs`.
 * - A 5xx with a Binance body (`-1001` → `OperationFailed`, `-1008` → plain
 *   `ExchangeError`) means the request may or may not have been processed:
 *   `ExchangeUnavailable`, which the engine treats as ambiguous (it looks a create up).
 *
 * Anything that is not a ccxt error (a `TypeError` from a bug, in ccxt or here) is
 * `ExchangeError` reason `Unknown`: it is reported at once and never retried, since
 * repeating a bug only hides it. ccxt already turns transport failures (undici's
 * `TypeError: fetch failed`, `ECONNRESET`, aborts) into its own `NetworkError` and
 * `RequestTimeout`, so nothing transport-related reaches that branch.
 *
 * Every `detail` (and the `cause` kept on the error) is scrubbed: ccxt messages carry
 * the full signed URL, so `signature=`, key-like query parameters and the literal
 * key and secret are replaced with `<redacted>`.
 */
import type * as Ccxt from "ccxt"
import { AuthenticationError, type AuthenticationReason } from "../../errors/AuthenticationError.ts"
import { contextFields, type ErrorContextFields } from "../../errors/context.ts"
import { ExchangeError, type ExchangeReason } from "../../errors/ExchangeError.ts"
import type { VenueError } from "../../errors/index.ts"
import { NetworkError, type NetworkReason } from "../../errors/NetworkError.ts"

/** The error classes of the ccxt module, as loaded by `import("ccxt")` (or a test double). */
export type CcxtErrors = Pick<
  typeof Ccxt,
  | "BaseError"
  | "ExchangeError"
  | "AuthenticationError"
  | "PermissionDenied"
  | "AccountSuspended"
  | "ArgumentsRequired"
  | "BadRequest"
  | "BadSymbol"
  | "MarketClosed"
  | "InsufficientFunds"
  | "InvalidOrder"
  | "OrderImmediatelyFillable"
  | "DuplicateOrderId"
  | "OrderNotFound"
  | "NotSupported"
  | "OperationFailed"
  | "NetworkError"
  | "DDoSProtection"
  | "RateLimitExceeded"
  | "ExchangeNotAvailable"
  | "InvalidNonce"
  | "RequestTimeout"
>

/** What the HTTP response that produced an error said, when there was one. */
export interface HttpInfo {
  readonly status?: number | undefined
  /** The request, as `POST /api/v3/order`: method and path, never the query (it carries the signature). */
  readonly request?: string | undefined
  /** Response headers (any case). */
  readonly headers?: Readonly<Record<string, unknown>> | undefined
  /** The exchange's error code from the body, e.g. `-2015`. */
  readonly code?: string | undefined
}

export interface ClassifyInput {
  /** The ccxt module the error came from. */
  readonly ccxt: CcxtErrors
  /** What was being done: operation, symbol, order ids. */
  readonly context: ErrorContextFields
  /** Whether this instance has had a private call succeed (a later `-2015` is a ban, not bad keys). */
  readonly authenticated: boolean
  readonly http?: HttpInfo | undefined
  /** Literal values to scrub from messages: the API key and secret. */
  readonly secrets?: ReadonlyArray<string> | undefined
  /** The clock, for an HTTP-date `Retry-After`. */
  readonly now?: number | undefined
}

const REDACTED = "<redacted>"

/** Query parameters whose values must never reach a message. */
const SENSITIVE_PARAM = /\b(signature|sign|api[-_]?key|apikey|key|secret|passphrase|password|token|access[-_]?token)=([^&\s"',}]*)/gi

/** Removes signatures, key-like query parameters and the literal secrets from `text`. */
export const scrub = (text: string, secrets: ReadonlyArray<string> = []): string => {
  let out = text.replace(SENSITIVE_PARAM, (_m, name: string) => `${name}=${REDACTED}`)
  for (const s of secrets) {
    if (s.length >= 4) out = out.split(s).join(REDACTED)
  }
  return out
}

const headerValue = (headers: Readonly<Record<string, unknown>> | undefined, name: string): string | undefined => {
  if (headers === undefined) return undefined
  const wanted = name.toLowerCase()
  for (const [k, v] of Object.entries(headers)) {
    if (k.toLowerCase() === wanted) return typeof v === "string" ? v : typeof v === "number" ? String(v) : undefined
  }
  return undefined
}

/** `Retry-After` in milliseconds: delta-seconds, or an HTTP date relative to `now`. */
export const retryAfterMs = (headers: Readonly<Record<string, unknown>> | undefined, now: number): number | undefined => {
  const raw = headerValue(headers, "retry-after")?.trim()
  if (raw === undefined || raw === "") return undefined
  if (/^\d+(\.\d+)?$/.test(raw)) return Math.round(Number(raw) * 1000)
  const date = Date.parse(raw)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

const describe = (error: unknown): { readonly name: string; readonly message: string } => {
  if (error instanceof Error) return { name: error.name, message: error.message }
  return { name: typeof error, message: String(error) }
}

/**
 * Classifies anything a ccxt call threw. Total: every input gives one of the three
 * venue errors, with the context fields, a scrubbed `detail` and a scrubbed copy of
 * the original as `cause` (the original's message holds the signed URL).
 */
export const classify = (error: unknown, input: ClassifyInput): VenueError => {
  const { ccxt, http } = input
  const secrets = input.secrets ?? []
  const { name, message } = describe(error)
  const detail = scrub(message, secrets)
  const cause = new Error(detail)
  cause.name = name
  const base = { ...contextFields(input.context), detail, cause }
  const onTheWire = {
    ...(http?.request === undefined ? {} : { request: http.request }),
    ...(http?.status === undefined ? {} : { httpStatus: http.status })
  }
  const auth = (reason: AuthenticationReason) => new AuthenticationError({ ...base, reason })
  const network = (reason: NetworkReason) => new NetworkError({ ...base, ...onTheWire, reason })
  const exchange = (reason: ExchangeReason, wait?: number) =>
    new ExchangeError({ ...base, ...onTheWire, reason, ...(wait === undefined ? {} : { retryAfterMs: wait }) })
  const wait = () => retryAfterMs(http?.headers, input.now ?? Date.now())
  const status = http?.status
  const code = http?.code
  const is5xx = status !== undefined && status >= 500

  if (!(error instanceof ccxt.BaseError)) return exchange("Unknown")

  // --- ExchangeError family: the exchange answered and refused ---------------
  if (error instanceof ccxt.AccountSuspended) return auth("AccountSuspended")
  if (error instanceof ccxt.PermissionDenied) return auth("PermissionDenied")
  if (error instanceof ccxt.AuthenticationError) {
    return input.authenticated && code === "-2015" ? exchange("TemporaryBan", wait()) : auth("InvalidCredentials")
  }
  if (error instanceof ccxt.InsufficientFunds) return exchange("InsufficientFunds")
  if (error instanceof ccxt.OrderNotFound) return exchange("OrderNotFound")
  if (error instanceof ccxt.DuplicateOrderId) return exchange("DuplicateClientOrderId")
  if (error instanceof ccxt.OrderImmediatelyFillable) return exchange("WouldTriggerImmediately")
  if (error instanceof ccxt.InvalidOrder) return exchange("InvalidOrder")
  if (error instanceof ccxt.MarketClosed || error instanceof ccxt.BadSymbol) return exchange("MarketClosed")
  if (error instanceof ccxt.BadRequest) {
    // Binance -1013 "Filter failure: NOTIONAL / MIN_NOTIONAL / ..." is an order rejection.
    return code === "-1013" ? exchange("InvalidOrder") : exchange("BadRequest")
  }
  if (error instanceof ccxt.ArgumentsRequired || error instanceof ccxt.NotSupported) return exchange("BadRequest")
  if (error instanceof ccxt.ExchangeError) {
    // A 5xx carrying an exchange body (Binance -1008 on 503, -1001): the outcome is unknown.
    return is5xx || code === "-1001" || code === "-1006" ? exchange("ExchangeUnavailable") : exchange("Unknown")
  }

  // --- NetworkError family: the request may or may not have arrived ----------
  if (error instanceof ccxt.DDoSProtection || error instanceof ccxt.RateLimitExceeded) {
    // Binance's handler throws DDoSProtection for both 429 and 418, and for -2015
    // after a successful private call (a temporary ban on the key).
    if (status === 418 || code === "-2015") return exchange("TemporaryBan", wait())
    if (status === 429 || error instanceof ccxt.RateLimitExceeded) return exchange("RateLimited", wait())
    return input.authenticated && status !== undefined && status < 500 && status !== 429
      ? exchange("TemporaryBan", wait())
      : exchange("RateLimited", wait())
  }
  if (error instanceof ccxt.InvalidNonce) return exchange("InvalidNonce")
  if (error instanceof ccxt.RequestTimeout) return network("Timeout")
  if (error instanceof ccxt.ExchangeNotAvailable) return network("Unavailable")
  if (error instanceof ccxt.NetworkError) return network("ConnectionFailed")

  // --- OperationFailed outside the network family (BadResponse, -1001 on a 500) --
  if (error instanceof ccxt.OperationFailed) return exchange("ExchangeUnavailable")

  return exchange("Unknown")
}
