/**
 * The live layer as the fault tests build it against the loopback Binance server:
 * fast retries and a short timeout, so that faults resolve quickly. The user data
 * stream is off unless `userStream: true` is given: most of these tests count the
 * requests the server saw, and the stream adds its own (a listenKey, the balance
 * read that seeds each connection, the final DELETE); the engine then learns of
 * changes by polling, as on an exchange without a stream.
 */
import { Redacted } from "effect"
import { LiveExchangeLayer, type LiveOptions } from "../../src/layers/Live.ts"
import type { BinanceServer } from "./BinanceServer.ts"

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
