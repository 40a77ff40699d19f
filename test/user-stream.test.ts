/**
 * The Binance user-stream client against the test server's real loopback
 * WebSocket: listenKeys through plain fetch, events decoded to exact decimals,
 * reconnects (drop, expired key, 24-hour rotation, failed keepalive) with
 * `onConnected` after each, at once after a connection that worked and with
 * backoff after failed attempts, keepalive on the TestClock, and a
 * consumer that falls behind without blocking the reader.
 */
import * as NodeSocket from "@effect/platform-node/NodeSocket"
import { assert, describe, it } from "@effect/vitest"
import { BigDecimal, Effect, Layer, Logger, Option, Queue, References, type Scope, Stream } from "effect"
import type * as Socket from "effect/socket/Socket"
import { TestClock } from "effect/testing"
import { type ListenKeys, make, type UserStream, type UserStreamOptions, type UserStreamState } from "../src/layers/live/exchanges/binance/UserStream.ts"
import type { UserStreamEvent } from "../src/layers/live/exchanges/binance/UserStreamEvents.ts"
import { type BinanceServer, binanceServer } from "./support/BinanceServer.ts"
import { signed, userDataStream } from "./support/binance/rest.ts"

const SECRET = "user-stream-client-secret"

class RestFailure extends Error {}

/** The listenKey port over plain fetch; a failure's message names the URL, as ccxt's do. */
const fetchListenKeys = (server: BinanceServer): ListenKeys<RestFailure> => {
  const call = (method: "POST" | "PUT", key?: string) =>
    Effect.flatMap(Effect.tryPromise({ try: () => userDataStream(server, method, key), catch: (e) => new RestFailure(String(e)) }), ({ status, body }) =>
      status === 200
        ? Effect.succeed(body)
        : Effect.fail(new RestFailure(`${method} ${server.url}/api/v3/userDataStream?listenKey=${key} ${status} ${JSON.stringify(body)}`)))
  return {
    create: Effect.map(call("POST"), (body) => (body as { listenKey: string }).listenKey),
    keepAlive: (key) => Effect.asVoid(call("PUT", key))
  }
}

interface Harness {
  readonly server: BinanceServer
  readonly stream: UserStream
  /** Every event the test consumer took, in order. */
  readonly events: Queue.Queue<UserStreamEvent>
  /** One element per completed `onConnected`. */
  readonly connections: Queue.Queue<void>
  /** One element per keepalive started. */
  readonly keepAliveStarts: Queue.Queue<void>
  /** One element per keepalive that reached the server: whether it succeeded. */
  readonly keepAlives: Queue.Queue<boolean>
  /** One element per listenKey request started. */
  readonly creates: Queue.Queue<void>
}

/** A server, a user stream on it, and (unless `consume` is false) a consumer collecting its events. */
const harness = (options: Partial<UserStreamOptions<RestFailure>> & { readonly consume?: boolean } = {}) =>
  Effect.gen(function*() {
    const server = yield* binanceServer({ secret: SECRET, balances: { USDT: "100" }, prices: { HBARUSDT: "0.06" }, feeRate: "0.001" })
    const events = yield* Queue.unbounded<UserStreamEvent>()
    const connections = yield* Queue.unbounded<void>()
    const keepAlives = yield* Queue.unbounded<boolean>()
    const keepAliveStarts = yield* Queue.unbounded<void>()
    const creates = yield* Queue.unbounded<void>()
    const port = fetchListenKeys(server)
    const listenKeys: ListenKeys<RestFailure> = {
      create: Effect.andThen(Queue.offer(creates, undefined), port.create),
      keepAlive: (key) =>
        Queue.offer(keepAliveStarts, undefined).pipe(
          Effect.andThen(port.keepAlive(key)),
          Effect.onExit((exit) => Queue.offer(keepAlives, exit._tag === "Success"))
        )
    }
    const stream = yield* make({
      exchange: "binanceus",
      streamBase: server.url.replace("http://", "ws://"),
      listenKeys,
      onConnected: Effect.asVoid(Queue.offer(connections, undefined)),
      ...options
    })
    if (options.consume !== false) {
      // connection markers are pinned by the slow-consumer test; the others read the exchange's events
      yield* Effect.forkScoped(Stream.runForEach(stream.events, (e) => (e._tag === "Connected" ? Effect.void : Queue.offer(events, e))))
    }
    return { server, stream, events, connections, keepAliveStarts, keepAlives, creates } satisfies Harness
  })

/** Captures every log line, debug included. */
const withLogs = (logs: Array<string>) =>
  Effect.provide(Layer.mergeAll(
    Logger.layer([Logger.map(Logger.formatLogFmt, (line) => void logs.push(line))]),
    Layer.succeed(References.MinimumLogLevel, "Debug")
  ))

const run = <A, E>(self: Effect.Effect<A, E, Scope.Scope | Socket.WebSocketConstructor>) =>
  self.pipe(Effect.provide(NodeSocket.layerWebSocketConstructor))

/** The first state (the current one included) that satisfies `predicate`. */
const stateWhere = (stream: UserStream, predicate: (s: UserStreamState) => boolean) =>
  stream.stateChanges.pipe(Stream.filter(predicate), Stream.runHead, Effect.map(Option.getOrThrow))

const stateIs = (stream: UserStream, tag: UserStreamState["_tag"]) => stateWhere(stream, (s) => s._tag === tag)

const take = <A>(queue: Queue.Queue<A>, n: number) => Effect.forEach(Array.from({ length: n }), () => Queue.take(queue))

const placeLimitBuy = (server: BinanceServer, price: string, quantity: string, clientId: string) =>
  Effect.promise(() =>
    signed(server, SECRET, "POST", "/api/v3/order", {
      symbol: "HBARUSDT", side: "BUY", type: "LIMIT", timeInForce: "GTC", price, quantity, newClientOrderId: clientId
    }))

const dec = (s: string) => BigDecimal.fromStringUnsafe(s)
const same = (a: BigDecimal.BigDecimal, b: string) => assert.isTrue(BigDecimal.equals(a, dec(b)), `${BigDecimal.format(a)} != ${b}`)
const reports = (events: ReadonlyArray<UserStreamEvent>) => events.filter((e) => e._tag === "ExecutionReport")

/** Lets a connection count as one that worked (up `healthyAfter`, 1 s of virtual time), so the next comes at once. */
const settle = TestClock.adjust("1 second")

describe("user stream: events", () => {
  it.effect("an order placed on the server arrives as exact decoded events", () =>
    run(Effect.gen(function*() {
      const h = yield* harness()
      yield* Queue.take(h.connections)
      yield* placeLimitBuy(h.server, "0.05", "100", "buy-1")
      const [accepted, locked] = yield* take(h.events, 2)
      assert.strictEqual(accepted?._tag, "ExecutionReport")
      if (accepted?._tag !== "ExecutionReport") return
      assert.strictEqual(accepted.orderId, String(h.server.orders()[0]?.orderId))
      assert.deepStrictEqual(
        [accepted.clientOrderId, accepted.side, accepted.type, accepted.execution, accepted.status, accepted.symbol],
        ["buy-1", "buy", "limit", "NEW", "NEW", "HBARUSDT"]
      )
      same(accepted.quantity, "100")
      same(Option.getOrThrow(accepted.price), "0.05")
      assert.isTrue(Option.isNone(accepted.trade) && Option.isNone(accepted.cancelClientOrderId) && Option.isNone(accepted.orderListId))
      assert.strictEqual(locked?._tag, "AccountPosition")
      if (locked?._tag === "AccountPosition") {
        assert.deepStrictEqual(locked.balances.map((b) => [b.asset, BigDecimal.format(b.free), BigDecimal.format(b.locked)]), [["USDT", "95", "5"]])
      }

      yield* Effect.promise(() => signed(h.server, SECRET, "DELETE", "/api/v3/order", { symbol: "HBARUSDT", origClientOrderId: "buy-1", newClientOrderId: "cx-1" }))
      const [canceled] = yield* take(h.events, 2)
      assert.isTrue(canceled?._tag === "ExecutionReport" && canceled.execution === "CANCELED" && canceled.clientOrderId === "buy-1")
      if (canceled?._tag === "ExecutionReport") assert.deepStrictEqual(canceled.cancelClientOrderId, Option.some("cx-1"))

      h.server.deposit("HBAR", "12.5")
      const [deposit] = yield* take(h.events, 2)
      assert.strictEqual(deposit?._tag, "BalanceUpdate")
      if (deposit?._tag === "BalanceUpdate") same(deposit.delta, "12.5")
    })))

  it.effect("partial fills arrive as separate executionReports, each with its own trade id", () =>
    run(Effect.gen(function*() {
      const h = yield* harness()
      yield* Queue.take(h.connections)
      yield* placeLimitBuy(h.server, "0.05", "100", "grid-1")
      h.server.fillOrder("HBARUSDT", { clientOrderId: "grid-1" }, "10")
      h.server.fillOrder("HBARUSDT", { clientOrderId: "grid-1" }, "20")
      h.server.fillOrder("HBARUSDT", { clientOrderId: "grid-1" })
      const trades = reports(yield* take(h.events, 8)).flatMap((r) => Option.toArray(r.trade).map((t) => ({ r, t })))
      const myTrades = (yield* Effect.promise(() => signed(h.server, SECRET, "GET", "/api/v3/myTrades", { symbol: "HBARUSDT" }))).body as Array<{ id: number }>
      assert.deepStrictEqual(trades.map(({ t }) => t.id), myTrades.map((t) => String(t.id)))
      assert.deepStrictEqual(trades.map(({ r }) => r.status), ["PARTIALLY_FILLED", "PARTIALLY_FILLED", "FILLED"])
      assert.deepStrictEqual(trades.map(({ t }) => BigDecimal.format(t.quantity)), ["10", "20", "70"])
      assert.deepStrictEqual(trades.map(({ r }) => BigDecimal.format(r.filled)), ["10", "30", "100"])
      assert.deepStrictEqual(trades.map(({ t }) => BigDecimal.format(t.fee)), ["0.01", "0.02", "0.07"])
      assert.isTrue(trades.every(({ t }) => t.maker && Option.getOrNull(t.feeAsset) === "HBAR" && BigDecimal.equals(t.price, dec("0.05"))))
      same(trades[2]!.r.cumulativeQuote, "5")
    })))
})

describe("user stream: reconnects", () => {
  it.effect("a socket dropped at once, before any frame, reconnects after a backoff; onConnected runs again; what happened meanwhile is not replayed", () =>
    run(Effect.gen(function*() {
      const h = yield* harness()
      yield* Queue.take(h.connections)
      yield* Queue.take(h.creates)
      h.server.userStream.dropConnections()
      const reconnecting = yield* stateIs(h.stream, "Reconnecting")
      assert.deepStrictEqual(reconnecting, { _tag: "Reconnecting", failures: 1, reason: "Dropped" })
      yield* placeLimitBuy(h.server, "0.05", "100", "while-down")
      yield* TestClock.adjust("799 millis")
      assert.strictEqual(yield* Queue.size(h.creates), 0, "no attempt before 0.8 s")
      yield* TestClock.adjust("401 millis")
      yield* Queue.take(h.creates)
      yield* Queue.take(h.connections)
      h.server.deposit("USDT", "1")
      const [first] = yield* take(h.events, 1)
      assert.strictEqual(first?._tag, "BalanceUpdate")
      assert.strictEqual(h.server.userStream.connections(), 1)
    })))

  it.effect("a connection that worked is followed at once by the next, however short: dropped after 1 s up, or after one frame", () =>
    run(Effect.gen(function*() {
      const h = yield* harness()
      yield* Queue.take(h.connections)
      yield* Queue.take(h.creates)
      yield* settle
      h.server.userStream.dropConnections()
      assert.deepStrictEqual(yield* stateIs(h.stream, "Reconnecting"), { _tag: "Reconnecting", failures: 0, reason: "Dropped" })
      yield* Queue.take(h.creates) // no virtual time passes: at once
      yield* Queue.take(h.connections)
      // Up for no time at all, but it delivered a frame: it worked too.
      h.server.deposit("USDT", "1")
      yield* take(h.events, 1)
      h.server.userStream.dropConnections()
      assert.deepStrictEqual(yield* stateIs(h.stream, "Reconnecting"), { _tag: "Reconnecting", failures: 0, reason: "Dropped" })
      yield* Queue.take(h.creates)
      yield* Queue.take(h.connections)
      assert.strictEqual((yield* h.stream.state)._tag, "Connected")
    })))

  it.effect("a flapping network (a drop every 3 to 6 s) costs no delay at all; only a failed connect backs off, from the base", () =>
    run(Effect.gen(function*() {
      const h = yield* harness({ backoff: { base: "1 second", cap: "30 seconds" } })
      yield* Queue.take(h.connections)
      yield* Queue.take(h.creates)
      for (const seconds of [3, 6, 4, 5, 3, 6, 3, 4]) {
        yield* TestClock.adjust(`${seconds} seconds`)
        h.server.userStream.dropConnections()
        yield* Queue.take(h.creates)
        yield* Queue.take(h.connections)
        assert.strictEqual(yield* Queue.size(h.creates), 0)
      }
      // Now the listenKey request fails once: that attempt is a failure, and the next waits 0.8 to 1.2 s.
      h.server.binanceError(500, -1001, "Internal error; unable to process your request. Please try again.", {
        method: "POST", path: "/api/v3/userDataStream"
      })
      yield* TestClock.adjust("3 seconds")
      h.server.userStream.dropConnections()
      yield* Queue.take(h.creates)
      const failed = yield* stateWhere(h.stream, (s) => s._tag === "Reconnecting" && s.failures === 1)
      assert.deepStrictEqual(failed, { _tag: "Reconnecting", failures: 1, reason: "ListenKeyUnavailable" })
      yield* TestClock.adjust("799 millis")
      assert.strictEqual(yield* Queue.size(h.creates), 0, "no attempt before 0.8 s")
      yield* TestClock.adjust("402 millis")
      yield* Queue.take(h.creates)
      yield* Queue.take(h.connections)
      assert.deepStrictEqual(yield* h.stream.state, { _tag: "Connected", since: yield* Effect.clockWith((c) => c.currentTimeMillis) })
    })))

  it.effect("listenKeyExpired: at once a new key and a new connection", () =>
    run(Effect.gen(function*() {
      const h = yield* harness()
      yield* Queue.take(h.connections)
      yield* settle
      const first = h.server.userStream.activeListenKey()
      h.server.userStream.expireListenKey()
      yield* Queue.take(h.connections)
      const second = h.server.userStream.activeListenKey()
      assert.isDefined(second)
      assert.notStrictEqual(second, first)
      yield* placeLimitBuy(h.server, "0.05", "100", "after-new-key")
      const [report] = yield* take(h.events, 1)
      assert.isTrue(report?._tag === "ExecutionReport" && report.clientOrderId === "after-new-key")
      assert.deepStrictEqual(
        h.server.userStream.sentEvents().filter((s) => s.event["e"] === "executionReport").map((s) => s.listenKey),
        [second]
      )
    })))

  it.effect("before the 24-hour limit the connection is replaced, on the same key, with no delay", () =>
    run(Effect.gen(function*() {
      const h = yield* harness()
      yield* Queue.take(h.connections)
      yield* Queue.take(h.creates)
      const key = h.server.userStream.activeListenKey()
      yield* TestClock.adjust("22 hours")
      assert.strictEqual(yield* Queue.size(h.creates), 0)
      yield* TestClock.adjust("1 hour")
      yield* Queue.take(h.creates)
      yield* Queue.take(h.connections)
      assert.strictEqual(h.server.userStream.activeListenKey(), key)
      assert.strictEqual(h.server.userStream.connections(), 1)
      assert.strictEqual((yield* h.stream.state)._tag, "Connected")
    })))
})

describe("user stream: life cycle", () => {
  it.effect("a refused connection counts as a failure and is retried", () =>
    run(Effect.gen(function*() {
      const h = yield* harness({ streamBase: "ws://127.0.0.1:1/nothing-listens-here" })
      const failed = yield* stateWhere(h.stream, (s) => s._tag === "Reconnecting" && s.failures === 1)
      assert.deepStrictEqual(failed, { _tag: "Reconnecting", failures: 1, reason: "ConnectFailed" })
      yield* Queue.take(h.creates)
      yield* TestClock.adjust("1200 millis")
      yield* Queue.take(h.creates)
    })))

  it.effect("a port that dies instead of failing does not stop the stream: logged, then retried", () => {
    const logs: Array<string> = []
    return run(Effect.gen(function*() {
      let calls = 0
      const server = yield* binanceServer({ secret: SECRET })
      const port = fetchListenKeys(server)
      const connections = yield* Queue.unbounded<void>()
      const stream = yield* make({
        exchange: "binanceus",
        streamBase: server.url.replace("http://", "ws://"),
        listenKeys: { ...port, create: Effect.suspend(() => (calls++ === 0 ? Effect.die(new Error("bug in the port")) : port.create)) },
        onConnected: Effect.asVoid(Queue.offer(connections, undefined))
      })
      assert.deepStrictEqual(yield* stateWhere(stream, (s) => s._tag === "Reconnecting" && s.failures === 1), {
        _tag: "Reconnecting", failures: 1, reason: "Defect"
      })
      yield* TestClock.adjust("1200 millis")
      yield* Queue.take(connections)
      assert.isTrue(logs.some((l) => l.includes("level=ERROR") && l.includes("bug in the port")))
    }).pipe(withLogs(logs)))
  })

  it.effect("closing its scope stops the stream and never deletes the listenKey: the account's other users keep it", () =>
    run(Effect.gen(function*() {
      const { key, server } = yield* Effect.scoped(Effect.gen(function*() {
        const h = yield* harness()
        yield* Queue.take(h.connections)
        return { key: h.server.userStream.activeListenKey(), server: h.server }
      }))
      assert.deepStrictEqual(server.requestLog().map((r) => `${r.method} ${r.status}`), ["POST 200"])
      assert.isDefined(key)
      assert.strictEqual(server.userStream.activeListenKey(), key, "still the account's key, until it lapses")
    })))
})

describe("user stream: TestClock", () => {
  it.effect("keeps the listenKey alive every 30 minutes; a failed keepalive reconnects through a fresh POST", () => {
    const logs: Array<string> = []
    return run(Effect.gen(function*() {
      const h = yield* harness()
      yield* Queue.take(h.connections)
      const key = h.server.userStream.activeListenKey()!
      yield* TestClock.adjust("29 minutes")
      assert.strictEqual(yield* Queue.size(h.keepAliveStarts), 0)
      yield* TestClock.adjust("1 minute")
      assert.isTrue(yield* Queue.take(h.keepAlives))
      yield* TestClock.adjust("29 minutes")
      assert.strictEqual(yield* Queue.size(h.keepAliveStarts), 1)
      yield* TestClock.adjust("1 minute")
      assert.isTrue(yield* Queue.take(h.keepAlives))
      assert.strictEqual(yield* Queue.size(h.keepAliveStarts), 2)
      const puts = h.server.requestLog().filter((r) => r.method === "PUT")
      assert.deepStrictEqual(puts.map((r) => [r.params["listenKey"], r.status]), [[key, 200], [key, 200]])

      h.server.binanceError(400, -1125, "This listenKey does not exist.", { method: "PUT", path: "/api/v3/userDataStream" })
      yield* TestClock.adjust("30 minutes")
      assert.isFalse(yield* Queue.take(h.keepAlives))
      // The connection worked for 90 minutes: the next one comes at once, through a fresh POST.
      assert.deepStrictEqual(yield* stateIs(h.stream, "Reconnecting"), { _tag: "Reconnecting", failures: 0, reason: "KeepAliveFailed" })
      yield* Queue.take(h.connections)
      assert.isTrue(logs.some((l) => l.includes("user stream reconnecting") && l.includes("KeepAliveFailed")))
      assert.isTrue(logs.some((l) => l.includes("connection ended") && l.includes("listenKey=<listenKey>") && l.includes("-1125")))
      assert.isTrue(logs.length > 0 && logs.every((l) => !l.includes(key)), "the listenKey never reaches a log")
    }).pipe(withLogs(logs)))
  })

  it.effect("reconnect backoff doubles per failure up to the cap, jittered by ±20%; Down after 3 failures", () =>
    run(Effect.gen(function*() {
      const h = yield* harness({ backoff: { base: "1 second", cap: "4 seconds" } })
      h.server.binanceError(500, -1001, "Internal error; unable to process your request. Please try again.", {
        method: "POST", path: "/api/v3/userDataStream", times: 4
      })
      yield* Queue.take(h.creates)
      const expected = [[1, "Reconnecting"], [2, "Reconnecting"], [4, "Down"], [4, "Down"]] as const
      for (const [index, [seconds, tag]] of expected.entries()) {
        const state = yield* stateWhere(h.stream, (s) => s._tag !== "Connected" && s.failures === index + 1)
        assert.deepStrictEqual(state, { _tag: tag, failures: index + 1, reason: "ListenKeyUnavailable" })
        yield* TestClock.adjust(`${seconds * 800 - 1} millis`)
        assert.strictEqual(yield* Queue.size(h.creates), 0, `no attempt before 0.8 × ${seconds}s`)
        yield* TestClock.adjust(`${seconds * 400 + 2} millis`)
        yield* Queue.take(h.creates)
      }
      yield* Queue.take(h.connections)
      assert.strictEqual((yield* h.stream.state)._tag, "Connected")
    })))
})

describe("user stream: a slow consumer", () => {
  it.effect("never blocks the reader: past the buffer events are dropped behind one EventsDropped marker; each connection's marker is kept", () => {
    const logs: Array<string> = []
    return run(Effect.gen(function*() {
      const h = yield* harness({ consume: false, bufferCapacity: 3 })
      yield* Queue.take(h.connections)
      yield* settle
      yield* placeLimitBuy(h.server, "0.05", "100", "kept")
      h.server.deposit("USDT", "1")
      h.server.deposit("USDT", "2")
      // listenKeyExpired comes after the six events: once the stream reconnects, the reader has read them all
      h.server.userStream.expireListenKey()
      yield* Queue.take(h.connections)
      const seen: Array<UserStreamEvent> = []
      const consume = (n: number) => h.stream.events.pipe(Stream.take(n), Stream.runForEach((e) => Effect.sync(() => seen.push(e))))
      yield* consume(5) // all that is queued: a run of the stream takes what it pulled, and drops what `take` leaves
      h.server.deposit("HBAR", "7")
      yield* consume(2)
      // the first connection's marker takes a place; the second's is kept although the buffer is full
      assert.deepStrictEqual(seen.map((e) => e._tag), [
        "Connected", "ExecutionReport", "AccountPosition", "EventsDropped", "Connected", "BalanceUpdate", "AccountPosition"
      ])
      const after = seen[5]
      if (after?._tag === "BalanceUpdate") assert.strictEqual(after.asset, "HBAR")
      const [first, second] = seen.filter((e) => e._tag === "Connected")
      assert.isTrue(first !== undefined && second !== undefined && first.since <= second.since)
      assert.isTrue(logs.some((l) => l.includes("events were dropped") && l.includes("dropped=4")))
    }).pipe(withLogs(logs)))
  })
})

describe("user stream: frames it does not know", () => {
  it.effect("unknown and malformed events are logged and skipped; the connection stays", () => {
    const logs: Array<string> = []
    return run(Effect.gen(function*() {
      const h = yield* harness()
      yield* Queue.take(h.connections)
      h.server.userStream.sendRaw(JSON.stringify({ e: "externalLockUpdate", E: 1, a: "USDT", d: "1.0", T: 1 }))
      h.server.userStream.sendRaw("not json")
      h.server.userStream.sendRaw(JSON.stringify({ e: "balanceUpdate", E: 1, a: "USDT", d: "1e5", T: 1 }))
      h.server.deposit("USDT", "3")
      const [next] = yield* take(h.events, 1)
      assert.isTrue(next?._tag === "BalanceUpdate" && BigDecimal.equals(next.delta, dec("3")))
      assert.strictEqual((yield* h.stream.state)._tag, "Connected")
      assert.isTrue(logs.some((l) => l.includes("unknown event type skipped") && l.includes("eventType=externalLockUpdate")))
      assert.strictEqual(logs.filter((l) => l.includes("malformed event skipped")).length, 2)
    }).pipe(withLogs(logs)))
  })
})
