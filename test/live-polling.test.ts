/**
 * Order events on the live layer by REST alone (`events: { stream: false }`: what
 * happens on an exchange without a stream, or while it is down): against the
 * loopback Binance.US server, fills made on the exchange with no call from the bot
 * reach the active orders and the subscribers at the next poll, each with its trade
 * read from `myTrades`; and a trade seen both by the bot's `fetchTrades` and by the
 * reconciliation is published once.
 */
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Duration, Effect, Fiber, Layer, Option, type Scope, Stream } from "effect"
import {
  activeOrders,
  createLimitBuy,
  type Exchange,
  type ExchangeFailure,
  eventSource,
  fetchTrades,
  OrderJournal,
  type OrderEventsOverflow,
  subscribeOrderEvents,
  syncOrders
} from "../src/index.ts"
import { eventsFromConfig, type LiveOptions } from "../src/layers/live/Live.ts"
import type { OrderEvent } from "../src/services/OrderEvent.ts"
import { text } from "./support/amounts.ts"
import { type BinanceServer, binanceServer } from "./support/BinanceServer.ts"
import { fastLiveLayer } from "./support/live-layer.ts"

const API_KEY = "polling-key-0123456789abcdef"
const SECRET = "polling-secret-FEDCBA9876543210"

const withLive = <A>(
  events: LiveOptions["events"],
  body: (server: BinanceServer) => Effect.Effect<A, ExchangeFailure | OrderEventsOverflow, Exchange | OrderJournal | Scope.Scope>
) =>
  Effect.gen(function*() {
    const server = yield* binanceServer({
      apiKey: API_KEY,
      secret: SECRET,
      balances: { USDT: "1000" },
      prices: { HBARUSDT: "0.1" },
      makerFeeRate: "0.001"
    })
    const journal = OrderJournal.layerMemory
    const live = fastLiveLayer(server, { apiKey: API_KEY, secret: SECRET }, { journal, events })
    return yield* body(server).pipe(Effect.provide(Layer.merge(live, journal)))
  })

/** Subscribes now and collects the next `n` events in the background. */
const nextEvents = (n: number) => Effect.flatMap(subscribeOrderEvents, (events) => Effect.forkChild(Stream.runCollect(Stream.take(events, n))))

const summary = (events: ReadonlyArray<OrderEvent>) =>
  events.map((e) =>
    `${e._tag} ${e.order.status} ${text(e.order.filled)}` +
    ("trade" in e ? Option.match(e.trade, { onNone: () => " no trade", onSome: (t) => ` ${text(t.price)}x${text(t.quantity)} ${text(t.fee)} ${t.feeAsset}` }) : ""))

describe("live: order events by polling", () => {
  it.effect("ORDEROPS_POLL_INTERVAL and ORDEROPS_SAFETY_POLL_INTERVAL set the intervals; events turned off in code stay off", () =>
    Effect.gen(function*() {
      const env = { ORDEROPS_POLL_INTERVAL: "3 seconds", ORDEROPS_SAFETY_POLL_INTERVAL: "1 minute" }
      const read = (given: LiveOptions["events"]) =>
        eventsFromConfig(given).pipe(Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.fromEnv({ env })))
      const events = yield* read({ subscriberBuffer: 50 })
      assert.isTrue(events !== undefined && events !== false)
      if (events !== undefined && events !== false) {
        assert.strictEqual(Duration.toMillis(Duration.fromInputUnsafe(events.pollInterval!)), 3000)
        assert.strictEqual(Duration.toMillis(Duration.fromInputUnsafe(events.safetyPollInterval!)), 60_000)
        assert.strictEqual(events.subscriberBuffer, 50)
      }
      assert.strictEqual(yield* read(false), false)
    }))

  it.live("a fill made on the exchange reaches the subscribers and the active orders at the next poll, with its trade", () =>
    withLive({ stream: false, pollInterval: "50 millis" }, (server) =>
      Effect.gen(function*() {
        assert.strictEqual(yield* eventSource, "polling")
        const events = yield* nextEvents(2)
        const id = yield* createLimitBuy(0.09, 100)
        server.fillOrder("HBARUSDT", { orderId: Number(id) })
        const got = yield* Fiber.join(events)
        assert.deepStrictEqual(summary(got), ["Accepted open 0", "Filled closed 100 0.09x100 0.1 HBAR"])
        const fill = got[1]!
        assert.strictEqual(fill._tag === "Filled" ? Option.getOrThrow(fill.trade).orderId : undefined, id)
        assert.isFalse((yield* activeOrders).has(id))
      })))

  it.live("two fills between polls are two events, one per trade", () =>
    withLive({ stream: false, pollInterval: "300 millis" }, (server) =>
      Effect.gen(function*() {
        const events = yield* nextEvents(3)
        const id = yield* createLimitBuy(0.09, 100)
        server.fillOrder("HBARUSDT", { orderId: Number(id) }, "40")
        server.fillOrder("HBARUSDT", { orderId: Number(id) }, "60")
        assert.deepStrictEqual(summary(yield* Fiber.join(events)), [
          "Accepted open 0",
          "PartiallyFilled open 40 0.09x40 0.04 HBAR",
          "Filled closed 100 0.09x60 0.06 HBAR"
        ])
      })))

  it.live("a trade the bot fetched first and the reconciliation meets again is published once", () =>
    withLive({ stream: false, pollInterval: "1 hour" }, (server) =>
      Effect.gen(function*() {
        const subscription = yield* subscribeOrderEvents
        const id = yield* createLimitBuy(0.09, 100)
        server.fillOrder("HBARUSDT", { orderId: Number(id) })
        assert.strictEqual((yield* fetchTrades()).length, 1) // journaled, no event yet
        yield* syncOrders // the reconciliation sees the order filled: its trade comes from the journal
        yield* syncOrders // and again: nothing new
        const got = yield* Stream.runCollect(Stream.take(subscription, 2))
        assert.deepStrictEqual(summary(got), ["Accepted open 0", "Filled closed 100 0.09x100 0.1 HBAR"])
        // Nothing after those two: the next event is a new order's, not a repeat.
        yield* syncOrders
        const next = yield* createLimitBuy(0.08, 100)
        const [after] = yield* Stream.runCollect(Stream.take(subscription, 1))
        assert.deepStrictEqual([after!._tag, after!.order.id], ["Accepted", next])
      })))
})
