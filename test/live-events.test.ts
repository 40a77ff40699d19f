/**
 * Order events on Binance.US through the live layer, against the loopback test
 * server's REST API and its real user-data-stream WebSocket: what REST reads say
 * about triggers, the venue's event source (`venue.updates`), and balances kept
 * from the stream.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { createLimitBuy, createStopLossLimit, type Exchange, type ExchangeFailure, fetchOrder, OrderJournal } from "../src/index.ts"
import type { LiveOptions } from "../src/layers/Live.ts"
import { type BinanceServer, binanceServer } from "./support/BinanceServer.ts"
import { fastLiveLayer } from "./support/live-layer.ts"

const API_KEY = "events-key-0123456789abcdef"
const SECRET = "events-secret-FEDCBA9876543210"

const withLive = <A>(
  body: (server: BinanceServer) => Effect.Effect<A, ExchangeFailure, Exchange | OrderJournal>,
  options: Partial<LiveOptions> = {}
) =>
  Effect.gen(function*() {
    const server = yield* binanceServer({ apiKey: API_KEY, secret: SECRET, balances: { USDT: "1000" }, prices: { HBARUSDT: "0.1" } })
    const journal = OrderJournal.layerMemory
    const live = fastLiveLayer(server, { apiKey: API_KEY, secret: SECRET }, { journal, ...options })
    return yield* body(server).pipe(Effect.provide(Layer.merge(live, journal)))
  })

describe("live: REST reads say whether a trigger fired", () => {
  for (const unified of [false, true]) {
    it.live(`a stop-loss-limit is triggered once the price reaches it (${unified ? "ccxt's unified methods" : "Binance's REST endpoints"})`, () =>
      withLive((server) =>
        Effect.gen(function*() {
          yield* createLimitBuy(0.11, 200)
          const stop = yield* createStopLossLimit(0.09, 0.089, 100)
          assert.strictEqual(stop.triggered, false, "the create answer: workingTime -1")
          assert.strictEqual((yield* fetchOrder(stop.id)).triggered, false, "a query: isWorking false")
          server.setDepth("HBARUSDT", "0") // triggered, but nothing to fill against: it rests at its limit
          server.setPrice("HBARUSDT", "0.09")
          const working = yield* fetchOrder(stop.id)
          assert.deepStrictEqual([working.status, working.triggered], ["open", true])
          const buy = (yield* fetchOrder(server.orders()[0]!.orderId.toString()))
          assert.isUndefined(buy.triggered, "not a trigger order: absent")
        }), { useUnifiedApi: unified }))
  }
})
