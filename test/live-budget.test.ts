/**
 * The live venue's request budget against the loopback Binance.US server, which
 * enforces the limits as Binance does (429 past them, a 418 ban after repeated
 * violations):
 * - a burst of creates far beyond the orders window, through a SQLite journal at
 *   either durability, draws no 429 and places each order exactly once;
 * - a `Retry-After` pause (429 or 418) runs from when its answer arrived, and no
 *   request reaches the exchange inside it (TestClock);
 * - the orders another process placed on the account, as the exchange's
 *   `X-MBX-ORDER-COUNT-1D` reports them, hold back the next create (TestClock);
 * - a 429 `-1015` without `Retry-After` or order counts (as Binance.US documents it)
 *   holds creates for the orders window (TestClock);
 * - each request is charged what Binance.US charges for it.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Logger } from "effect"
import { TestClock } from "effect/testing"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import ccxt from "ccxt"
import { createLimitBuy, Decimal, getQuoteBalance, Journal } from "../src/index.ts"
import { BINANCEUS_WEIGHT, type RequestKind } from "../src/layers/live/exchanges/binance/Limits.ts"
import { pointAt } from "../src/layers/live/instance.ts"
import { type BinanceServer, binanceServer, type RateLimitRule } from "./support/BinanceServer.ts"
import { signed } from "./support/binance/rest.ts"
import { fastLiveLayer, withLiveServer } from "./support/live-layer.ts"

const credentials = { apiKey: "budget-key-0123456789abcdef", secret: "budget-secret-FEDCBA9876543210" }

/** A scratch folder for one test's journal, removed with the test's scope. */
const scratch = Effect.acquireRelease(
  Effect.sync(() => mkdtempSync(join(tmpdir(), "orderops-budget-"))),
  (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
)

/**
 * A server with `usdt` to spend, HBAR/USDT at 0.1, Binance.US's weight per minute, and
 * the given short orders window and orders per day.
 */
const limitedServer = (usdt: string, orders: Omit<RateLimitRule, "rateLimitType">, ordersPerDay: number) =>
  binanceServer({
    ...credentials,
    balances: { USDT: usdt },
    prices: { HBARUSDT: "0.1" },
    rateLimits: [
      { rateLimitType: "REQUEST_WEIGHT", interval: "MINUTE", intervalNum: 1, limit: 1200 },
      { rateLimitType: "ORDERS", ...orders },
      { rateLimitType: "ORDERS", interval: "DAY", intervalNum: 1, limit: ordersPerDay }
    ]
  })

describe("live: the request budget against Binance's limits", () => {
  for (const synchronous of ["normal", "full"] as const) {
    it.live(`1,000 creates fired at once (journal synchronous: ${synchronous}): no 429, each order placed once`, () =>
      Effect.gen(function*() {
        // 200 orders per second: the burst needs five windows, and every one of them is full.
        const server = yield* limitedServer("1000000", { interval: "SECOND", intervalNum: 1, limit: 200 }, 200_000)
        const dir = yield* scratch
        const journal = Journal.layerSqlite(join(dir, "journal.sqlite"), { synchronous })
        const live = fastLiveLayer(server, credentials, { journal, timeoutMs: 10_000 })
        // Limit buys above the market fill at once: nothing stays open, no MAX_NUM_ORDERS.
        const ids = yield* Effect.all(Array.from({ length: 1000 }, () => createLimitBuy(0.11, 100)), { concurrency: "unbounded" }).pipe(
          Effect.provide(live)
        )
        const counters = server.counters()
        assert.strictEqual(counters.status429, 0, "429s answered")
        assert.strictEqual(counters.status418, 0, "418s answered")
        const placed = server.orders().map((o) => String(o.orderId))
        assert.strictEqual(placed.length, 1000)
        assert.deepStrictEqual([...ids].sort(), [...placed].sort(), "each order placed exactly once")
        assert.strictEqual(new Set(server.orders().map((o) => o.clientOrderId)).size, 1000)
      }).pipe(Effect.scoped), 120_000)
  }
})

/** Debug lines, captured as logfmt: each request's line is written in the step it leaves in. */
const captureLogs = () => {
  const lines: Array<string> = []
  const layer = Logger.layer([Logger.map(Logger.formatLogFmt, (line) => void lines.push(line))])
  return { lines, layer }
}

/** Lets every fiber woken by a TestClock adjustment run as far as it can. */
const settle = Effect.gen(function*() {
  for (let i = 0; i < 20; i++) yield* Effect.yieldNow
})

/** `n` limit buys on the account, placed by another client: plain signed requests. */
const anotherProcessPlaces = (server: BinanceServer, n: number) =>
  Effect.promise(async () => {
    const target = { url: server.url, apiKey: credentials.apiKey }
    const order = { symbol: "HBARUSDT", side: "BUY", type: "LIMIT", timeInForce: "GTC", quantity: "100", price: "0.05" }
    for (let i = 0; i < n; i++) {
      const placed = await signed(target, credentials.secret, "POST", "/api/v3/order", order)
      assert.strictEqual(placed.status, 200)
    }
  })

/** How many creates this process sent, by their debug lines. */
const postsSent = (lines: ReadonlyArray<string>) => lines.filter((l) => l.includes("binanceus: POST order:") && !l.includes(" failed: ")).length

const accountReads = (server: BinanceServer) => server.requestLog().filter((r) => r.path === "/api/v3/account").length

describe("live: the budget on the TestClock", () => {
  for (const status of [429, 418] as const) {
    it.effect(`a ${status}'s Retry-After runs from when its answer arrived: no request reaches the exchange inside it`, () => {
      const logs = captureLogs()
      return withLiveServer(credentials, (server) =>
        Effect.gen(function*() {
          // The refusal takes a while to come back; the clock moves 5 s meanwhile.
          server.rateLimit(status, 10, { method: "GET", path: "/api/v3/account", answerAfterMs: 200 })
          const first = yield* Effect.forkChild(Effect.flip(getQuoteBalance()))
          yield* settle
          assert.isTrue(logs.lines.some((l) => l.includes("binanceus: GET account")), "the first read has left")
          yield* TestClock.adjust("5 seconds")
          const refused = yield* Fiber.join(first)
          assert.strictEqual(refused._tag === "ExchangeError" ? refused.retryAfterMs : undefined, 10_000)
          assert.isTrue(logs.lines.some((l) => l.includes("level=WARN") && l.includes(`${status} on GET /api/v3/account; every request held 10000 ms`)))

          // The pause ends at 15 s, not at 10 s: nothing leaves before, not even the engine's polls.
          const arrived = server.requestLog().length
          const lines = logs.lines.length
          const second = yield* Effect.forkChild(getQuoteBalance())
          yield* TestClock.adjust("9999 millis")
          yield* settle
          const sent = logs.lines.slice(lines).filter((l) => l.includes("level=DEBUG") && l.includes("binanceus: GET") && !l.includes(" failed: "))
          assert.deepStrictEqual(sent, [], "a request left inside the pause")
          assert.strictEqual(server.requestLog().length, arrived)
          yield* TestClock.adjust("1 millis")
          assert.strictEqual(Decimal.format(yield* Fiber.join(second)), "1000")
          assert.strictEqual(accountReads(server), 2)
          assert.strictEqual(server.counters().duringBan, 0)
        }), { debug: true, retry: { times: 0 } }).pipe(Effect.provide(logs.layer))
    })
  }

  it.effect("orders placed by another process on the account (X-MBX-ORDER-COUNT-1D) hold back the next create", () => {
    const logs = captureLogs()
    return Effect.gen(function*() {
      const server = yield* limitedServer("1000", { interval: "SECOND", intervalNum: 10, limit: 100 }, 3)
      yield* anotherProcessPlaces(server, 2)
      const posts = () => postsSent(logs.lines)
      yield* Effect.gen(function*() {
        yield* createLimitBuy(0.09, 100) // the day's third order: the answer says 3 of 3
        const next = yield* Effect.forkChild(createLimitBuy(0.08, 100))
        yield* settle
        yield* TestClock.adjust("10 minutes")
        yield* settle
        assert.strictEqual(posts(), 1, "a create left with the day's orders used up")
        assert.strictEqual(server.orders().length, 3)
        assert.strictEqual(server.counters().status429, 0)
        yield* Fiber.interrupt(next)
      }).pipe(Effect.provide(fastLiveLayer(server, credentials, { debug: true, journal: Journal.layerMemory })))
    }).pipe(Effect.scoped, Effect.provide(logs.layer))
  })
})

describe("live: a refusal without Retry-After", () => {
  it.effect("a 429 -1015 without Retry-After or order counts holds the next create for the orders window", () => {
    const logs = captureLogs()
    return Effect.gen(function*() {
      const server = yield* binanceServer({
        ...credentials,
        balances: { USDT: "1000" },
        prices: { HBARUSDT: "0.1" },
        orderLimitPer10s: 3,
        bareOrderLimitRefusal: true
      })
      const posts = () => postsSent(logs.lines)
      yield* Effect.gen(function*() {
        // Another process on the account uses the 10 s window, unseen by this one.
        yield* anotherProcessPlaces(server, 3)
        const refused = yield* Effect.flip(createLimitBuy(0.09, 100))
        assert.strictEqual(refused._tag === "ExchangeError" ? refused.reason : refused._tag, "RateLimited")
        const next = yield* Effect.forkChild(createLimitBuy(0.08, 100))
        yield* settle
        yield* TestClock.adjust("9999 millis")
        yield* settle
        assert.strictEqual(posts(), 1, "a create left inside the full orders window")
        assert.strictEqual(server.counters().status429, 1)
        yield* Fiber.interrupt(next)
      }).pipe(Effect.provide(fastLiveLayer(server, credentials, { debug: true, journal: Journal.layerMemory, retry: { times: 0 } })))
    }).pipe(Effect.scoped, Effect.provide(logs.layer))
  })
})

describe("live: request weights", () => {
  it.live("each kind of request is charged Binance.US's weight for it, as the exchange counts it", () =>
    Effect.gen(function*() {
      const server = yield* limitedServer("1000", { interval: "SECOND", intervalNum: 10, limit: 100 }, 200_000)
      const exchange = new ccxt.binanceus({ ...credentials, enableRateLimit: false, options: { maxRetriesOnFailure: 0 } })
      pointAt(exchange, server.url)
      yield* Effect.addFinalizer(() => Effect.promise(() => exchange.close()))
      const symbol = { symbol: "HBARUSDT" }
      const limit = { ...symbol, side: "BUY", type: "LIMIT", timeInForce: "GTC", quantity: "100" }
      // What orderops sends for each kind (the adapters' calls), in an order that leaves something to read.
      const calls: ReadonlyArray<readonly [RequestKind, () => Promise<unknown>]> = [
        ["markets", () => exchange.loadMarkets()],
        ["time", () => exchange.publicGetTime()],
        ["ticker", () => exchange.fetchTicker("HBAR/USDT")],
        ["submit", () => exchange.privatePostOrder({ ...limit, price: "0.05", newClientOrderId: "w-1" })],
        ["fetchOrder", () => exchange.privateGetOrder({ ...symbol, origClientOrderId: "w-1" })],
        ["openOrders", () => exchange.privateGetOpenOrders(symbol)],
        ["orders", () => exchange.privateGetAllOrders(symbol)],
        ["trades", () => exchange.privateGetMyTrades(symbol)],
        ["balances", () => exchange.privateGetAccount()],
        ["cancel", () => exchange.privateDeleteOrder({ ...symbol, origClientOrderId: "w-1" })],
        ["submitList", () =>
          exchange.privatePostOrderOco({
            ...symbol, side: "SELL", quantity: "100", price: "0.2", stopPrice: "0.05", stopLimitPrice: "0.04",
            stopLimitTimeInForce: "GTC", listClientOrderId: "l-1"
          })],
        ["fetchList", () => exchange.privateGetOrderList({ origClientOrderId: "l-1" })],
        ["cancelList", () => exchange.privateDeleteOrderList({ ...symbol, listClientOrderId: "l-1" })],
        ["cancelAll", () => exchange.privateDeleteOpenOrders(symbol).catch(() => undefined)],
        ["listenKey", () => exchange.publicPostUserDataStream()]
      ]
      server.setBalance("HBAR", "100")
      let before = 0
      const charged: Array<readonly [RequestKind, number]> = []
      for (const [kind, call] of calls) {
        yield* Effect.promise(call)
        const used = Number(exchange.last_response_headers?.["X-Mbx-Used-Weight-1m"])
        charged.push([kind, used - before])
        before = used
      }
      assert.deepStrictEqual(charged, calls.map(([kind]) => [kind, BINANCEUS_WEIGHT[kind]] as const))
    }).pipe(Effect.scoped))
})

