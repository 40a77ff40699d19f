/**
 * Several users of one account: Binance gives an account one listenKey, so every
 * live layer (and every process) on it shares one user data stream key. One layer
 * stopping must not cut the others' streams: it stops its keepalive and lets the key
 * lapse, and never sends `DELETE /api/v3/userDataStream`. Against the loopback test
 * server's REST API and its real user-data-stream WebSocket.
 */
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Exit, Layer, Schedule, Scope, Stream } from "effect"
import { createLimitBuy, eventSource, Exchange, OrderJournal, type OrderEvent, subscribeOrderEvents } from "../src/index.ts"
import { binanceServer } from "./support/BinanceServer.ts"
import { fastLiveLayer } from "./support/live-layer.ts"

const credentials = { apiKey: "shared-key-0123456789abcdef", secret: "shared-secret-FEDCBA9876543210" }

/** Polls (real time, bounded) until `check` holds; the test fails if it never does. */
const eventually = (what: string, check: () => boolean) =>
  Effect.repeat(Effect.sync(check), { until: (ok) => ok, schedule: Schedule.spaced("10 millis"), times: 500 }).pipe(
    Effect.andThen((ok) => (ok ? Effect.void : Effect.die(new Error(`never: ${what}`))))
  )

describe("live: several layers on one account", () => {
  it.live("the first layer stops; the second's stream stays connected, with no reconnect and no DELETE", () =>
    Effect.gen(function*() {
      const server = yield* binanceServer({ ...credentials, balances: { USDT: "1000" }, prices: { HBARUSDT: "0.1" } })
      const layer = () =>
        fastLiveLayer(server, credentials, { userStream: true, journal: OrderJournal.layerMemory })
      const connected = (exchange: Context.Context<Exchange>) =>
        Effect.repeat(Effect.provide(eventSource, exchange), {
          until: (s) => s === "connected",
          schedule: Schedule.spaced("10 millis"),
          times: 500
        })

      // The second layer lives for the test; the first in a scope of its own, closed midway.
      const second = yield* Layer.build(layer())
      const firstScope = yield* Scope.make()
      const first = yield* Layer.buildWithScope(layer(), firstScope)
      yield* connected(second)
      yield* connected(first)
      yield* eventually("both connected", () => server.userStream.connections() === 2)
      const key = server.userStream.activeListenKey()
      const keyRequests = () => server.requestLog().filter((r) => r.path === "/api/v3/userDataStream")
      const postsBefore = keyRequests().filter((r) => r.method === "POST").length
      assert.strictEqual(postsBefore, 2, "one POST per layer; both got the account's one key")

      const seen: Array<OrderEvent> = []
      const events = yield* Effect.provide(subscribeOrderEvents, second)
      yield* Effect.forkScoped(Stream.runForEach(events, (e) => Effect.sync(() => void seen.push(e))))

      yield* Scope.close(firstScope, Exit.void)
      yield* eventually("the first layer's connection closed", () => server.userStream.connections() === 1)

      assert.deepStrictEqual(keyRequests().filter((r) => r.method === "DELETE"), [], "no DELETE reached the server")
      assert.strictEqual(server.userStream.activeListenKey(), key, "the key is still the account's, for the second layer")
      assert.strictEqual(yield* Effect.provide(eventSource, second), "connected")

      // The second layer's fills still come over its stream, on the same connection.
      const id = yield* Effect.provide(createLimitBuy(0.05, 100), second)
      server.fillOrder("HBARUSDT", { orderId: Number(id) })
      yield* eventually("the fill over the stream", () => seen.some((e) => e._tag === "Filled" && e.order.id === id))
      assert.strictEqual(keyRequests().filter((r) => r.method === "POST").length, postsBefore, "no reconnect: no new listenKey request")
      assert.strictEqual(server.userStream.connections(), 1)
      assert.strictEqual(yield* Effect.provide(eventSource, second), "connected")
      const delivered = server.userStream.sentEvents().filter((e) => e.event["e"] === "executionReport" && e.event["x"] === "TRADE")
      assert.deepStrictEqual(delivered.map((e) => e.listenKey), [key], "one connection took the fill: the second layer's")
    }))
})
