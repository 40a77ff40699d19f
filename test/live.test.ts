/**
 * The live layer end to end: real, unmodified ccxt `binanceus` over HTTP against
 * the loopback Binance.US test server (test/support/BinanceServer.ts).
 *
 * - The shared conformance suite, with the market moved by the server's `setPrice`
 *   (followed by a `sync`: live, the `Ref` learns of fills from the exchange).
 * - One test per failure the exchange produces, each asserting the typed error, the
 *   number of orders on the server and the contents of the active-orders `Ref`.
 * - Idempotent creates, `Retry-After`, clock resync, credentials and secrets.
 */
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Fiber, Layer, Logger, Option, Redacted } from "effect"
import { TestClock } from "effect/testing"
import {
  activeOrders,
  cancelOrder,
  getQuoteBalance,
  createLimitBuy,
  Exchange,
  type ExchangeFailure,
  fetchOpenOrders,
  OrderJournal
} from "../src/index.ts"
import * as ccxt from "ccxt"
import { spawnSync } from "node:child_process"
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join, resolve } from "node:path"
import { fromExchange, makeCcxtVenue } from "../src/layers/live/CcxtVenue.ts"
import {
  CcxtVenueLayer,
  ExchangeLayerFromEnv,
  isLiveOptIn,
  type LiveOptions,
  LiveExchangeLayer,
  LiveExchangeLayerConfig
} from "../src/layers/live/Live.ts"
import { type BinanceServer, type BinanceServerOptions, binanceServer } from "./support/BinanceServer.ts"
import { MarketControl, SUITE_FEES, suite } from "./support/conformance.ts"
import { eventsSuite } from "./support/conformance-events.ts"
import { fastLiveLayer } from "./support/live-layer.ts"

const API_KEY = "live-key-0123456789abcdef"
const SECRET = "live-secret-FEDCBA9876543210"

const serverOptions: BinanceServerOptions = {
  apiKey: API_KEY,
  secret: SECRET,
  balances: { USDT: "1000" },
  prices: { HBARUSDT: "0.1" }
}

/** The live layer against `server`: fast retries and a short timeout so faults resolve quickly. */
const live = (server: BinanceServer, options: Partial<LiveOptions> = {}) => fastLiveLayer(server, { apiKey: API_KEY, secret: SECRET }, options)

/** `MarketControl` over the server: set the price, then sync so the `Ref` sees the fills (or not, unseen). */
const control = (server: BinanceServer) =>
  Layer.effect(
    MarketControl,
    Effect.map(Exchange, (ex) => {
      const setPriceUnseen = (p: number) => Effect.sync(() => server.setPrice("HBARUSDT", String(p)))
      return MarketControl.of({
        setPrice: (p) => setPriceUnseen(p).pipe(Effect.andThen(ex.sync), Effect.orDie, Effect.asVoid),
        setPriceUnseen,
        setDepth: (q) => Effect.sync(() => server.setDepth("HBARUSDT", q === undefined ? undefined : String(q)))
      })
    })
  )

// Binance's REST endpoints through ccxt (the default on Binance), and ccxt's unified methods.
for (const [name, options] of [["REST endpoints", {}], ["unified methods", { useUnifiedApi: true }]] as const) {
  suite(
    `live (ccxt binanceus over HTTP, ${name})`,
    Layer.unwrap(
      Effect.gen(function*() {
        const server = yield* binanceServer({ ...serverOptions, makerFeeRate: String(SUITE_FEES.maker), takerFeeRate: String(SUITE_FEES.taker) })
        // The suite reads the journal the exchange writes to.
        const journal = Layer.succeed(OrderJournal, yield* OrderJournal)
        return Layer.provideMerge(control(server), live(server, { ...options, journal }))
      })
    ).pipe(Layer.provideMerge(OrderJournal.layerMemory)),
    { live: true, oco: !("useUnifiedApi" in options) }
  )
}

// Order events, the same as the dry run's: the market moves on the server only (no `sync`), so the
// events come from the engine's polls every 20 ms alone, or from Binance.US's user data stream (with
// the reconciliation when it connects; the safety poll's 2 minutes never come in a test).
for (const [source, options, state] of [
  ["polling", { events: { stream: false, pollInterval: "20 millis" } }, "polling"],
  ["user data stream", { events: { pollInterval: "20 millis" }, userStream: true }, "connected"]
] as const) {
  eventsSuite(
    `live (ccxt binanceus over HTTP, ${source})`,
    Layer.unwrap(
      Effect.gen(function*() {
        const server = yield* binanceServer({
          ...serverOptions,
          makerFeeRate: String(SUITE_FEES.maker),
          takerFeeRate: String(SUITE_FEES.taker),
          weightLimitPerMinute: 1_000_000 // polls every 20 ms
        })
        const journal = Layer.succeed(OrderJournal, yield* OrderJournal)
        const setPrice = (p: number) => Effect.sync(() => server.setPrice("HBARUSDT", String(p)))
        const unseen = Layer.succeed(MarketControl, MarketControl.of({
          setPrice,
          setPriceUnseen: setPrice,
          setDepth: (q) => Effect.sync(() => server.setDepth("HBARUSDT", q === undefined ? undefined : String(q)))
        }))
        return Layer.merge(unseen, live(server, { journal, ...options }))
      })
    ).pipe(Layer.provideMerge(OrderJournal.layerMemory)),
    { live: true, source: state }
  )
}

/** Log lines, captured as logfmt. */
const captureLogs = () => {
  const lines: Array<string> = []
  const layer = Logger.layer([Logger.map(Logger.formatLogFmt, (line) => void lines.push(line))])
  return { lines, layer }
}

interface Harness {
  readonly server: BinanceServer
  readonly logs: ReadonlyArray<string>
}

/** Runs `body` against a fresh server and a live layer over it; logs are captured, not printed. */
const withLive = <A, E = never>(
  body: (h: Harness) => Effect.Effect<A, ExchangeFailure | E, Exchange | OrderJournal>,
  options: Partial<LiveOptions> = {},
  server: BinanceServerOptions = serverOptions,
  prepare: (server: BinanceServer) => void = () => {}
) =>
  Effect.gen(function*() {
    const s = yield* binanceServer(server)
    prepare(s)
    const logs = captureLogs()
    const journal = OrderJournal.layerMemory
    return yield* body({ server: s, logs: logs.lines }).pipe(
      Effect.provide(Layer.merge(live(s, { journal, ...options }), journal)),
      Effect.provide(logs.layer)
    )
  })

const noRetry = { retry: { times: 0 } } as const
const ORDER = { method: "POST", path: "/api/v3/order" } as const
const GET_ORDER = { method: "GET", path: "/api/v3/order" } as const
const OPEN_ORDERS = { method: "GET", path: "/api/v3/openOrders" } as const

const requests = (server: BinanceServer, method: string, path: string) =>
  server.requestLog().filter((r) => r.method === method && r.path === path)
const refIds = Effect.map(activeOrders, (m) => [...m.keys()])
const serverIds = (server: BinanceServer) => server.orders().map((o) => String(o.orderId))
const expectFailure = <A>(effect: Effect.Effect<A, ExchangeFailure, Exchange>) => Effect.flip(effect)
const reasonOf = (e: ExchangeFailure) => `${e._tag}/${"reason" in e ? e.reason : "rule" in e ? e.rule : ""}`

/** Builds a live layer with the given credentials and gives its start-up failure. */
const authFailure = (secret: string, apiKey: string) =>
  Effect.gen(function*() {
    const server = yield* binanceServer(serverOptions)
    const logs = captureLogs()
    const e = yield* Effect.flip(
      Effect.provide(Effect.void, LiveExchangeLayer({ apiKey, secret, baseUrl: server.url })).pipe(Effect.provide(logs.layer))
    )
    return { e, server }
  })

describe("live: wire format", () => {
  it.live("debug: one line explains each request, annotated with the market and the order's ids", () =>
    withLive(({ server, logs }) =>
      Effect.gen(function*() {
        const before = logs.length
        const sent = server.requestLog().length
        const id = yield* createLimitBuy(0.09, 100)
        yield* cancelOrder(id)
        yield* getQuoteBalance()
        assert.strictEqual(server.requestLog().length - sent, 3)
        const debug = logs.slice(before).filter((l) => l.includes("level=DEBUG"))
        assert.strictEqual(debug.length, 3, debug.join("\n"))
        assert.include(debug[0]!, "binanceus: POST order: limit buy 100 HBAR/USDT at 0.09")
        assert.match(debug[0]!, /clientOrderId=oo_/)
        assert.include(debug[1]!, `binanceus: DELETE order ${id} on HBAR/USDT`)
        assert.include(debug[1]!, `orderId=${id}`)
        assert.include(debug[2]!, "binanceus: GET account (balances)")
        for (const line of debug) assert.include(line, "symbol=HBAR/USDT")
      }), { debug: true }))


  for (const useUnifiedApi of [false, true]) {
    it.live(`price and quantity leave as the exact snapped decimal strings, with the orderops client order id (${useUnifiedApi ? "unified methods" : "REST endpoints"})`, () =>
      withLive(({ server }) =>
        Effect.gen(function*() {
          yield* createLimitBuy(0.1 + 0.2 - 0.21, 20.9) // 0.09000000000000002 → 0.09, 20.9 → 20
          yield* createLimitBuy(0.0812349, 20)
          const posts = requests(server, "POST", "/api/v3/order")
          assert.deepStrictEqual(posts.map((r) => [r.params["price"], r.params["quantity"]]), [["0.09", "20"], ["0.08123", "20"]])
          for (const p of posts) {
            assert.match(p.params["newClientOrderId"] ?? "", /^oo_[a-z0-9_]+$/)
            assert.deepStrictEqual([p.params["symbol"], p.params["side"], p.params["type"], p.params["timeInForce"]], ["HBARUSDT", "BUY", "LIMIT", "GTC"])
          }
          assert.deepStrictEqual((yield* refIds).sort(), serverIds(server).sort())
        }), { useUnifiedApi }))
  }
})

describe("live: a create after a lost answer is found, never duplicated", () => {
  it.live("drop before processing: NetworkError; nothing on the server, nothing tracked", () =>
    withLive(({ server }) =>
      Effect.gen(function*() {
        server.dropBeforeProcessing(ORDER)
        const e = yield* expectFailure(createLimitBuy(0.09, 100))
        assert.strictEqual(reasonOf(e), "NetworkError/ConnectionFailed")
        assert.strictEqual(e.operation, "createLimitBuy")
        assert.match(e._tag === "NetworkError" ? e.clientOrderId ?? "" : "", /^oo_/)
        assert.strictEqual(server.orders().length, 0)
        assert.deepStrictEqual(yield* refIds, [])
        // Sent once (ccxt's own retries are off); the look-up said "not there" before the failure was reported.
        assert.strictEqual(requests(server, "POST", "/api/v3/order").length, 1)
        assert.strictEqual(requests(server, "GET", "/api/v3/order").length, 1)
      }), noRetry))

  it.live("drop before processing, with retries: looked up, then resent with the same id; exactly one order", () =>
    withLive(({ server }) =>
      Effect.gen(function*() {
        server.dropBeforeProcessing(ORDER)
        const id = yield* createLimitBuy(0.09, 100)
        const posts = requests(server, "POST", "/api/v3/order")
        assert.strictEqual(posts.length, 2)
        assert.strictEqual(posts[0]!.params["newClientOrderId"], posts[1]!.params["newClientOrderId"])
        const lookups = requests(server, "GET", "/api/v3/order")
        assert.strictEqual(lookups[0]!.params["origClientOrderId"], posts[0]!.params["newClientOrderId"])
        assert.deepStrictEqual(serverIds(server), [id])
        assert.deepStrictEqual(yield* refIds, [id])
      })))

  it.live("process then drop: the look-up finds the order, which is the result; nothing is resent", () =>
    withLive(({ server }) =>
      Effect.gen(function*() {
        server.processThenDrop(ORDER)
        const id = yield* createLimitBuy(0.09, 100)
        assert.strictEqual(requests(server, "POST", "/api/v3/order").length, 1)
        assert.deepStrictEqual(serverIds(server), [id])
        assert.deepStrictEqual(yield* refIds, [id])
      }), noRetry))

  it.live("late answer (processed, answered after the timeout): found by client order id; exactly one order", () =>
    withLive(({ server, logs }) =>
      Effect.gen(function*() {
        server.delay(1_500, ORDER)
        const id = yield* createLimitBuy(0.09, 100)
        assert.strictEqual(requests(server, "POST", "/api/v3/order").length, 1)
        assert.deepStrictEqual(serverIds(server), [id])
        assert.deepStrictEqual(yield* refIds, [id])
        assert.isTrue(logs.some((l) => l.includes("Outcome unknown") && l.includes("Timeout")))
      }), noRetry))

  it.live("a hang before processing: NetworkError Timeout without retries, one order with them", () =>
    Effect.gen(function*() {
      yield* withLive(({ server }) =>
        Effect.gen(function*() {
          server.hang(ORDER)
          const e = yield* expectFailure(createLimitBuy(0.09, 100))
          assert.strictEqual(reasonOf(e), "NetworkError/Timeout")
          assert.strictEqual(server.orders().length, 0)
          assert.deepStrictEqual(yield* refIds, [])
        }), noRetry)
      yield* withLive(({ server }) =>
        Effect.gen(function*() {
          server.hang(ORDER)
          const id = yield* createLimitBuy(0.09, 100)
          assert.deepStrictEqual(serverIds(server), [id])
          assert.deepStrictEqual(yield* refIds, [id])
        }))
    }))

  const fiveHundreds = [
    [502, false, "NetworkError/Unavailable"],
    [503, false, "NetworkError/Unavailable"],
    [504, false, "NetworkError/Timeout"],
    [503, true, "ExchangeError/ExchangeUnavailable"],
    [500, true, "ExchangeError/ExchangeUnavailable"]
  ] as const
  for (const [status, binanceBody, expected] of fiveHundreds) {
    const body = binanceBody ? " with a Binance body" : ""
    it.live(`${status}${body} before processing: ${expected}; nothing on the server`, () =>
      withLive(({ server }) =>
        Effect.gen(function*() {
          server.status5xx(status, { ...ORDER, binanceBody })
          const e = yield* expectFailure(createLimitBuy(0.09, 100))
          assert.strictEqual(reasonOf(e), expected)
          assert.strictEqual(server.orders().length, 0)
          assert.deepStrictEqual(yield* refIds, [])
        }), noRetry))
    it.live(`${status}${body} after processing: the look-up finds the order; exactly one`, () =>
      withLive(({ server }) =>
        Effect.gen(function*() {
          server.status5xx(status, { ...ORDER, binanceBody, afterProcessing: true })
          const id = yield* createLimitBuy(0.09, 100)
          assert.strictEqual(requests(server, "POST", "/api/v3/order").length, 1)
          assert.deepStrictEqual(serverIds(server), [id])
          assert.deepStrictEqual(yield* refIds, [id])
        }), noRetry))
  }

  it.live("a look-up that misses a processed order: the resend's \"Duplicate order sent.\" resolves to that order", () =>
    withLive(({ server }) =>
      Effect.gen(function*() {
        server.processThenDrop(ORDER)
        server.binanceError(400, -2013, "Order does not exist.", GET_ORDER)
        const id = yield* createLimitBuy(0.09, 100)
        assert.strictEqual(requests(server, "POST", "/api/v3/order").length, 2)
        assert.deepStrictEqual(serverIds(server), [id])
        assert.deepStrictEqual(yield* refIds, [id])
      })))
})

describe("live: rejections are typed and not retried", () => {
  it.live("Filter failure: NOTIONAL (-1013, ccxt BadRequest) is InvalidOrder; sent once; the journal marks it failed", () =>
    withLive(({ server }) =>
      Effect.gen(function*() {
        server.binanceError(400, -1013, "Filter failure: NOTIONAL", ORDER)
        const e = yield* expectFailure(createLimitBuy(0.09, 100))
        assert.strictEqual(reasonOf(e), "ExchangeError/InvalidOrder")
        assert.strictEqual(requests(server, "POST", "/api/v3/order").length, 1)
        assert.strictEqual(server.orders().length, 0)
        assert.deepStrictEqual(yield* refIds, [])
        const entries = yield* OrderJournal.use((j) => j.entries())
        assert.deepStrictEqual(entries.map((x) => x.status), ["failed"])
      })))

  it.live("insufficient funds: InsufficientFunds, sent once", () =>
    withLive(({ server }) =>
      Effect.gen(function*() {
        const e = yield* expectFailure(createLimitBuy(0.09, 20_000))
        assert.strictEqual(reasonOf(e), "ExchangeError/InsufficientFunds")
        assert.strictEqual(requests(server, "POST", "/api/v3/order").length, 1)
        assert.strictEqual(server.orders().length, 0)
        assert.deepStrictEqual(yield* refIds, [])
      })))
})

describe("live: reads and cancels retry", () => {
  it.live("fetchOpenOrders after a dropped connection and a 502: retried until it answers", () =>
    withLive(({ server }) =>
      Effect.gen(function*() {
        const id = yield* createLimitBuy(0.09, 100)
        server.dropBeforeProcessing(OPEN_ORDERS)
        server.status5xx(502, OPEN_ORDERS)
        const before = requests(server, "GET", "/api/v3/openOrders").length
        const open = yield* fetchOpenOrders()
        assert.deepStrictEqual(open.map((o) => o.id), [id])
        assert.strictEqual(requests(server, "GET", "/api/v3/openOrders").length - before, 3)
        assert.deepStrictEqual(yield* refIds, [id])
      })))

  it.live("a cancel whose answer is lost: the order's state shows it cancelled; the Ref lets it go", () =>
    withLive(({ server }) =>
      Effect.gen(function*() {
        const id = yield* createLimitBuy(0.09, 100)
        server.processThenDrop({ method: "DELETE", path: "/api/v3/order" })
        yield* cancelOrder(id)
        assert.strictEqual(requests(server, "DELETE", "/api/v3/order").length, 1)
        assert.deepStrictEqual(server.orders().map((o) => o.status), ["CANCELED"])
        assert.deepStrictEqual(yield* refIds, [])
      }), noRetry))

  it.live("a cancel that hangs before processing: retried; one order, cancelled, untracked", () =>
    withLive(({ server }) =>
      Effect.gen(function*() {
        const id = yield* createLimitBuy(0.09, 100)
        server.hang({ method: "DELETE", path: "/api/v3/order" })
        yield* cancelOrder(id)
        assert.deepStrictEqual(server.orders().map((o) => o.status), ["CANCELED"])
        assert.deepStrictEqual(yield* refIds, [])
      })))

  it.live("cancel-all with nothing open (Binance -2011) is an empty list", () =>
    Effect.gen(function*() {
      const server = yield* binanceServer(serverOptions)
      const venue = yield* makeCcxtVenue({ apiKey: API_KEY, secret: SECRET, baseUrl: server.url })
      assert.isTrue(Option.isSome(venue.cancelAll))
      const cancelAll = Option.getOrThrow(venue.cancelAll)
      assert.deepStrictEqual(yield* cancelAll("test", "HBAR/USDT"), [])
      assert.strictEqual(requests(server, "DELETE", "/api/v3/openOrders")[0]?.status, 400)
    }))
})

describe("live: rate limits", () => {
  it.live("429 without retries: RateLimited carrying Retry-After in ms; nothing else sent", () =>
    withLive(({ server }) =>
      Effect.gen(function*() {
        server.rateLimit(429, 7, OPEN_ORDERS)
        const before = requests(server, "GET", "/api/v3/openOrders").length
        const e = yield* expectFailure(fetchOpenOrders())
        assert.strictEqual(reasonOf(e), "ExchangeError/RateLimited")
        assert.strictEqual(e._tag === "ExchangeError" ? e.retryAfterMs : undefined, 7_000)
        assert.strictEqual(requests(server, "GET", "/api/v3/openOrders").length - before, 1)
      }), noRetry))

  it.live("418 beyond the longest wait we accept: TemporaryBan, failed at once", () =>
    withLive(({ server }) =>
      Effect.gen(function*() {
        server.rateLimit(418, 120, OPEN_ORDERS)
        const before = requests(server, "GET", "/api/v3/openOrders").length
        const e = yield* expectFailure(fetchOpenOrders())
        assert.strictEqual(reasonOf(e), "ExchangeError/TemporaryBan")
        assert.strictEqual(e._tag === "ExchangeError" ? e.retryAfterMs : undefined, 120_000)
        assert.strictEqual(requests(server, "GET", "/api/v3/openOrders").length - before, 1)
      }), { retry: { base: "5 millis", times: 4, maxRetryAfter: "10 seconds" } }))

  /** Real I/O under the TestClock: wait (in real time) until `f` holds. */
  const eventually = (f: () => boolean) =>
    Effect.gen(function*() {
      for (let i = 0; i < 200 && !f(); i++) yield* Effect.promise(() => new Promise((r) => setTimeout(r, 10)))
      assert.isTrue(f(), "condition not reached")
    })

  /**
   * How many requests the venue has sent whose debug line contains `what`. The line is
   * written as the request leaves, in the same step, so an absence is seen at once,
   * with no wait in real time.
   */
  const sentLines = (logs: ReadonlyArray<string>, what: string) => () =>
    logs.filter((l) => l.includes(what) && !l.includes(" failed: ")).length

  /** Lets every fiber woken by a TestClock adjustment run as far as it can. */
  const settle = Effect.gen(function*() {
    for (let i = 0; i < 20; i++) yield* Effect.yieldNow
  })

  it.effect("Retry-After is honoured on 429 (TestClock): nothing is re-sent before it has passed", () =>
    withLive(({ server, logs }) =>
      Effect.gen(function*() {
        const id = yield* createLimitBuy(0.09, 100)
        server.rateLimit(429, 30, OPEN_ORDERS)
        const before = requests(server, "GET", "/api/v3/openOrders").length
        const count = () => requests(server, "GET", "/api/v3/openOrders").length - before
        const sent = sentLines(logs, "binanceus: GET openOrders")
        const sentBefore = sent()
        const fiber = yield* Effect.forkChild(fetchOpenOrders())
        yield* eventually(() => count() === 1)
        yield* TestClock.adjust("29 seconds")
        yield* settle
        assert.strictEqual(sent() - sentBefore, 1, "re-sent before Retry-After")
        assert.strictEqual(count(), 1, "re-sent before Retry-After")
        yield* TestClock.adjust("2 seconds")
        const open = yield* Fiber.join(fiber)
        // The engine's poll, held by the same pause, may leave at the same moment.
        assert.isAtLeast(count(), 2)
        assert.deepStrictEqual(open.map((o) => o.id), [id])
      }), { debug: true }))

  it.effect("Retry-After is honoured on a 418 create: the order is sent again only after it, exactly once", () =>
    withLive(({ server, logs }) =>
      Effect.gen(function*() {
        server.rateLimit(418, 20, ORDER)
        const count = () => requests(server, "POST", "/api/v3/order").length
        const sent = sentLines(logs, "binanceus: POST order")
        const fiber = yield* Effect.forkChild(createLimitBuy(0.09, 100))
        yield* eventually(() => count() === 1)
        yield* TestClock.adjust("19 seconds")
        yield* settle
        assert.strictEqual(sent(), 1, "re-sent before Retry-After")
        assert.strictEqual(count(), 1)
        yield* TestClock.adjust("2 seconds")
        const id = yield* Fiber.join(fiber)
        assert.deepStrictEqual(serverIds(server), [id])
        assert.deepStrictEqual(yield* refIds, [id])
      }), { debug: true }))

  // The window is one second (any interval Binance states works alike), so the wait is short.
  it.live("a burst of creates beyond the advertised orders per window queues instead of hitting 429", () =>
    withLive(({ server }) =>
      Effect.gen(function*() {
        const started = Date.now()
        const ids = yield* Effect.all([0.09, 0.08, 0.07].map((p) => createLimitBuy(p, 20)), { concurrency: "unbounded" })
        assert.isAtLeast(Date.now() - started, 900, "the third create waited for the window")
        assert.strictEqual(server.counters().status429, 0)
        assert.deepStrictEqual(serverIds(server).sort(), [...ids].sort())
        assert.deepStrictEqual((yield* refIds).sort(), [...ids].sort())
      }), {}, {
        ...serverOptions,
        rateLimits: [
          { rateLimitType: "REQUEST_WEIGHT", interval: "MINUTE", intervalNum: 1, limit: 1200 },
          { rateLimitType: "ORDERS", interval: "SECOND", intervalNum: 1, limit: 2 }
        ]
      }), 30_000)

  it.live("the budget is read from exchangeInfo's advertised rateLimits", () =>
    withLive(({ logs }) =>
      Effect.sync(() => {
        assert.isTrue(
          logs.some((l) => l.includes("request budget 1500 weight per 60000 ms; 7 orders per 10000 ms, 200000 orders per 86400000 ms")),
          logs.join("\n")
        )
      }), { debug: true }, { ...serverOptions, weightLimitPerMinute: 1500, orderLimitPer10s: 7 }))
})

describe("live: clock and credentials", () => {
  for (const skew of [-20_000, 20_000]) {
    it.live(`a clock ${skew < 0 ? "ahead of" : "behind"} the exchange (-1021): one resync, one retry, then it works`, () =>
      withLive(({ server }) =>
        Effect.gen(function*() {
          const log = server.requestLog().map((r) => `${r.method} ${r.path} ${r.status}`)
          assert.deepStrictEqual(log, [
            "GET /api/v3/exchangeInfo 200",
            "GET /api/v3/openOrders 400",
            "GET /api/v3/time 200",
            "GET /api/v3/openOrders 200"
          ])
          const id = yield* createLimitBuy(0.09, 100)
          assert.deepStrictEqual(serverIds(server), [id])
          assert.deepStrictEqual(yield* refIds, [id])
        }), {}, serverOptions, (s) => s.setClockSkew(skew)))
  }

  it.live("a wrong secret (-1022): AuthenticationError at start-up, never retried", () =>
    Effect.gen(function*() {
      const { e, server } = yield* authFailure("not-the-secret", API_KEY)
      assert.strictEqual(reasonOf(e), "AuthenticationError/InvalidCredentials")
      assert.strictEqual(requests(server, "GET", "/api/v3/openOrders").length, 1)
      assert.strictEqual(server.orders().length, 0)
    }))

  it.live("a wrong key (-2015 before any success): AuthenticationError, never retried", () =>
    Effect.gen(function*() {
      const { e, server } = yield* authFailure(SECRET, "not-the-key")
      assert.strictEqual(reasonOf(e), "AuthenticationError/InvalidCredentials")
      assert.strictEqual(requests(server, "GET", "/api/v3/openOrders").length, 1)
    }))

  it.live("-2015 after successful calls is a temporary ban: TemporaryBan, retried", () =>
    Effect.gen(function*() {
      yield* withLive(({ server }) =>
        Effect.gen(function*() {
          server.binanceError(401, -2015, "Invalid API-key, IP, or permissions for action.", OPEN_ORDERS)
          const e = yield* expectFailure(fetchOpenOrders())
          assert.strictEqual(reasonOf(e), "ExchangeError/TemporaryBan")
        }), noRetry)
      yield* withLive(({ server }) =>
        Effect.gen(function*() {
          server.binanceError(401, -2015, "Invalid API-key, IP, or permissions for action.", OPEN_ORDERS)
          const before = requests(server, "GET", "/api/v3/openOrders").length
          assert.deepStrictEqual(yield* fetchOpenOrders(), [])
          assert.strictEqual(requests(server, "GET", "/api/v3/openOrders").length - before, 2)
        }))
    }))

  it.effect("missing keys: MissingCredentials naming the missing options, before any request", () =>
    Effect.gen(function*() {
      const e = yield* Effect.flip(Effect.provide(Effect.void, LiveExchangeLayer({ apiKey: "", secret: Redacted.make(" ") })))
      assert.strictEqual(reasonOf(e), "AuthenticationError/MissingCredentials")
      assert.include(e.message, "apiKey and secret")
    }))

  // What a program passes when a variable is unset: `process.env.KEY` as it is, or wrapped.
  const unset: string = process.env["ORDEROPS_TEST_NEVER_SET"] as string
  const missingKeys: ReadonlyArray<readonly [string, LiveOptions["apiKey"]]> = [
    ["undefined", unset],
    ["empty", ""],
    ["blank", " \t\n"],
    ["Redacted undefined", Redacted.make(unset)],
    ["Redacted empty", Redacted.make("")],
    ["Redacted blank", Redacted.make("  ")]
  ]

  it.effect("an undefined, empty or blank key or secret, plain or Redacted: MissingCredentials, never a throw", () =>
    Effect.gen(function*() {
      for (const [label, bad] of missingKeys) {
        // Building the layers must not throw: a throw here would end the test as a defect.
        for (const [which, options] of [["apiKey", { apiKey: bad, secret: "s" }], ["secret", { apiKey: "k", secret: bad }]] as const) {
          const e = yield* Effect.flip(Effect.provide(Effect.void, LiveExchangeLayer(options)))
          assert.strictEqual(reasonOf(e), "AuthenticationError/MissingCredentials", `${label} ${which}`)
          assert.include(e.message, `missing ${which}`, `${label} ${which}`)
          const venue = yield* Effect.flip(Effect.provide(Effect.void, CcxtVenueLayer(options)))
          assert.strictEqual(reasonOf(venue), "AuthenticationError/MissingCredentials", `venue: ${label} ${which}`)
        }
      }
    }))

  const fromEnv = (env: Record<string, string>, overrides: Partial<LiveOptions> = {}) =>
    Effect.flip(Effect.provide(Effect.void, LiveExchangeLayerConfig(overrides))).pipe(
      Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env })))
    )

  it.effect("the environment form: unset or blank variables and missing overrides are MissingCredentials, never a throw", () =>
    Effect.gen(function*() {
      for (const [label, bad] of missingKeys) {
        const e = yield* fromEnv({ ORDEROPS_API_SECRET: "s", ORDEROPS_API_KEY: " " }, { apiKey: bad })
        assert.strictEqual(reasonOf(e as ExchangeFailure), "AuthenticationError/MissingCredentials", label)
        assert.include(e.message, "missing ORDEROPS_API_KEY", label)
        const viaDefault = yield* Effect.flip(Effect.provide(Effect.void, ExchangeLayerFromEnv({ secret: bad }))).pipe(
          Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env: { ORDEROPS_DRY_RUN: "false", ORDEROPS_API_KEY: "k" } })))
        )
        assert.strictEqual(reasonOf(viaDefault as ExchangeFailure), "AuthenticationError/MissingCredentials", label)
        assert.include(viaDefault.message, "missing ORDEROPS_API_SECRET", label)
      }
    }))

  it.effect("missing keys in the environment: the error names the missing variables", () =>
    Effect.gen(function*() {
      const both = yield* fromEnv({})
      assert.strictEqual(reasonOf(both as ExchangeFailure), "AuthenticationError/MissingCredentials")
      assert.include(both.message, "ORDEROPS_API_KEY and ORDEROPS_API_SECRET")
      const secret = yield* fromEnv({ ORDEROPS_API_KEY: "k" })
      assert.include(secret.message, "missing ORDEROPS_API_SECRET")
      assert.notInclude(secret.message, "ORDEROPS_API_KEY")
      const key = yield* fromEnv({ ORDEROPS_API_SECRET: "s", ORDEROPS_API_KEY: "  " })
      assert.include(key.message, "missing ORDEROPS_API_KEY")
    }))

  // ccxt's unified createOrder asks Binance for the FULL answer; the REST path asks for RESULT.
  for (const [unified, respType] of [[undefined, "RESULT"], ["true", "FULL"]] as const) {
    it.live(`the environment form reaches the server with Redacted keys (ORDEROPS_UNIFIED_API=${unified ?? "unset"})`, () =>
      Effect.gen(function*() {
        const server = yield* binanceServer(serverOptions)
        const env = {
          ORDEROPS_API_KEY: API_KEY,
          ORDEROPS_API_SECRET: SECRET,
          ORDEROPS_BASE_URL: server.url,
          ORDEROPS_SYMBOL: "HBAR/USDT",
          ...(unified === undefined ? {} : { ORDEROPS_UNIFIED_API: unified })
        }
        const id = yield* createLimitBuy(0.09, 100).pipe(
          Effect.provide(LiveExchangeLayerConfig()),
          // The journal in memory: the default file would land in the work tree.
          Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env: { ORDEROPS_JOURNAL: ":memory:", ...env } }))),
          Effect.provide(captureLogs().layer)
        )
        assert.deepStrictEqual(serverIds(server), [id])
        assert.deepStrictEqual(requests(server, "POST", "/api/v3/order").map((r) => r.params["newOrderRespType"]), [respType])
      }))
  }
})

describe("live: secrets", () => {
  it.live("neither the secret, the key nor a signature appears in any log line (debug on) or error", () =>
    Effect.gen(function*() {
      const seen: Array<string> = []
      yield* withLive(({ server, logs }) =>
        Effect.gen(function*() {
          server.dropBeforeProcessing(ORDER)
          server.status5xx(500, { ...ORDER, binanceBody: true })
          server.binanceError(400, -1013, "Filter failure: NOTIONAL", ORDER)
          for (let i = 0; i < 3; i++) {
            const r = yield* Effect.result(createLimitBuy(0.09, 100))
            if (r._tag === "Failure") seen.push(r.failure.message, String(r.failure), JSON.stringify(r.failure))
          }
          yield* fetchOpenOrders()
          // Failed GETs: ccxt puts the signed query string, signature included, in these messages.
          server.dropBeforeProcessing({ ...OPEN_ORDERS, times: 5 })
          server.status5xx(502, { ...GET_ORDER, times: 5 })
          for (const attempt of [fetchOpenOrders(), Effect.asVoid(Exchange.use((ex) => ex.fetchOrder("424242")))]) {
            const r = yield* Effect.result(attempt)
            assert.strictEqual(r._tag, "Failure")
            if (r._tag === "Failure") seen.push(r.failure.message, String(r.failure), JSON.stringify(r.failure))
          }
          assert.isTrue(seen.some((l) => l.includes("signature=<redacted>")), "a signed URL was scrubbed")
          seen.push(...logs)
          assert.isTrue(logs.some((l) => l.includes("POST order")), "debug request lines are logged")
        }), { debug: true })
      const { e } = yield* authFailure("wrong-secret-0123456789", API_KEY)
      seen.push(e.message, String(e), JSON.stringify(e), String((e as { cause?: unknown }).cause))
      const all = seen.join("\n")
      assert.isAbove(seen.length, 10)
      assert.notInclude(all, SECRET)
      assert.notInclude(all, "wrong-secret-0123456789")
      assert.notInclude(all, API_KEY)
      assert.notMatch(all, /signature=[0-9a-f]{8}/i)
    }))
})

describe("live: the venue", () => {
  it.live("markets are loaded once, cached, and reloaded on refreshMarkets", () =>
    Effect.gen(function*() {
      const server = yield* binanceServer(serverOptions)
      const venue = yield* makeCcxtVenue({ apiKey: API_KEY, secret: SECRET, baseUrl: server.url })
      const rules = yield* venue.market("test", "HBAR/USDT")
      yield* venue.market("test", "HBAR/USDT")
      yield* venue.market("test", "LTC/USDT")
      assert.strictEqual(requests(server, "GET", "/api/v3/exchangeInfo").length, 1)
      assert.strictEqual(rules.tickSize.scale, 5)
      yield* venue.refreshMarkets("test")
      assert.strictEqual(requests(server, "GET", "/api/v3/exchangeInfo").length, 2)
      const unknown = yield* Effect.flip(venue.market("test", "DOGE/USDT"))
      assert.strictEqual(unknown._tag === "ValidationError" && unknown.rule, "UnknownMarket")
    }))

  it.live("a failed market load at start-up is retried under the policy: the layer builds on the second load", () =>
    withLive(
      () =>
        Effect.gen(function*() {
          assert.strictEqual((yield* Exchange).symbol, "HBAR/USDT")
        }),
      {},
      serverOptions,
      (server) => server.status5xx(502, { path: "/api/v3/exchangeInfo", times: 1 })
    ).pipe(Effect.andThen(Effect.void)))

  it.live("a market the exchange does not list fails the layer at once, without retries", () =>
    Effect.gen(function*() {
      const server = yield* binanceServer(serverOptions)
      const e = yield* Effect.flip(Effect.provide(Effect.asVoid(Exchange), live(server, { symbol: "DOGE/USDT", journal: OrderJournal.layerMemory })))
      assert.strictEqual(e._tag === "ValidationError" && e.rule, "UnknownMarket")
      assert.strictEqual(requests(server, "GET", "/api/v3/exchangeInfo").length, 1)
    }))

  // Both ways the venue can call ccxt: Binance's REST endpoints (the default here) and the unified methods.
  const paths = [
    { name: "REST endpoints", useUnifiedApi: false, openOrders: "privateGetOpenOrders", balances: "privateGetAccount" },
    { name: "unified methods", useUnifiedApi: true, openOrders: "fetchOpenOrders", balances: "fetchBalance" }
  ] as const

  /** A binanceus instance pointed at `server`, with `patch` replacing some of its methods. */
  const instanceOver = (server: BinanceServer, patch: Record<string, unknown>) => {
    const instance = new ccxt.binanceus({ apiKey: API_KEY, secret: SECRET, enableRateLimit: false })
    instance.urls = { ...instance.urls, api: { public: `${server.url}/api/v3`, private: `${server.url}/api/v3` } }
    return Object.assign(instance, patch)
  }

  for (const path of paths) {
    it.live(`fromExchange over a ready instance (${path.name}): a bug inside a ccxt call is ExchangeError Unknown, reported once`, () =>
      Effect.gen(function*() {
        const server = yield* binanceServer(serverOptions)
        let calls = 0
        const instance = instanceOver(server, {
          [path.openOrders]: () => {
            calls += 1
            return Promise.reject(new TypeError("Cannot read properties of undefined (reading 'symbol')"))
          }
        })
        const venue = yield* fromExchange(ccxt, instance, { useUnifiedApi: path.useUnifiedApi })
        const e = yield* Effect.flip(venue.openOrders("test", "HBAR/USDT"))
        assert.strictEqual(reasonOf(e), "ExchangeError/Unknown")
        assert.include(e.message, "Cannot read properties")
        assert.strictEqual(calls, 1)
        assert.strictEqual(venue.id, "binanceus")
      }))

    it.live(`fromExchange (${path.name}): a call that throws at once, or an answer that throws while it is read, fails the request instead of hanging it`, () =>
      Effect.gen(function*() {
        const server = yield* binanceServer(serverOptions)
        // An answer whose fields throw when read: decoding meets the throw.
        const hostile = new Proxy({}, {
          get: (_target, key) => {
            // Not a thenable, so the promise resolves to it; any field read throws.
            if (key === "then") return undefined
            throw new RangeError("hostile getter")
          }
        })
        const instance = instanceOver(server, {
          [path.openOrders]: () => {
            throw new TypeError("thrown before any promise")
          },
          [path.balances]: () => Promise.resolve(hostile as never)
        })
        const venue = yield* fromExchange(ccxt, instance, { useUnifiedApi: path.useUnifiedApi })
        const thrown = yield* Effect.flip(venue.openOrders("test", "HBAR/USDT")).pipe(Effect.timeout("2 seconds"))
        assert.strictEqual(reasonOf(thrown), "ExchangeError/Unknown")
        assert.include(thrown.message, "thrown before any promise")
        const unreadable = yield* Effect.flip(venue.balances("test")).pipe(Effect.timeout("2 seconds"))
        assert.strictEqual(reasonOf(unreadable), "ExchangeError/UnreadableAnswer")
        // The schema meets the throwing getter as a missing field; a direct read meets the throw: unreadable either way.
        assert.match(unreadable.message, /unexpected (balance|answer) from binanceus/)
      }))
  }

  it("ccxt is imported nowhere in src but lazily, in one place", () => {
    const files = (dir: string): Array<string> =>
      readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
        d.isDirectory() ? files(`${dir}/${d.name}`) : d.name.endsWith(".ts") ? [`${dir}/${d.name}`] : []
      )
    const src = new URL("../src", import.meta.url).pathname
    const offenders: Array<string> = []
    const dynamic: Array<string> = []
    for (const file of files(src)) {
      // Code only: comments may mention the import.
      const text = readFileSync(file, "utf8").replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "")
      if (/^\s*import\s+(?!type\b)[^;]*from\s+["']ccxt["']/m.test(text)) offenders.push(file)
      if (/import\(\s*["']ccxt["']\s*\)/.test(text)) dynamic.push(file.slice(src.length))
    }
    assert.deepStrictEqual(offenders, [])
    assert.deepStrictEqual(dynamic, ["/layers/live/instance.ts"])
  })

  it("the public declarations (orderops and orderops/venue) never reach ccxt's types", () => {
    const root = new URL("..", import.meta.url).pathname
    const out = mkdtempSync(join(tmpdir(), "orderops-dts-"))
    try {
      const tsc = spawnSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json", "--outDir", out, "--emitDeclarationOnly"], {
        cwd: root,
        encoding: "utf8"
      })
      assert.strictEqual(tsc.status, 0, tsc.stdout + tsc.stderr)
      const reached = new Set<string>()
      const importingCcxt: Array<string> = []
      const visit = (file: string) => {
        if (reached.has(file) || !existsSync(file)) return
        reached.add(file)
        const text = readFileSync(file, "utf8")
        if (/from "ccxt"|import\("ccxt"\)/.test(text)) importingCcxt.push(file.slice(out.length))
        for (const m of text.matchAll(/(?:from|import\()\s*"(\.[^"]+)"/g)) visit(resolve(dirname(file), m[1]!).replace(/\.(ts|js)$/, ".d.ts"))
      }
      visit(join(out, "src/index.d.ts"))
      visit(join(out, "src/venue.d.ts"))
      assert.isAbove(reached.size, 10)
      assert.deepStrictEqual(importingCcxt, [])
    } finally {
      rmSync(out, { recursive: true, force: true })
    }
    const exports = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { exports: Record<string, unknown> }).exports
    assert.deepStrictEqual(Object.keys(exports["./venue"] as object), Object.keys(exports["."] as object))
  })

  it("building the dry-run layer through ExchangeLayerFromEnv never loads ccxt", () => {
    const script = `
      import { registerHooks } from "node:module"
      const seen = []
      registerHooks({ resolve: (specifier, context, next) => {
        const resolved = next(specifier, context)
        seen.push(resolved.url)
        return resolved
      } })
      const { Effect } = await import("effect")
      const { ExchangeLayerFromEnv } = await import("./src/layers/live/Live.ts")
      const { Exchange } = await import("./src/services/Exchange.ts")
      const venue = await Effect.runPromise(Effect.provide(Exchange.use((ex) => Effect.succeed(ex.venue)), ExchangeLayerFromEnv()))
      console.log(JSON.stringify({ venue, ccxt: seen.some((url) => url.includes("/node_modules/ccxt/")) }))
    `
    const cwd = new URL("..", import.meta.url).pathname
    const env = { ...process.env, ORDEROPS_DRY_RUN: "", ORDEROPS_DEBUG: "" }
    const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], { cwd, env, encoding: "utf8" })
    assert.strictEqual(child.status, 0, child.stderr)
    assert.deepStrictEqual(JSON.parse(child.stdout.trim().split("\n").at(-1)!), { venue: "dry-run", ccxt: false })
  })
})

describe("live: choosing dry run or live from ORDEROPS_DRY_RUN", () => {
  it("only the exact text false opts into live trading", () => {
    assert.isTrue(isLiveOptIn("false"))
    for (const v of [undefined, "", "true", "1", "yes", "off", "fasle", "0", "no", "FALSE", " false", "false ", " No "]) {
      assert.isFalse(isLiveOptIn(v), String(v))
    }
  })

  const venueFrom = (env: Record<string, string>) =>
    Exchange.use((ex) => Effect.succeed(ex.venue)).pipe(
      Effect.provide(ExchangeLayerFromEnv()),
      // The journal in memory: the default file would land in the work tree.
      Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env: { ORDEROPS_JOURNAL: ":memory:", ...env } }))),
      Effect.provide(captureLogs().layer)
    )

  it.live("the default is the dry run; ORDEROPS_DRY_RUN=false builds the live layer (keys required)", () =>
    Effect.gen(function*() {
      assert.strictEqual(yield* venueFrom({}), "dry-run")
      assert.strictEqual(yield* venueFrom({ ORDEROPS_DRY_RUN: "true" }), "dry-run")
      const e = yield* Effect.flip(venueFrom({ ORDEROPS_DRY_RUN: "false" }))
      assert.include(e.message, "ORDEROPS_API_KEY and ORDEROPS_API_SECRET")
      const server = yield* binanceServer(serverOptions)
      const venue = yield* venueFrom({
        ORDEROPS_DRY_RUN: "false",
        ORDEROPS_API_KEY: API_KEY,
        ORDEROPS_API_SECRET: SECRET,
        ORDEROPS_BASE_URL: server.url
      })
      assert.strictEqual(venue, "binanceus")
    }))
})
