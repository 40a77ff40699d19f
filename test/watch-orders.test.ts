/**
 * The live venue's order updates from ccxt's `watchOrders` (src/layers/live/WatchOrders.ts),
 * on binance.com's WebSocket-API user data stream, against the loopback test server
 * (test/support/binance/wsApi.ts): ccxt's unmodified pro `binance` class, redirected
 * by `baseUrl`.
 */
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Logger, Option, Queue, Result, type Scope, Stream } from "effect"
import { TestClock } from "effect/testing"
import * as D from "../src/services/Decimal.ts"
import type { VenueService, VenueUpdate } from "../src/services/Venue.ts"
import { createLimitBuy, eventSource, type Exchange, subscribeOrderEvents } from "../src/index.ts"
import { makeCcxtVenue } from "../src/layers/live/CcxtVenue.ts"
import { binanceOrderReports } from "../src/layers/live/exchanges/binance/WatchReport.ts"
import { decodeWatchedOrder } from "../src/layers/live/WatchDecode.ts"
import { loadCcxt, rewriteUrls } from "../src/layers/live/instance.ts"
import { canWatchOrders, reconnectDelay } from "../src/layers/live/WatchOrders.ts"
import type { OrderEvent } from "../src/services/OrderEvent.ts"
import { text } from "./support/amounts.ts"
import { type BinanceServer, binanceServer } from "./support/BinanceServer.ts"
import { fastLiveLayer } from "./support/live-layer.ts"

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

  it.effect("a connection that worked (up 1 s) and dropped: reconnecting, then connected again at once, with no backoff", () =>
    Effect.gen(function*() {
      const server = yield* startServer
      const venue = yield* venueOn(server)
      const { queue } = yield* watch(venue)
      for (let i = 0; i < 4; i++) {
        expectState(yield* Queue.take(queue), "connected")
        yield* TestClock.adjust("1 second")
        server.wsApi.dropConnections()
        expectState(yield* Queue.take(queue), "reconnecting")
      }
      // No virtual time passes from here: the next subscription is not delayed.
      expectState(yield* Queue.take(queue), "connected")
      assert.strictEqual(server.wsApi.requests().filter((r) => r.method === "userDataStream.subscribe.signature").length, 5)
    }))

  it.effect("a socket dropped at once, before any update: reconnecting, then after the backoff connected again, subscribed anew, and later fills still arrive", () =>
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

  it.effect("a subscription the exchange refuses (a wrong secret): down at once, not reconnecting; the warning names the failure, never the key or secret", () => {
    const lines: Array<string> = []
    const capture = Logger.layer([Logger.map(Logger.formatLogFmt, (line) => void lines.push(line))])
    return Effect.gen(function*() {
      const server = yield* startServer
      const venue = yield* makeCcxtVenue({
        exchange: "binance", useUnifiedApi: true, baseUrl: server.url, apiKey: server.apiKey, secret: "not-the-secret", rateLimit: false
      })
      const { fiber, queue } = yield* watch(venue)
      expectState(yield* Queue.take(queue), "down")
      assert.deepStrictEqual(server.wsApi.requests(), [{ method: "userDataStream.subscribe.signature", status: 400 }])
      assert.isUndefined(fiber.pollUnsafe())
      const warning = lines.find((l) => l.includes("order updates failed"))
      assert.include(warning, "AuthenticationError")
      assert.notInclude(lines.join("\n"), "not-the-secret")
      assert.notInclude(lines.join("\n"), server.apiKey)
    }).pipe(Effect.provide(capture))
  })

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

  it.effect("two streams share one connection: it closes when the last one ends", () =>
    Effect.gen(function*() {
      const server = yield* startServer
      const venue = yield* venueOn(server)
      const first = yield* watch(venue)
      const second = yield* watch(venue)
      expectState(yield* Queue.take(first.queue), "connected")
      expectState(yield* Queue.take(second.queue), "connected")
      assert.deepStrictEqual([server.wsApi.connections(), server.wsApi.subscriptions()], [1, 1])
      yield* Fiber.interrupt(first.fiber)
      assert.strictEqual(server.wsApi.connections(), 1)
      yield* buy(venue, "oo_watch_shared", "0.09")
      assert.strictEqual(expectOrder(yield* Queue.take(second.queue)).order.clientOrderId, "oo_watch_shared")
      yield* Fiber.interrupt(second.fiber)
      assert.strictEqual(server.wsApi.connections(), 0)
    }))

  it.effect("updates where ccxt has watchOrders (binance, kraken); none where it has not, nor on binanceus (its watchOrders would go to binance.com)", () =>
    Effect.gen(function*() {
      const server = yield* startServer
      assert.isTrue(Option.isNone((yield* venueOn(server, "btcbox")).updates))
      // binanceus: ccxt's watchOrders is not used (Binance.US has its own listenKey stream).
      const binanceus = yield* Effect.map(loadCcxt, (ccxt) => new ccxt.pro.binanceus({}))
      assert.isFalse(canWatchOrders(binanceus))
      assert.isTrue(binanceus.has["watchOrders"])
      assert.isTrue(Option.isSome((yield* venueOn(server, "binance")).updates))
      assert.isTrue(Option.isSome((yield* venueOn(server, "kraken")).updates))
    }))

  it.effect("a stop-loss-limit's updates say whether its trigger fired", () =>
    Effect.gen(function*() {
      const server = yield* startServer
      const venue = yield* venueOn(server)
      const { queue } = yield* watch(venue)
      expectState(yield* Queue.take(queue), "connected")
      yield* venue.submit("test", {
        clientOrderId: "oo_watch_stop",
        symbol: SYMBOL,
        side: "sell",
        type: "stop-loss-limit",
        price: Option.some(D.unsafe("0.094")),
        triggerPrice: Option.some(D.unsafe("0.095")),
        quantity: D.unsafe("100")
      })
      const placed = expectOrder(yield* Queue.take(queue))
      assert.deepStrictEqual([placed.order.type, placed.order.status, placed.order.triggered], ["stop-loss-limit", "open", false])
      // No liquidity: once triggered, the limit order rests on the book.
      server.setDepth("HBARUSDT", "0")
      server.setPrice("HBARUSDT", "0.095")
      const fired = expectOrder(yield* Queue.take(queue))
      assert.deepStrictEqual([fired.order.status, fired.order.triggered, D.format(fired.order.filled)], ["open", true, "0"])
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
  /** A ccxt order as `watchOrders` gives it on Binance, `info` being the executionReport of its last fill. */
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

  it.effect("a view carries the trade its executionReport names, read from its decimal strings, when that trade is the whole change since the order's last view", () =>
    Effect.gen(function*() {
      const server = yield* startServer
      const rules = yield* (yield* venueOn(server)).market("test", SYMBOL)
      const one = decodeWatchedOrder(watched(100, "70.00000000"), rules, ctx, Option.some(D.unsafe("30")), binanceOrderReports)
      assert.isTrue(Result.isSuccess(one))
      if (!Result.isSuccess(one)) return
      const trade = Option.getOrThrow(one.success.trade)
      assert.deepStrictEqual(
        [trade.id, trade.orderId, trade.clientOrderId, D.format(trade.price), D.format(trade.quantity), D.format(trade.quoteQuantity), D.format(trade.fee), trade.feeAsset, trade.maker],
        ["12", "7", "oo_merged", "0.09", "70", "6.3", "0.07", "HBAR", true]
      )
      // The report's commission is one trade's, not the order's: the order's fees stay empty.
      assert.deepStrictEqual(one.success.order.fees, {})
      assert.deepStrictEqual([one.success.order.status, D.format(one.success.order.filled)], ["closed", "100"])
    }))

  it.effect("a view standing for two fills ccxt merged (its trade is only the last one's) carries no trade; another exchange's order neither", () =>
    Effect.gen(function*() {
      const server = yield* startServer
      const rules = yield* (yield* venueOn(server)).market("test", SYMBOL)
      const merged = decodeWatchedOrder(watched(100, "70.00000000"), rules, ctx, Option.none(), binanceOrderReports)
      assert.isTrue(Result.isSuccess(merged) && Option.isNone(merged.success.trade))
      const other = decodeWatchedOrder({ ...watched(30, "30.00000000"), info: { status: "done" } }, rules, ctx, Option.none(), binanceOrderReports)
      assert.isTrue(Result.isSuccess(other) && Option.isNone(other.success.trade))
      // Without an executionReport, the fees are ccxt's.
      assert.isTrue(Result.isSuccess(other) && D.format(other.success.order.fees["HBAR"]!) === "0.03")
    }))

  it("baseUrl redirects the WebSocket hosts too: http to ws, https to wss, paths kept", () => {
    const api = { ws: { spot: "wss://stream.binance.com:9443/ws", "ws-api": { spot: "wss://ws-api.binance.com:443/ws-api/v3" } }, v3: "https://api.binance.com/api/v3" }
    assert.deepStrictEqual(rewriteUrls(api, "http://127.0.0.1:9000/"), {
      ws: { spot: "ws://127.0.0.1:9000/ws", "ws-api": { spot: "ws://127.0.0.1:9000/ws-api/v3" } },
      v3: "http://127.0.0.1:9000/api/v3"
    })
    assert.deepStrictEqual(rewriteUrls(api.ws, "https://testnet.example"), {
      spot: "wss://testnet.example/ws",
      "ws-api": { spot: "wss://testnet.example/ws-api/v3" }
    })
  })

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

describe("watchOrders: order events through the engine (Exchange.subscribeOrderEvents)", () => {
  /** The live exchange on binance's unified API over `server`, with `body` run inside it once its source is connected. */
  const onBinance = <A, E>(server: BinanceServer, body: Effect.Effect<A, E, Exchange | Scope.Scope>) =>
    Effect.gen(function*() {
      // Virtual time starts at the real time: the engine reads trades up to "now", and the server stamps real times.
      yield* TestClock.setTime(Date.now())
      // Connecting is real I/O on loopback: yield until the watcher says so (virtual time stands still).
      for (let i = 0; i < 10_000 && (yield* eventSource) !== "connected"; i++) yield* Effect.yieldNow
      assert.strictEqual(yield* eventSource, "connected")
      return yield* Effect.scoped(body)
    }).pipe(Effect.provide(fastLiveLayer(server, { apiKey: server.apiKey, secret: SECRET }, { exchange: "binance", useUnifiedApi: true })))

  const summary = (events: ReadonlyArray<OrderEvent>) =>
    events.map((e) =>
      `${e._tag} ${e.order.status} ${text(e.order.filled)}` +
      ("trade" in e ? Option.match(e.trade, { onNone: () => " no trade", onSome: (t) => ` ${text(t.price)}x${text(t.quantity)} ${text(t.fee)} ${t.feeAsset} ${t.maker ? "maker" : "taker"}` }) : ""))

  /** Subscribes now and collects the next `n` events in the background. */
  const nextEvents = (n: number) => Effect.flatMap(subscribeOrderEvents, (events) => Effect.forkChild(Stream.runCollect(Stream.take(events, n))))

  const tradeReads = (server: BinanceServer) => server.requestLog().filter((r) => r.path === "/api/v3/myTrades").length

  it.effect("Accepted, then Filled with its trade, from the stream: no poll and no trade read by REST", () =>
    Effect.gen(function*() {
      const server = yield* startServer
      const got = yield* onBinance(server, Effect.gen(function*() {
        const collected = yield* nextEvents(2)
        const id = yield* createLimitBuy(0.09, 100)
        server.setPrice("HBARUSDT", "0.08")
        const got = yield* Fiber.join(collected)
        assert.strictEqual(got[1]!.order.id, id)
        return got
      }))
      assert.deepStrictEqual(summary(got), ["Accepted open 0", "Filled closed 100 0.09x100 0.1 HBAR maker"])
      assert.strictEqual(tradeReads(server), 0)
    }))

  it.effect("two fills in one tick (ccxt may merge them into one view): PartiallyFilled and Filled, each trade once", () =>
    Effect.gen(function*() {
      const server = yield* startServer
      const got = yield* onBinance(server, Effect.gen(function*() {
        const collected = yield* nextEvents(3)
        const id = yield* createLimitBuy(0.09, 100)
        server.fillOrder("HBARUSDT", { orderId: Number(id) }, "30")
        server.fillOrder("HBARUSDT", { orderId: Number(id) }, "70")
        // The engine reads trades up to its clock's now: virtual time catches up with the server's trade times.
        yield* TestClock.setTime(Date.now())
        // Should a view stand for both fills, the engine reads their trades at once, without waiting for a poll.
        return yield* Fiber.join(collected)
      }))
      assert.deepStrictEqual(summary(got), [
        "Accepted open 0",
        "PartiallyFilled open 30 0.09x30 0.03 HBAR maker",
        "Filled closed 100 0.09x70 0.07 HBAR maker"
      ])
    }))
})
