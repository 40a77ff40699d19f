/**
 * The live venue's order updates from ccxt's `watchOrders` (src/layers/ccxt/WatchOrders.ts),
 * on binance.com's WebSocket-API user data stream, against the loopback test server
 * (test/support/binance/wsApi.ts): ccxt's unmodified pro `binance` class, redirected
 * by `baseUrl`.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Option, Queue, Stream } from "effect"
import { TestClock } from "effect/testing"
import * as D from "../src/services/Decimal.ts"
import type { VenueService, VenueUpdate } from "../src/services/Venue.ts"
import { makeCcxtVenue } from "../src/layers/CcxtVenue.ts"
import { type BinanceServer, binanceServer } from "./support/BinanceServer.ts"

const SECRET = "test-secret"
const SYMBOL = "HBAR/USDT"

const startServer = binanceServer({ balances: { USDT: "1000", HBAR: "1000" }, prices: { HBARUSDT: "0.1" }, feeRate: "0.001" })

/** A venue on ccxt's unified API for `exchange`, pointed at `server`. */
const venueOn = (server: BinanceServer, exchange = "binance") =>
  makeCcxtVenue({ exchange, useUnifiedApi: true, baseUrl: server.url, apiKey: server.apiKey, secret: SECRET, rateLimit: false })

/** Runs the venue's updates for the symbol into a queue, in the test's scope. */
const watch = (venue: VenueService) =>
  Effect.gen(function*() {
    const updates = Option.getOrThrow(venue.updates)
    const queue = yield* Queue.unbounded<VenueUpdate>()
    const fiber = yield* Stream.runForEach(updates(SYMBOL), (u) => Queue.offer(queue, u)).pipe(Effect.forkScoped)
    return { queue, fiber }
  })

const buy = (venue: VenueService, clientOrderId: string, price: string) =>
  venue.submit("test", {
    clientOrderId,
    symbol: SYMBOL,
    side: "buy",
    type: "limit",
    price: Option.some(D.unsafe(price)),
    triggerPrice: Option.none(),
    quantity: D.unsafe("100")
  })

const expectState = (update: VenueUpdate, state: "connected" | "reconnecting" | "down") =>
  assert.deepStrictEqual(update, { _tag: "State", state })

const expectOrder = (update: VenueUpdate) => {
  if (update._tag !== "Order") assert.fail(`expected an Order update, got ${JSON.stringify(update)}`)
  return update
}

describe("watchOrders: order updates on binance's WebSocket API", () => {
  it.effect("connected once subscribed; an order filled on the server arrives as an Order update carrying its trade", () =>
    Effect.gen(function*() {
      const server = yield* startServer
      const venue = yield* venueOn(server)
      const { queue } = yield* watch(venue)
      expectState(yield* Queue.take(queue), "connected")
      assert.deepStrictEqual(server.wsApi.requests(), [{ method: "userDataStream.subscribe.signature", status: 200 }])

      const placed = yield* buy(venue, "oo_watch_1", "0.09")
      const accepted = expectOrder(yield* Queue.take(queue))
      assert.strictEqual(accepted.order.id, placed.id)
      assert.strictEqual(accepted.order.clientOrderId, "oo_watch_1")
      assert.strictEqual(accepted.order.status, "open")
      assert.isTrue(Option.isNone(accepted.trade))

      server.setPrice("HBARUSDT", "0.08")
      const filled = expectOrder(yield* Queue.take(queue))
      assert.strictEqual(filled.order.status, "closed")
      assert.strictEqual(D.format(filled.order.filled), "100")
      assert.strictEqual(D.format(filled.order.cost), "9")
      const trade = Option.getOrThrow(filled.trade)
      const sent = server.wsApi.sentEvents().map((e) => e.event).find((e) => e["x"] === "TRADE")
      assert.deepStrictEqual(
        { ...trade, price: D.format(trade.price), quantity: D.format(trade.quantity), quoteQuantity: D.format(trade.quoteQuantity), fee: D.format(trade.fee) },
        {
          id: String(sent?.["t"]),
          orderId: placed.id,
          clientOrderId: "oo_watch_1",
          side: "buy",
          price: "0.09",
          quantity: "100",
          quoteQuantity: "9",
          fee: "0.1",
          feeAsset: "HBAR",
          maker: true,
          timestamp: Number(sent?.["T"])
        }
      )
    }))

  it.effect("a dropped socket: reconnecting, then after the backoff connected again, subscribed anew, and later fills still arrive", () =>
    Effect.gen(function*() {
      const server = yield* startServer
      const venue = yield* venueOn(server)
      const { queue } = yield* watch(venue)
      expectState(yield* Queue.take(queue), "connected")

      server.wsApi.dropConnections()
      expectState(yield* Queue.take(queue), "reconnecting")
      // The first reconnect waits 1 s ± 20 % of virtual time; nothing happens before.
      for (let i = 0; i < 8; i++) {
        yield* Effect.yieldNow
        yield* TestClock.adjust("200 millis")
      }
      expectState(yield* Queue.take(queue), "connected")
      assert.strictEqual(server.wsApi.subscriptions(), 1)
      assert.strictEqual(server.wsApi.requests().filter((r) => r.method === "userDataStream.subscribe.signature").length, 2)

      const placed = yield* buy(venue, "oo_watch_2", "0.09")
      server.fillOrder("HBARUSDT", { orderId: Number(placed.id) })
      const updates = [expectOrder(yield* Queue.take(queue)), expectOrder(yield* Queue.take(queue))]
      assert.deepStrictEqual(updates.map((u) => [u.order.status, Option.isSome(u.trade)]), [["open", false], ["closed", true]])
    }))

  it.effect("five failed reconnects in a row: down (the stream itself does not fail)", () =>
    Effect.gen(function*() {
      const server = yield* startServer
      const venue = yield* venueOn(server)
      const { fiber, queue } = yield* watch(venue)
      expectState(yield* Queue.take(queue), "connected")
      // The server goes away: every reconnect fails on the network (1 s, 2 s, 4 s, 8 s of backoff between them).
      yield* Effect.promise(() => server.close())
      expectState(yield* Queue.take(queue), "reconnecting")
      for (let i = 0; i < 200; i++) {
        yield* Effect.yieldNow
        yield* TestClock.adjust("500 millis")
        const next = yield* Queue.poll(queue)
        if (Option.isSome(next)) {
          expectState(next.value, "down")
          assert.isUndefined(fiber.pollUnsafe())
          return
        }
      }
      assert.fail("never down")
    }))

  it.effect("interrupting the stream closes ccxt's WebSocket connection", () =>
    Effect.gen(function*() {
      const server = yield* startServer
      const venue = yield* venueOn(server)
      const { fiber, queue } = yield* watch(venue)
      expectState(yield* Queue.take(queue), "connected")
      assert.strictEqual(server.wsApi.connections(), 1)
      yield* Fiber.interrupt(fiber)
      assert.strictEqual(server.wsApi.connections(), 0)
    }))

  it.effect("no updates where ccxt has no watchOrders, nor on binanceus (its watchOrders would go to binance.com)", () =>
    Effect.gen(function*() {
      const server = yield* startServer
      assert.isTrue(Option.isNone((yield* venueOn(server, "btcbox")).updates))
      assert.isTrue(Option.isNone((yield* venueOn(server, "binanceus")).updates))
      assert.isTrue(Option.isSome((yield* venueOn(server, "binance")).updates))
    }))
})
