/**
 * The live venue's order updates from ccxt's `watchOrders` (src/layers/ccxt/WatchOrders.ts),
 * on binance.com's WebSocket-API user data stream, against the loopback test server
 * (test/support/binance/wsApi.ts): ccxt's unmodified pro `binance` class, redirected
 * by `baseUrl`.
 */
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Option, Queue, Result, Stream } from "effect"
import { TestClock } from "effect/testing"
import * as D from "../src/services/Decimal.ts"
import type { VenueService, VenueUpdate } from "../src/services/Venue.ts"
import { makeCcxtVenue } from "../src/layers/CcxtVenue.ts"
import { decodeWatchedOrder } from "../src/layers/ccxt/WatchDecode.ts"
import { reconnectDelay } from "../src/layers/ccxt/WatchOrders.ts"
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

  it.effect("a subscription the exchange refuses (a wrong secret): down at once, not reconnecting", () =>
    Effect.gen(function*() {
      const server = yield* startServer
      const venue = yield* makeCcxtVenue({
        exchange: "binance", useUnifiedApi: true, baseUrl: server.url, apiKey: server.apiKey, secret: "not-the-secret", rateLimit: false
      })
      const { fiber, queue } = yield* watch(venue)
      expectState(yield* Queue.take(queue), "down")
      assert.deepStrictEqual(server.wsApi.requests(), [{ method: "userDataStream.subscribe.signature", status: 400 }])
      assert.isUndefined(fiber.pollUnsafe())
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

  it.effect("partial fills arrive as separate updates, each with its own trade", () =>
    Effect.gen(function*() {
      const server = yield* startServer
      const venue = yield* venueOn(server)
      const { queue } = yield* watch(venue)
      expectState(yield* Queue.take(queue), "connected")
      const placed = yield* buy(venue, "oo_watch_3", "0.09")
      expectOrder(yield* Queue.take(queue))
      server.fillOrder("HBARUSDT", { orderId: Number(placed.id) }, "30")
      const first = expectOrder(yield* Queue.take(queue))
      server.fillOrder("HBARUSDT", { orderId: Number(placed.id) }, "70")
      const second = expectOrder(yield* Queue.take(queue))
      const seen = [first, second].map((u) => ({
        status: u.order.status,
        filled: D.format(u.order.filled),
        trade: Option.map(u.trade, (t) => D.format(t.quantity))
      }))
      assert.deepStrictEqual(seen, [
        { status: "open", filled: "30", trade: Option.some("30") },
        { status: "closed", filled: "100", trade: Option.some("70") }
      ])
      assert.notStrictEqual(Option.getOrThrow(first.trade).id, Option.getOrThrow(second.trade).id)
    }))
})

describe("watchOrders: reading ccxt's orders", () => {
  /** A ccxt order as `watchOrders` gives it on Binance, `info` being the executionReport. */
  const watched = (filled: number, lastQty: string) => ({
    id: "7",
    clientOrderId: "oo_merged",
    symbol: SYMBOL,
    type: "limit",
    side: "buy",
    status: filled === 100 ? "closed" : "open",
    price: 0.09,
    amount: 100,
    filled,
    cost: filled * 0.09,
    timestamp: 1_700_000_000_000,
    fee: { cost: 0.03, currency: "HBAR" },
    info: {
      e: "executionReport", E: 1_700_000_000_100, s: "HBARUSDT", c: "oo_merged", S: "BUY", o: "LIMIT", f: "GTC",
      q: "100.00000000", p: "0.09000000", P: "0.00000000", g: -1, C: "", x: "TRADE",
      X: filled === 100 ? "FILLED" : "PARTIALLY_FILLED", r: "NONE", i: 7, l: lastQty, z: `${filled}.00000000`,
      L: "0.09000000", n: "0.07000000", N: "HBAR", T: 1_700_000_000_100, t: 12, w: filled < 100, m: true,
      O: 1_700_000_000_000, Z: String(filled * 0.09), Y: "6.30000000"
    }
  })
  const ctx = { operation: "watchOrders", symbol: SYMBOL, exchange: "binance" }

  it.effect("a view that accounts for one fill carries that trade; one that stands for two merged fills carries none (the engine reads trades by REST)", () =>
    Effect.gen(function*() {
      const server = yield* startServer
      const rules = yield* (yield* venueOn(server)).market("test", SYMBOL)
      const one = decodeWatchedOrder(watched(100, "70.00000000"), rules, ctx, Option.some(D.unsafe("30")))
      const merged = decodeWatchedOrder(watched(100, "70.00000000"), rules, ctx, Option.none())
      assert.isTrue(Result.isSuccess(one) && Result.isSuccess(merged))
      if (!Result.isSuccess(one) || !Result.isSuccess(merged)) return
      const trade = Option.getOrThrow(one.success.trade)
      assert.deepStrictEqual([trade.id, D.format(trade.quantity), D.format(trade.fee), trade.feeAsset, trade.maker], ["12", "70", "0.07", "HBAR", true])
      assert.isTrue(Option.isNone(merged.success.trade))
      // The executionReport's commission is one trade's, not the order's: the order's fees stay empty.
      assert.deepStrictEqual(one.success.order.fees, {})
      assert.strictEqual(D.format(one.success.order.filled), "100")
    }))

  it.effect("reconnect delays: 1 s, doubling, capped at 30 s, each within ±20 %", () =>
    Effect.gen(function*() {
      for (const [attempt, base] of [[1, 1000], [2, 2000], [3, 4000], [5, 16_000], [6, 30_000], [40, 30_000]] as const) {
        for (let i = 0; i < 20; i++) {
          const ms = Duration.toMillis(yield* reconnectDelay(attempt))
          assert.isTrue(ms >= base * 0.8 && ms <= base * 1.2, `attempt ${attempt}: ${ms} ms`)
        }
      }
    }))
})
