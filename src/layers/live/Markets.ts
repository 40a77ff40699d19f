/**
 * The live venue's market rules: loaded from the exchange once (`loadMarkets`, one
 * `exchangeInfo` request on Binance), decoded per symbol when first asked for, and
 * kept until `refresh`. Concurrent callers share one load (Effect's `Cache`); a
 * failed load is not kept, so the next caller tries again. Every order request asks
 * for its market, so a decoded market is a plain map read.
 */
import { Cache, Context, Duration, Effect, Exit, Result } from "effect"
import type { VenueError } from "../../errors/index.ts"
import { ValidationError } from "../../errors/ValidationError.ts"
import type { MarketRules } from "../../services/MarketRules.ts"
import type { CcxtClientService } from "./Client.ts"
import { decodeMarket } from "./decode.ts"

/** A market's rules, and its id on the wire (`HBARUSDT`) for requests that name it so. */
export interface MarketEntry {
  readonly rules: MarketRules
  readonly wireId: string | undefined
}

export interface MarketCacheService {
  /** The symbol's market; `op` names the operation for errors. Fails `UnknownMarket` when the exchange does not list it. */
  market(op: string, symbol: string): Effect.Effect<MarketEntry, VenueError | ValidationError>
  /** Reloads every market from the exchange; rules decoded before are dropped. */
  refresh(op: string): Effect.Effect<void, VenueError>
}

export class MarketCache extends Context.Service<MarketCache, MarketCacheService>()("orderops/MarketCache") {}

/** Successes are kept until a refresh drops them; failures are not kept at all. */
const keepSuccesses = (exit: Exit.Exit<unknown, unknown>) => (Exit.isSuccess(exit) ? Duration.infinity : Duration.zero)

/** The market cache over `client`, with its precision mode (`exchange.precisionMode`) for decoding. */
export const makeMarketCache = Effect.fnUntraced(function*(client: CcxtClientService, precisionMode: number | undefined) {
  /**
   * The operation and symbol of the latest caller, for the context of the errors a
   * load or a decoding gives (a load shared by concurrent callers names the last one in).
   */
  let caller = { operation: "loadMarkets", symbol: "*" }

  /** ccxt's markets by symbol, as it parsed them (one entry: the whole exchange). */
  const loaded = yield* Cache.makeWith(
    (_: "markets") =>
      client.use(
        { ...caller, kind: "markets", describe: () => "GET exchangeInfo (load markets)" },
        (ex) => ex.loadMarkets(true),
        (markets) => Result.succeed<Readonly<Record<string, unknown>>>(markets)
      ),
    { capacity: 1, timeToLive: keepSuccesses }
  )

  /** Each symbol's rules, decoded from the loaded markets when first asked for, until a refresh. */
  const decoded = new Map<string, MarketEntry>()

  const decode = (symbol: string): Effect.Effect<MarketEntry, VenueError | ValidationError> =>
    Effect.flatMap(Cache.get(loaded, "markets"), (markets): Effect.Effect<MarketEntry, VenueError | ValidationError> => {
      const raw = Object.hasOwn(markets, symbol) ? markets[symbol] : undefined
      if (raw === undefined) {
        return Effect.fail(new ValidationError({ ...caller, symbol, rule: "UnknownMarket", field: "symbol", value: symbol }))
      }
      const marketId = (raw as { readonly id?: unknown }).id
      return Effect.fromResult(decodeMarket(raw, { ...caller, symbol, exchange: client.id }, { precisionMode })).pipe(
        Effect.map((rules) => ({ rules, wireId: typeof marketId === "string" ? marketId : undefined })),
        Effect.tap((entry) => Effect.sync(() => decoded.set(symbol, entry)))
      )
    })

  return MarketCache.of({
    // A market decoded already is the answer as the request is built: every order
    // request asks for its market, and a refresh only affects requests built after it.
    market: (op, symbol) => {
      const known = decoded.get(symbol)
      if (known !== undefined) return Effect.succeed(known)
      return Effect.suspend(() => {
        caller = { operation: op, symbol }
        return decoded.get(symbol) === undefined ? decode(symbol) : Effect.succeed(decoded.get(symbol)!)
      })
    },
    refresh: (op) =>
      Effect.suspend(() => {
        caller = { operation: op, symbol: "*" }
        decoded.clear()
        return Cache.invalidate(loaded, "markets").pipe(Effect.andThen(Cache.get(loaded, "markets")), Effect.asVoid)
      })
  })
})
