/**
 * Live trading: the `Exchange` service over a real exchange through ccxt.
 *
 * - `LiveExchangeLayer(options)`: keys and settings given in code.
 * - `LiveExchangeLayerConfig()`: the same from the environment (`ORDEROPS_*`).
 * - `ExchangeLayerFromEnv()`: dry run unless `ORDEROPS_DRY_RUN` says otherwise.
 *   Live trading is an explicit opt-in.
 *
 * This module does not load ccxt: `CcxtVenue.ts` imports it lazily when a live
 * layer is built, so choosing the dry run never pays for it.
 */
import { Config, Effect, Layer, Option, Redacted } from "effect"
import { AuthenticationError } from "../../errors/AuthenticationError.ts"
import type { ExchangeFailure } from "../../errors/index.ts"
import type { JournalError } from "../../errors/JournalError.ts"
import { ActiveOrders } from "../../services/ActiveOrders.ts"
import { Exchange } from "../../services/Exchange.ts"
import type { OrderJournal } from "../../services/OrderJournal.ts"
import { Venue } from "../../services/Venue.ts"
import { makeCcxtVenue } from "./CcxtVenue.ts"
import type { CcxtVenueOptions } from "./CcxtVenueOptions.ts"
import { DryRunExchangeLayer } from "../dryrun/DryRun.ts"
import { JournalLayerFromEnv } from "../journal/Journal.ts"
import { type EngineOptions, makeExchange, withDebugLogging } from "../engine/OrderEngine.ts"

export type { CcxtVenueOptions } from "./CcxtVenueOptions.ts"

export interface LiveOptions extends EngineOptions, CcxtVenueOptions {
  /** The market to trade. Default `HBAR/USDT`. */
  readonly symbol?: string
  /** Lowers the minimum log level to Debug: one line per request, never a secret. */
  readonly debug?: boolean | undefined
  /** Where orders are journaled. Default `JournalLayerFromEnv`: `ORDEROPS_JOURNAL`, else `.orderops/journal.sqlite`. */
  readonly journal?: Layer.Layer<OrderJournal, JournalError> | undefined
}

/** The environment variables the live layer reads. */
export const LIVE_ENV = {
  exchange: "ORDEROPS_EXCHANGE",
  apiKey: "ORDEROPS_API_KEY",
  secret: "ORDEROPS_API_SECRET",
  symbol: "ORDEROPS_SYMBOL",
  baseUrl: "ORDEROPS_BASE_URL",
  streamUrl: "ORDEROPS_STREAM_URL",
  debug: "ORDEROPS_DEBUG",
  dryRun: "ORDEROPS_DRY_RUN",
  unifiedApi: "ORDEROPS_UNIFIED_API",
  userStream: "ORDEROPS_USER_STREAM",
  pollInterval: "ORDEROPS_POLL_INTERVAL",
  safetyPollInterval: "ORDEROPS_SAFETY_POLL_INTERVAL"
} as const

/**
 * Whether a key or secret is missing: undefined, empty or blank, given plain or as a
 * `Redacted` (of anything: `Redacted.make(process.env.KEY!)` holds `undefined` when
 * the variable is unset). Whatever is not text counts as missing; nothing here throws.
 */
const isBlank = (given: unknown): boolean => {
  const value: unknown = Redacted.isRedacted(given) ? Redacted.value(given) : given
  return typeof value !== "string" || value.trim() === ""
}

/** `MissingCredentials` naming each of the two options that is missing, or nothing. */
const checkCredentials = (options: CcxtVenueOptions, symbol: string): Effect.Effect<void, AuthenticationError> => {
  const missing = [...(isBlank(options.apiKey) ? ["apiKey"] : []), ...(isBlank(options.secret) ? ["secret"] : [])]
  return missing.length === 0 ? Effect.void : Effect.fail(missingCredentials(symbol, missing))
}

const missingCredentials = (symbol: string, names: ReadonlyArray<string>) =>
  new AuthenticationError({
    operation: "LiveExchangeLayer",
    symbol,
    reason: "MissingCredentials",
    detail: `live trading needs an API key and secret; missing ${names.join(" and ")}`
  })

/** The ccxt venue alone, for callers that assemble the engine themselves. */
export const CcxtVenueLayer = (options: CcxtVenueOptions): Layer.Layer<Venue, ExchangeFailure> =>
  Layer.effect(Venue, Effect.andThen(checkCredentials(options, ""), makeCcxtVenue(options)))

/**
 * The live `Exchange`: the order engine (validation, client order ids, journal,
 * active orders, retries, recovery) over the ccxt venue. Fails to build with
 * `AuthenticationError` `MissingCredentials` when the key or secret is empty, and
 * otherwise loads the market (one `exchangeInfo` request) and reconciles the journal.
 */
export const LiveExchangeLayer = (options: LiveOptions): Layer.Layer<Exchange, ExchangeFailure> => {
  const credentials = checkCredentials(options, options.symbol ?? "HBAR/USDT")
  const built = Layer.effect(Exchange, makeExchange(options)).pipe(
    Layer.provide(CcxtVenueLayer(options)),
    // The venue's id is its ccxt exchange id, `makeCcxtVenue`'s default included (the engine checks they agree).
    Layer.provide(
      ActiveOrders.layerFor(options.exchange ?? "binanceus").pipe(Layer.provideMerge(options.journal ?? JournalLayerFromEnv))
    )
  )
  // Checked first: nothing is loaded, opened or requested without both.
  return Layer.unwrap(Effect.as(credentials, withDebugLogging(built, options.debug)))
}

/** A non-empty variable, or `None`. */
const optionalString = (name: string) =>
  Config.String(name).pipe(Config.option, Config.map(Option.filter((s) => s.trim() !== "")))

const optionalRedacted = (name: string) =>
  Config.Redacted(name).pipe(Config.option, Config.map(Option.filter((s) => Redacted.value(s).trim() !== "")))

/** Reads the live options from the environment; `overrides` fill in what the environment does not set. */
export const liveOptionsFromConfig = (overrides: Partial<LiveOptions> = {}) =>
  Effect.gen(function*() {
    const exchange = yield* optionalString(LIVE_ENV.exchange)
    const apiKey = yield* optionalRedacted(LIVE_ENV.apiKey)
    const secret = yield* optionalRedacted(LIVE_ENV.secret)
    const symbol = yield* optionalString(LIVE_ENV.symbol)
    const baseUrl = yield* optionalString(LIVE_ENV.baseUrl)
    const streamUrl = yield* optionalString(LIVE_ENV.streamUrl)
    const debug = yield* Config.Boolean(LIVE_ENV.debug).pipe(Config.withDefault(false))
    const unifiedApi = yield* Config.Boolean(LIVE_ENV.unifiedApi).pipe(Config.withDefault(false))
    const userStream = yield* Config.Boolean(LIVE_ENV.userStream).pipe(Config.option)
    const events = yield* eventsFromConfig(overrides.events)
    const resolvedSymbol = Option.getOrElse(symbol, () => overrides.symbol ?? "HBAR/USDT")
    const given = (value: LiveOptions["apiKey"] | undefined) => (isBlank(value) ? Option.none() : Option.some(toRedacted(value!)))
    const key = Option.orElse(apiKey, () => given(overrides.apiKey))
    const sec = Option.orElse(secret, () => given(overrides.secret))
    if (Option.isNone(key) || Option.isNone(sec)) {
      return yield* missingCredentials(resolvedSymbol, [
        ...(Option.isNone(key) ? [LIVE_ENV.apiKey] : []),
        ...(Option.isNone(sec) ? [LIVE_ENV.secret] : [])
      ])
    }
    const baseUrlValue = Option.getOrUndefined(baseUrl) ?? overrides.baseUrl
    const streamUrlValue = Option.getOrUndefined(streamUrl) ?? overrides.streamUrl
    return {
      ...overrides,
      exchange: Option.getOrElse(exchange, () => overrides.exchange ?? "binanceus"),
      apiKey: key.value,
      secret: sec.value,
      symbol: resolvedSymbol,
      ...(baseUrlValue === undefined ? {} : { baseUrl: baseUrlValue }),
      ...(streamUrlValue === undefined ? {} : { streamUrl: streamUrlValue }),
      debug: debug || overrides.debug === true,
      useUnifiedApi: unifiedApi || overrides.useUnifiedApi === true,
      userStream: Option.getOrElse(userStream, () => overrides.userStream !== false),
      ...(events === undefined ? {} : { events })
    } satisfies LiveOptions
  })

/**
 * The order events' poll intervals from `ORDEROPS_POLL_INTERVAL` and
 * `ORDEROPS_SAFETY_POLL_INTERVAL` (durations such as `5 seconds`, `2 minutes`), over
 * the options given; events turned off in code stay off.
 */
export const eventsFromConfig = (given: EngineOptions["events"]) =>
  Effect.gen(function*() {
    const poll = yield* Config.Duration(LIVE_ENV.pollInterval).pipe(Config.option)
    const safety = yield* Config.Duration(LIVE_ENV.safetyPollInterval).pipe(Config.option)
    if (given === false || (Option.isNone(poll) && Option.isNone(safety))) return given
    return {
      ...given,
      ...(Option.isSome(poll) ? { pollInterval: poll.value } : {}),
      ...(Option.isSome(safety) ? { safetyPollInterval: safety.value } : {})
    }
  })

const toRedacted = (s: string | Redacted.Redacted<string>) => (Redacted.isRedacted(s) ? s : Redacted.make(s))

/**
 * `LiveExchangeLayer` configured from the environment: `ORDEROPS_EXCHANGE` (default
 * `binanceus`), `ORDEROPS_API_KEY` and `ORDEROPS_API_SECRET` (read as `Redacted`;
 * missing ones are named in the `MissingCredentials` error), `ORDEROPS_SYMBOL`,
 * `ORDEROPS_BASE_URL`, `ORDEROPS_STREAM_URL` (`streamUrl`), `ORDEROPS_USER_STREAM` (`userStream`), `ORDEROPS_DEBUG`, `ORDEROPS_UNIFIED_API` (`useUnifiedApi`).
 */
export const LiveExchangeLayerConfig = (
  overrides: Partial<LiveOptions> = {}
): Layer.Layer<Exchange, ExchangeFailure | Config.ConfigError> =>
  Layer.unwrap(Effect.map(liveOptionsFromConfig(overrides), LiveExchangeLayer))

/**
 * Whether `ORDEROPS_DRY_RUN` opts into live trading: only the exact text `false`.
 * Real money needs an unmistakable yes, so `0`, `no`, `FALSE`, ` false` or a typo
 * all stay on paper.
 */
export const isLiveOptIn = (value: string | undefined): boolean => value === "false"

/**
 * Dry run or live, from `ORDEROPS_DRY_RUN`. The default is the dry run; only
 * the exact text `false` selects live trading (see `isLiveOptIn`; anything else,
 * typos included, stays on paper). The dry run reads `ORDEROPS_SYMBOL` and `ORDEROPS_DEBUG` too. Both
 * journal to `JournalLayerFromEnv` unless `overrides.journal` says otherwise, so a
 * dry-run session resumes its paper book where the last one stopped.
 */
export const ExchangeLayerFromEnv = (
  overrides: Partial<LiveOptions> = {}
): Layer.Layer<Exchange, ExchangeFailure | Config.ConfigError> =>
  Layer.unwrap(
    Effect.gen(function*() {
      const dryRun = yield* optionalString(LIVE_ENV.dryRun)
      if (isLiveOptIn(Option.getOrUndefined(dryRun))) return LiveExchangeLayerConfig(overrides)
      const symbol = yield* optionalString(LIVE_ENV.symbol)
      const debug = yield* Config.Boolean(LIVE_ENV.debug).pipe(Config.withDefault(false))
      const resolved = Option.getOrUndefined(symbol) ?? overrides.symbol
      return DryRunExchangeLayer({
        ...(resolved === undefined ? {} : { symbol: resolved }),
        debug: debug || overrides.debug === true,
        journal: overrides.journal ?? JournalLayerFromEnv,
        ...(overrides.events === undefined ? {} : { events: overrides.events })
      })
    })
  )
