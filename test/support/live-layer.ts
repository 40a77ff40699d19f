/**
 * The live layer as the fault tests build it against the loopback Binance server:
 * fast retries and a short timeout, so that faults resolve quickly. The user data
 * stream is off unless `userStream: true` is given: most of these tests count the
 * requests the server saw, and the stream adds its own (a listenKey, the balance
 * read that seeds each connection, its keepalives); the engine then learns of
 * changes by polling, as on an exchange without a stream.
 */
import { Effect, Layer, Redacted } from "effect"
import { OrderJournal } from "../../src/index.ts"
import { LiveExchangeLayer, type LiveOptions } from "../../src/layers/live/Live.ts"
import { type BinanceServer, binanceServer } from "./BinanceServer.ts"

export const fastLiveLayer = (server: BinanceServer, credentials: { readonly apiKey: string; readonly secret: string }, options: Partial<LiveOptions> = {}) =>
  LiveExchangeLayer({
    apiKey: credentials.apiKey,
    secret: Redacted.make(credentials.secret),
    baseUrl: server.url,
    symbol: "HBAR/USDT",
    timeoutMs: 500,
    retry: { base: "5 millis", cap: "20 millis", times: 4 },
    userStream: false,
    ...options
  })

/**
 * `body` against a new loopback server (1000 USDT, HBAR/USDT at 0.1, these keys) through
 * the fast live layer over a memory journal the test can read too.
 */
export const withLiveServer = <A, E, R>(
  credentials: { readonly apiKey: string; readonly secret: string },
  body: (server: BinanceServer) => Effect.Effect<A, E, R>,
  options: Partial<LiveOptions> = {}
) =>
  Effect.gen(function*() {
    const server = yield* binanceServer({ ...credentials, balances: { USDT: "1000" }, prices: { HBARUSDT: "0.1" } })
    const journal = OrderJournal.layerMemory
    const live = fastLiveLayer(server, credentials, { journal, ...options })
    return yield* body(server).pipe(Effect.provide(Layer.merge(live, journal)))
  })
