/**
 * The live venue's event source on Binance.US (`venue.updates`, `venue.knownBalances`)
 * against the loopback test server's real user-data-stream WebSocket, below the
 * engine: the updates a stream run gives, balances kept from it, where it connects,
 * and the listenKey kept out of the logs.
 */
import { assert, describe, it } from "@effect/vitest"
import { BigDecimal, ConfigProvider, Deferred, Effect, Layer, Logger, Option, Queue, References, Schedule, Stream } from "effect"
import { TestClock } from "effect/testing"
import { makeCcxtVenue } from "../src/layers/live/CcxtVenue.ts"
import { type CcxtVenueOptions, liveOptionsFromConfig } from "../src/layers/live/Live.ts"
import type { VenueService, VenueUpdate } from "../src/services/Venue.ts"
import { type BinanceServer, binanceServer } from "./support/BinanceServer.ts"
import { signed } from "./support/binance/rest.ts"

const API_KEY = "events-key-0123456789abcdef"
const SECRET = "events-secret-FEDCBA9876543210"

const SYMBOL = "HBAR/USDT"

interface VenueHarness {
  readonly server: BinanceServer
  readonly venue: VenueService
  /** Every update the venue's stream gave, in order, as it gives them. */
  readonly updates: Queue.Queue<VenueUpdate>
}

/** A server, the live venue on it (stream on), and a consumer of `updates(HBAR/USDT)` for the test's scope. */
const venueHarness = (options: Partial<CcxtVenueOptions> = {}) =>
  Effect.gen(function*() {
    const server = yield* binanceServer({
      apiKey: API_KEY, secret: SECRET, balances: { USDT: "1000" }, prices: { HBARUSDT: "0.1" }, feeRate: "0.001"
    })
    const venue = yield* makeCcxtVenue({ apiKey: API_KEY, secret: SECRET, baseUrl: server.url, timeoutMs: 2000, ...options })
    const updates = yield* Queue.unbounded<VenueUpdate>()
    const source = Option.getOrThrow(venue.updates)
    yield* Effect.forkScoped(Stream.runForEach(source(SYMBOL), (u) => Queue.offer(updates, u)))
    return { server, venue, updates } satisfies VenueHarness
  })

/** Takes updates until one satisfies `predicate`; gives all it took, that one last. */
const until = (h: VenueHarness, predicate: (u: VenueUpdate) => boolean) =>
  Effect.gen(function*() {
    const taken: Array<VenueUpdate> = []
    while (true) {
      const u = yield* Queue.take(h.updates)
      taken.push(u)
      if (predicate(u)) return taken
    }
  }).pipe(Effect.timeout("5 seconds"), Effect.orDie)

const isState = (state: string) => (u: VenueUpdate) => u._tag === "State" && u.state === state
const orderUpdates = (us: ReadonlyArray<VenueUpdate>) => us.flatMap((u) => (u._tag === "Order" ? [u] : []))
const place = (server: BinanceServer, params: Record<string, string>) =>
  Effect.promise(() => signed(server, SECRET, "POST", "/api/v3/order", { symbol: "HBARUSDT", ...params }))
const accountReads = (server: BinanceServer) => server.requestLog().filter((r) => r.path === "/api/v3/account").length
const dec = (s: string) => BigDecimal.fromStringUnsafe(s)
/** A value as its JSON says it (amounts as their decimal text), without BigDecimal's cached internals. */
const asJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value))
const texts = (ds: ReadonlyArray<BigDecimal.BigDecimal>) => ds.map((d) => BigDecimal.format(d))

describe("live venue: the user data stream as updates", () => {
  it.live("reconnecting, then connected; an order's acceptance, its partial fills as separate trades, and its fill", () =>
    Effect.gen(function*() {
      const h = yield* venueHarness()
      const start = yield* until(h, isState("connected"))
      assert.deepStrictEqual(start.map((u) => u._tag === "State" && u.state), ["reconnecting", "connected"])
      yield* place(h.server, { side: "BUY", type: "LIMIT", timeInForce: "GTC", price: "0.05", quantity: "100", newClientOrderId: "grid-1" })
      h.server.fillOrder("HBARUSDT", { clientOrderId: "grid-1" }, "10")
      h.server.fillOrder("HBARUSDT", { clientOrderId: "grid-1" }, "20")
      h.server.fillOrder("HBARUSDT", { clientOrderId: "grid-1" })
      const seen = orderUpdates(yield* until(h, (u) => u._tag === "Order" && u.order.status === "closed"))
      assert.deepStrictEqual(seen.map((u) => u.order.status), ["open", "open", "open", "closed"])
      assert.deepStrictEqual(texts(seen.map((u) => u.order.filled)), ["0", "10", "30", "100"])
      const accepted = seen[0]!.order
      assert.deepStrictEqual(
        [accepted.id, accepted.clientOrderId, accepted.symbol, accepted.side, accepted.type, accepted.triggered],
        [String(h.server.orders()[0]!.orderId), "grid-1", SYMBOL, "buy", "limit", undefined]
      )
      assert.isTrue(BigDecimal.equals(Option.getOrThrow(accepted.price), dec("0.05")) && Option.isNone(seen[0]!.trade))
      const trades = seen.flatMap((u) => Option.toArray(u.trade))
      const myTrades = (yield* Effect.promise(() => signed(h.server, SECRET, "GET", "/api/v3/myTrades", { symbol: "HBARUSDT" }))).body as Array<{ id: number }>
      assert.deepStrictEqual(trades.map((t) => t.id), myTrades.map((t) => String(t.id)))
      assert.deepStrictEqual(texts(trades.map((t) => t.quantity)), ["10", "20", "70"])
      assert.deepStrictEqual(texts(trades.map((t) => t.fee)), ["0.01", "0.02", "0.07"])
      assert.isTrue(trades.every((t) => t.feeAsset === "HBAR" && t.maker && t.side === "buy" && t.clientOrderId === "grid-1"))
      const filled = seen[3]!.order
      assert.deepStrictEqual(texts([filled.cost, Option.getOrThrow(filled.averagePrice)]), ["5", "0.05"])
      // the stream's view of the order is the REST view, field by field
      const rest = yield* h.venue.fetchOrder("test", SYMBOL, filled.id)
      assert.deepStrictEqual(asJson(rest), asJson(filled))
    }).pipe(Effect.scoped))

  it.live("a stop's reports say when its trigger fired", () =>
    Effect.gen(function*() {
      const h = yield* venueHarness()
      yield* until(h, isState("connected"))
      h.server.setBalance("HBAR", "100")
      h.server.setDepth("HBARUSDT", "0")
      yield* place(h.server, {
        side: "SELL", type: "STOP_LOSS_LIMIT", timeInForce: "GTC", price: "0.089", stopPrice: "0.09", quantity: "100", newClientOrderId: "stop-1"
      })
      const [created] = orderUpdates(yield* until(h, (u) => u._tag === "Order"))
      assert.deepStrictEqual([created!.order.type, created!.order.triggered], ["stop-loss-limit", false])
      h.server.setPrice("HBARUSDT", "0.09")
      const [fired] = orderUpdates(yield* until(h, (u) => u._tag === "Order"))
      assert.deepStrictEqual([fired!.order.status, fired!.order.triggered], ["open", true])
    }).pipe(Effect.scoped))

  it.live("an OCO's legs arrive with their list's id", () =>
    Effect.gen(function*() {
      const h = yield* venueHarness()
      yield* until(h, isState("connected"))
      h.server.setBalance("HBAR", "100")
      const answer = yield* Effect.promise(() =>
        signed(h.server, SECRET, "POST", "/api/v3/order/oco", {
          symbol: "HBARUSDT", side: "SELL", quantity: "100", price: "0.12", stopPrice: "0.09", stopLimitPrice: "0.089",
          stopLimitTimeInForce: "GTC", listClientOrderId: "list-1", limitClientOrderId: "leg-limit", stopClientOrderId: "leg-stop"
        }))
      const listId = String((answer.body as { orderListId: number }).orderListId)
      const seen = new Set<string>()
      const legs = orderUpdates(yield* until(h, (u) => u._tag === "Order" && seen.add(u.order.clientOrderId).size === 2))
      assert.deepStrictEqual(
        legs.map((u) => [u.order.clientOrderId, u.order.type, Option.getOrNull(u.order.listId)]).sort(),
        [["leg-limit", "limit-maker", listId], ["leg-stop", "stop-loss-limit", listId]]
      )
    }).pipe(Effect.scoped))

  it.live("another market's reports are not this symbol's updates", () =>
    Effect.gen(function*() {
      const h = yield* venueHarness()
      yield* until(h, isState("connected"))
      h.server.setPrice("BTCUSDT", "50000")
      yield* place(h.server, { symbol: "BTCUSDT", side: "BUY", type: "LIMIT", timeInForce: "GTC", price: "40000", quantity: "0.001", newClientOrderId: "btc-1" })
      yield* place(h.server, { side: "BUY", type: "LIMIT", timeInForce: "GTC", price: "0.05", quantity: "100", newClientOrderId: "hbar-1" })
      const [first] = orderUpdates(yield* until(h, (u) => u._tag === "Order"))
      assert.strictEqual(first!.order.clientOrderId, "hbar-1")
    }).pipe(Effect.scoped))

  it.live("a dropped socket: reconnecting, then connected again; what happened meanwhile is for the reconciliation", () =>
    Effect.gen(function*() {
      const h = yield* venueHarness()
      yield* until(h, isState("connected"))
      h.server.userStream.dropConnections()
      yield* until(h, isState("reconnecting"))
      yield* place(h.server, { side: "BUY", type: "LIMIT", timeInForce: "GTC", price: "0.05", quantity: "100", newClientOrderId: "while-down" })
      const back = yield* until(h, isState("connected"))
      assert.deepStrictEqual(orderUpdates(back), [], "Binance never replays: the engine's REST pass on `connected` finds it")
      yield* place(h.server, { side: "BUY", type: "LIMIT", timeInForce: "GTC", price: "0.04", quantity: "100", newClientOrderId: "after" })
      const [next] = orderUpdates(yield* until(h, (u) => u._tag === "Order"))
      assert.strictEqual(next!.order.clientOrderId, "after")
    }).pipe(Effect.scoped))

  it.live("a consumer that falls behind gets a Gap", () =>
    Effect.gen(function*() {
      const server = yield* binanceServer({ apiKey: API_KEY, secret: SECRET, balances: { USDT: "1000" }, prices: { HBARUSDT: "0.1" } })
      const venue = yield* makeCcxtVenue({ apiKey: API_KEY, secret: SECRET, baseUrl: server.url })
      // a consumer that takes one update and then waits: the stream's buffer (4096) fills behind it
      const pulled = yield* Queue.unbounded<VenueUpdate>()
      const gate = yield* Deferred.make<void>()
      yield* Effect.forkScoped(Stream.runForEach(Option.getOrThrow(venue.updates)(SYMBOL), (u) =>
        Effect.andThen(Queue.offer(pulled, u), u._tag === "State" && u.state === "connected" ? Deferred.await(gate) : Effect.void)))
      let u = yield* Queue.take(pulled)
      while (!isState("connected")(u)) u = yield* Queue.take(pulled) // the consumer now waits at the gate
      for (let i = 0; i < 5000; i++) server.deposit("USDT", "1") // two events each, past the buffer (4096)
      yield* Effect.sleep("200 millis")
      yield* Deferred.succeed(gate, undefined)
      const rest: Array<VenueUpdate> = []
      while (true) {
        const u = yield* Queue.take(pulled).pipe(Effect.timeout("2 seconds"), Effect.orDie)
        rest.push(u)
        if (u._tag === "Gap") break
      }
      assert.strictEqual(rest.at(-1)?._tag, "Gap")
    }).pipe(Effect.scoped))
})

describe("live venue: balances from the stream", () => {
  it.live("while connected, balance reads need no request and follow the stream; not connected, they go to REST", () =>
    Effect.gen(function*() {
      const h = yield* venueHarness()
      yield* until(h, isState("connected"))
      // one account read seeds the connection
      yield* Effect.repeat(h.venue.knownBalances, { until: Option.isSome, schedule: Schedule.spaced("10 millis"), times: 200 })
      const seeded = accountReads(h.server)
      assert.strictEqual(seeded, 1)
      yield* place(h.server, { side: "BUY", type: "LIMIT", timeInForce: "GTC", price: "0.05", quantity: "100", newClientOrderId: "lock" })
      h.server.deposit("HBAR", "12.5")
      yield* until(h, (u) => u._tag === "Order")
      const expected = { USDT: ["995", "5"], HBAR: ["12.5", "0"] }
      const read = Effect.map(h.venue.balances("test"), (m) =>
        Object.fromEntries([...m].filter(([a]) => a in expected).map(([a, b]) => [a, texts([b.free, b.used])])))
      const fromStream = yield* Effect.repeat(read, {
        until: (b) => JSON.stringify(b) === JSON.stringify(expected), schedule: Schedule.spaced("10 millis"), times: 200
      })
      assert.deepStrictEqual(fromStream, expected)
      assert.strictEqual(accountReads(h.server), seeded, "no request while the stream is up")

      h.server.userStream.dropConnections()
      yield* until(h, isState("reconnecting"))
      assert.isTrue(Option.isNone(yield* h.venue.knownBalances))
      assert.deepStrictEqual(yield* read, expected)
      assert.strictEqual(accountReads(h.server), seeded + 1, "one REST read while it is down")
    }).pipe(Effect.scoped))

  it.live("with the stream off, there are no updates and balance reads go to REST", () =>
    Effect.gen(function*() {
      const server = yield* binanceServer({ apiKey: API_KEY, secret: SECRET, balances: { USDT: "1000" } })
      const venue = yield* makeCcxtVenue({ apiKey: API_KEY, secret: SECRET, baseUrl: server.url, userStream: false })
      assert.isTrue(Option.isNone(venue.updates))
      yield* venue.balances("test")
      assert.strictEqual(accountReads(server), 1)
    }).pipe(Effect.scoped))
})

describe("live venue: the listenKey", () => {
  it.live("never reaches a log, through connecting, a drop, reconnecting and stopping", () => {
    const logs: Array<string> = []
    return Effect.gen(function*() {
      const keys = new Set<string>()
      const server = yield* Effect.scoped(Effect.gen(function*() {
        const h = yield* venueHarness()
        yield* until(h, isState("connected"))
        keys.add(h.server.userStream.activeListenKey()!)
        h.server.userStream.expireListenKey()
        yield* until(h, isState("connected"))
        keys.add(h.server.userStream.activeListenKey()!)
        return h.server
      }))
      for (const r of server.requestLog()) if (typeof r.params["listenKey"] === "string") keys.add(r.params["listenKey"])
      assert.strictEqual(keys.size, 2)
      assert.isFalse(server.requestLog().some((r) => r.method === "DELETE"), "the key is left to lapse, never deleted")
      assert.isTrue(logs.some((l) => l.includes("POST userDataStream")), "the debug request lines are there")
      for (const key of keys) assert.isFalse(logs.some((l) => l.includes(key)))
    }).pipe(Effect.provide(Layer.mergeAll(
      Logger.layer([Logger.map(Logger.formatLogFmt, (line) => void logs.push(line))]),
      Layer.succeed(References.MinimumLogLevel, "Debug")
    )))
  })
})

describe("live venue: where the stream connects", () => {
  it.live("ORDEROPS_STREAM_URL sets the stream's host alone: the listenKey still comes from the API host", () =>
    Effect.gen(function*() {
      const server = yield* binanceServer({ apiKey: API_KEY, secret: SECRET, balances: { USDT: "1000" } })
      const env = {
        ORDEROPS_API_KEY: API_KEY, ORDEROPS_API_SECRET: SECRET, ORDEROPS_BASE_URL: server.url, ORDEROPS_STREAM_URL: "ws://127.0.0.1:1"
      }
      const options = yield* liveOptionsFromConfig().pipe(Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.fromEnv({ env })))
      assert.strictEqual(options.streamUrl, "ws://127.0.0.1:1")
      const venue = yield* makeCcxtVenue(options)
      const updates = yield* Queue.unbounded<VenueUpdate>()
      yield* Effect.forkScoped(Stream.runForEach(Option.getOrThrow(venue.updates)(SYMBOL), (u) => Queue.offer(updates, u)))
      yield* Effect.repeat(Effect.sync(() => server.userStream.activeListenKey()), {
        until: (k) => k !== undefined, schedule: Schedule.spaced("10 millis"), times: 200
      })
      yield* Effect.sleep("300 millis")
      assert.strictEqual(server.userStream.connections(), 0, "the socket went to ORDEROPS_STREAM_URL, where nothing listens")
      assert.deepStrictEqual(yield* Queue.takeAll(updates), [{ _tag: "State", state: "reconnecting" }])
    }).pipe(Effect.scoped))

  it.live("ORDEROPS_USER_STREAM=false: no stream, the engine polls", () =>
    Effect.gen(function*() {
      const server = yield* binanceServer({ apiKey: API_KEY, secret: SECRET })
      const env = { ORDEROPS_API_KEY: API_KEY, ORDEROPS_API_SECRET: SECRET, ORDEROPS_BASE_URL: server.url }
      const read = (extra: Record<string, string>) =>
        liveOptionsFromConfig().pipe(Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.fromEnv({ env: { ...env, ...extra } })))
      assert.strictEqual((yield* read({})).userStream, true)
      const off = yield* read({ ORDEROPS_USER_STREAM: "false" })
      assert.strictEqual(off.userStream, false)
      assert.isTrue(Option.isNone((yield* makeCcxtVenue(off)).updates))
    }).pipe(Effect.scoped))

  it.live("binance.com, whose listenKey endpoints are retired: order updates come from ccxt's watchOrders on its WebSocket API", () =>
    Effect.gen(function*() {
      const server = yield* binanceServer({ apiKey: API_KEY, secret: SECRET, balances: { USDT: "1000" }, prices: { HBARUSDT: "0.1" } })
      const venue = yield* makeCcxtVenue({ exchange: "binance", apiKey: API_KEY, secret: SECRET, baseUrl: server.url, timeoutMs: 2000 })
      const updates = yield* Queue.unbounded<VenueUpdate>()
      yield* Effect.forkScoped(Stream.runForEach(Option.getOrThrow(venue.updates)(SYMBOL), (u) => Queue.offer(updates, u)))
      assert.deepStrictEqual(yield* Queue.take(updates), { _tag: "State", state: "connected" })
      assert.strictEqual(server.wsApi.subscriptions(), 1)
      assert.deepStrictEqual(server.requestLog().filter((r) => r.path === "/api/v3/userDataStream"), [])
      // Balances are not streamed on this path: reads go to REST.
      assert.isTrue(Option.isNone(yield* venue.knownBalances))
    }).pipe(Effect.scoped))
})

