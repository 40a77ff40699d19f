/**
 * The live venue's options, in a module of their own: the Live layers take them and
 * `CcxtVenue.ts` builds the venue from them, and neither imports the other for them.
 * Nothing here reaches ccxt's types, so the public declarations that name these
 * options never reach the module that imports ccxt.
 */
import type { Redacted } from "effect"
import type { BudgetLimits } from "./budget.ts"

/** The live venue's options (see the header). */
export interface CcxtVenueOptions {
  /** Any ccxt exchange id. Default `binanceus`. */
  readonly exchange?: string | undefined
  readonly apiKey: string | Redacted.Redacted<string>
  readonly secret: string | Redacted.Redacted<string>
  /** Points every API host at this origin (a test server, a testnet). */
  readonly baseUrl?: string | undefined
  /** ccxt's per-request timeout. Default ccxt's (10 s). */
  readonly timeoutMs?: number | undefined
  /**
   * The request budget, in request weight and orders per window (`{ weight: { limit,
   * windowMs }, orders: [{ limit, windowMs }, …] }`: one window or several per kind).
   * Default: what the exchange advertises (Binance's `exchangeInfo.rateLimits`: weight
   * per minute, orders per 10 s and per day), ccxt's `rateLimit` pacing until then.
   * Limits given here replace the advertised ones of their kind; `false` turns the
   * budget off (a `Retry-After` still holds requests).
   */
  readonly rateLimit?: BudgetLimits | false | undefined
  /**
   * Call ccxt's unified methods (`createOrder`, `fetchOpenOrders`, ...) on Binance
   * spot too, instead of its REST endpoints through ccxt's implicit methods. The
   * records are the same; the unified path parses through floats and costs more CPU
   * per request. Default false.
   */
  readonly useUnifiedApi?: boolean | undefined
  /**
   * Follow orders and balances through the exchange's user data stream, where
   * orderops has one: Binance.US's listenKey stream (on binance.com its listenKey
   * endpoints are retired: the stream stays down and the engine polls). While it is
   * up, order changes arrive as they happen and balance reads need no request.
   * Default true; false: no stream (the engine learns of changes by polling).
   */
  readonly userStream?: boolean | undefined
  /**
   * The user data stream's host, e.g. `wss://stream.binance.us:9443` (the default
   * on Binance.US). Default: the exchange's, or the `baseUrl` origin as `ws(s)://`
   * when `baseUrl` is set.
   */
  readonly streamUrl?: string | undefined
}
