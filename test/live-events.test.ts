/**
 * Order events on Binance.US through the live layer, against the loopback test
 * server's REST API and its real user-data-stream WebSocket: what REST reads say
 * about triggers, and, end to end through `subscribeOrderEvents`, the events the
 * engine publishes from the stream and its reconciliations, and balances read from
 * the stream. The venue-level source is in live-events-venue.test.ts.
 */
import { assert, describe, it } from "@effect/vitest"
import { BigDecimal, Effect, Layer, Logger, Option, References, Schedule } from "effect"
import {
  activeOrders,
  cancelOrder,
  createLimitBuy,
  createLimitSell,
  createStopLossLimit,
  type ExchangeFailure,
  fetchOrder,
  getUsdtBalance
} from "../src/index.ts"
import type { LiveOptions } from "../src/layers/live/Live.ts"
import type { OrderEvent } from "../src/services/OrderEvent.ts"
import type { BinanceServer } from "./support/BinanceServer.ts"
import { withLiveServer } from "./support/live-layer.ts"
import { collectEvents, describeEvents, EVENTS_KEYS, eventually, untilConnected, untilSource, withStream } from "./support/live-events.ts"

const withLive = <A, R>(body: (server: BinanceServer) => Effect.Effect<A, ExchangeFailure, R>, options: Partial<LiveOptions> = {}) =>
  withLiveServer(EVENTS_KEYS, body, options)

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

// ---- end to end: the engine's order events over the stream -------------------------------

const ofOrder = (seen: ReadonlyArray<OrderEvent>, id: string) => seen.filter((e) => e.order.id === id)
const fills = (seen: ReadonlyArray<OrderEvent>) => seen.filter((e) => e._tag === "PartiallyFilled" || e._tag === "Filled")
const accountReads = (server: BinanceServer) => server.requestLog().filter((r) => r.path === "/api/v3/account").length
/** Requests the server saw that read or change orders (not the stream's own). */
const orderRequests = (server: BinanceServer) =>
  server.requestLog().filter((r) => r.path !== "/api/v3/userDataStream" && r.path !== "/api/v3/account").length

describe("live order events over the user data stream", () => {
  it.live("partial fills arrive as separate trades: Accepted, PartiallyFilled, PartiallyFilled, Filled", () =>
    withStream((server) =>
      Effect.gen(function*() {
        const seen = yield* collectEvents
        const id = yield* createLimitBuy(0.05, 100)
        server.fillOrder("HBARUSDT", { orderId: Number(id) }, "10")
        server.fillOrder("HBARUSDT", { orderId: Number(id) }, "20")
        server.fillOrder("HBARUSDT", { orderId: Number(id) })
        yield* eventually(seen, (s) => s.some((e) => e._tag === "Filled"))
        assert.deepStrictEqual(describeEvents(ofOrder(seen, id)).map((d) => d.replace(/ trade \d+/, "")), [
          "Accepted 0", "PartiallyFilled 10 10", "PartiallyFilled 30 20", "Filled 100 70"
        ])
        const tradeIds = fills(seen).map((e) => "trade" in e ? Option.getOrThrow(e.trade).id : "")
        assert.strictEqual(new Set(tradeIds).size, 3, "three trades, three ids")
      })))

  it.live("a stop whose trigger fires is Triggered, from the stream's report", () =>
    withStream((server) =>
      Effect.gen(function*() {
        yield* createLimitBuy(0.11, 200) // fills at 0.1: HBAR to protect
        const seen = yield* collectEvents
        const stop = yield* createStopLossLimit(0.09, 0.089, 100)
        server.setDepth("HBARUSDT", "0") // nothing to fill against: it rests at its limit once triggered
        const before = orderRequests(server)
        server.setPrice("HBARUSDT", "0.09")
        yield* eventually(seen, (s) => s.some((e) => e._tag === "Triggered"))
        assert.deepStrictEqual(ofOrder(seen, stop.id).map((e) => [e._tag, e.order.triggered]), [["Accepted", false], ["Triggered", true]])
        assert.strictEqual(orderRequests(server), before)
      })))

  it.live("the active orders follow a fill with no call from the bot", () =>
    withStream((server) =>
      Effect.gen(function*() {
        const seen = yield* collectEvents
        const id = yield* createLimitBuy(0.05, 100)
        assert.isTrue((yield* activeOrders).has(id))
        const before = orderRequests(server)
        server.fillOrder("HBARUSDT", { orderId: Number(id) })
        yield* eventually(seen, (s) => s.some((e) => e._tag === "Filled"))
        assert.isFalse((yield* activeOrders).has(id), "the Ref no longer holds it")
        assert.strictEqual(orderRequests(server), before, "no request: the stream said it")
      })))

  it.live("a fill while the socket is down is delivered exactly once after the reconnect", () =>
    withStream((server) =>
      Effect.gen(function*() {
        const seen = yield* collectEvents
        const id = yield* createLimitBuy(0.05, 100)
        server.userStream.dropConnections()
        yield* untilSource("reconnecting")
        server.fillOrder("HBARUSDT", { orderId: Number(id) }) // no socket: Binance never replays this
        yield* untilConnected
        yield* eventually(seen, (s) => s.some((e) => e._tag === "Filled"))
        // another reconnect reconciles again, and finds the same trade: still one event
        server.userStream.dropConnections()
        yield* untilSource("reconnecting")
        yield* untilConnected // the reconciliation after this connect is applied by then
        assert.deepStrictEqual(describeEvents(ofOrder(seen, id)).map((d) => d.replace(/ trade \d+/, "")), ["Accepted 0", "Filled 100 100"])
        assert.isFalse((yield* activeOrders).has(id))
      })))

  it.live("the same trade seen by the reconciliation and then by the stream gives one event", () =>
    withStream((server) =>
      Effect.gen(function*() {
        const seen = yield* collectEvents
        const id = yield* createLimitBuy(0.05, 100)
        server.userStream.withholdEvents()
        server.fillOrder("HBARUSDT", { orderId: Number(id) }, "40")
        // the safety poll's reconciliation finds the fill first
        yield* eventually(seen, (s) => s.some((e) => e._tag === "PartiallyFilled"))
        server.userStream.releaseEvents("deliver") // then the stream's report of the same trade arrives
        yield* Effect.repeat(Effect.sync(() => server.userStream.sentEvents().some((s) => s.event["x"] === "TRADE")), {
          until: (sent) => sent, schedule: Schedule.spaced("10 millis"), times: 100
        })
        server.fillOrder("HBARUSDT", { orderId: Number(id) })
        yield* eventually(seen, (s) => s.some((e) => e._tag === "Filled"))
        assert.deepStrictEqual(describeEvents(ofOrder(seen, id)).map((d) => d.replace(/ trade \d+/, "")), [
          "Accepted 0", "PartiallyFilled 40 40", "Filled 100 60"
        ])
      }), { events: { safetyPollInterval: "300 millis" } }))

  it.live("a sell right after a buy that filled at once is judged on the balance after the fill, not before", () =>
    withStream((server) =>
      Effect.gen(function*() {
        for (let i = 0; i < 3; i++) {
          yield* createLimitBuy(0.11, 100) // fills at once at 0.1: 100 HBAR more, a moment before the stream says so
          yield* createLimitSell(0.12, 100)
        }
        assert.strictEqual(server.openOrders("HBARUSDT").length, 3)
      })))

  it.live("balance reads answer from the stream while it is connected, from REST while it is down", () =>
    withStream((server) =>
      Effect.gen(function*() {
        // the connection's seed: one account read
        yield* Effect.repeat(Effect.sync(() => accountReads(server)), { until: (n) => n === 1, schedule: Schedule.spaced("10 millis"), times: 200 })
        yield* Effect.sleep("50 millis")
        assert.strictEqual(BigDecimal.format(yield* getUsdtBalance()), "1000")
        assert.strictEqual(accountReads(server), 1, "no request while the stream is up")
        yield* createLimitBuy(0.05, 100)
        // just after the bot's own order, reads go to REST until the stream has reported what it moved
        const fromStream = Effect.gen(function*() {
          const before = accountReads(server)
          const usdt = BigDecimal.format(yield* getUsdtBalance())
          return accountReads(server) === before ? usdt : "read by REST"
        })
        assert.strictEqual(yield* Effect.repeat(fromStream, { until: (b) => b === "995", schedule: Schedule.spaced("10 millis"), times: 200 }), "995")
        const reads = accountReads(server)
        assert.deepStrictEqual([yield* fromStream, yield* fromStream], ["995", "995"])
        server.userStream.dropConnections()
        yield* untilSource("reconnecting")
        assert.strictEqual(BigDecimal.format(yield* getUsdtBalance()), "995")
        assert.strictEqual(accountReads(server), reads + 1, "one REST read while it is down")
      })))

  it.live("a balance read right after the bot's own create or cancel answers from the stream, as the exchange has it, without a request", () =>
    withStream((server) =>
      Effect.gen(function*() {
        yield* Effect.repeat(Effect.sync(() => accountReads(server)), { until: (n) => n === 1, schedule: Schedule.spaced("10 millis"), times: 200 })
        const exchangeUsdt = () => BigDecimal.format(BigDecimal.normalize(BigDecimal.fromStringUnsafe(server.balances()["USDT"]!.free)))
        const requests = () => server.requestLog().length
        for (let i = 0; i < 5; i++) {
          const id = yield* createLimitBuy(0.05, 100)
          let before = requests()
          assert.strictEqual(BigDecimal.format(yield* getUsdtBalance()), exchangeUsdt())
          assert.strictEqual(exchangeUsdt(), "995")
          assert.strictEqual(requests(), before, "no request after the create")
          yield* cancelOrder(id)
          before = requests()
          assert.strictEqual(BigDecimal.format(yield* getUsdtBalance()), exchangeUsdt())
          assert.strictEqual(exchangeUsdt(), "1000")
          assert.strictEqual(requests(), before, "no request after the cancel")
        }
        assert.strictEqual(accountReads(server), 1, "only the connection's seed read the account")
      })))

  it.live("a read after the bot's own create never answers the figure from before it: without the stream's report, it reads by REST", () =>
    withStream((server) =>
      Effect.gen(function*() {
        yield* Effect.repeat(Effect.sync(() => accountReads(server)), { until: (n) => n === 1, schedule: Schedule.spaced("10 millis"), times: 200 })
        server.userStream.withholdEvents()
        yield* createLimitBuy(0.05, 100)
        assert.strictEqual(BigDecimal.format(yield* getUsdtBalance()), "995")
        assert.strictEqual(accountReads(server), 2, "read by REST: the stream has not reported the create")
        server.userStream.releaseEvents("deliver")
        const fromStream = Effect.gen(function*() {
          const before = accountReads(server)
          const usdt = BigDecimal.format(yield* getUsdtBalance())
          return accountReads(server) === before ? usdt : "read by REST"
        })
        assert.strictEqual(yield* Effect.repeat(fromStream, { until: (b) => b === "995", schedule: Schedule.spaced("10 millis"), times: 200 }), "995")
      })))

  it.live("at debug level the listenKey never reaches a log, through the engine's reconnects and reconciliations", () => {
    const logs: Array<string> = []
    return Effect.gen(function*() {
      const keys = yield* withStream((server) =>
        Effect.gen(function*() {
          const first = server.userStream.activeListenKey()!
          const id = yield* createLimitBuy(0.05, 100)
          server.userStream.expireListenKey()
          const second = yield* Effect.repeat(Effect.sync(() => server.userStream.activeListenKey()), {
            until: (k) => k !== undefined && k !== first, schedule: Schedule.spaced("10 millis"), times: 300
          })
          yield* untilConnected
          yield* cancelOrder(id)
          return [first, second!]
        }))
      assert.strictEqual(new Set(keys).size, 2)
      assert.isTrue(logs.some((l) => l.includes("userDataStream")) && logs.some((l) => l.includes("stream is connected")))
      for (const key of keys) assert.isFalse(logs.some((l) => l.includes(key)))
    }).pipe(Effect.provide(Layer.mergeAll(
      Logger.layer([Logger.map(Logger.formatLogFmt, (line) => void logs.push(line))]),
      Layer.succeed(References.MinimumLogLevel, "Debug")
    )))
  })
})
