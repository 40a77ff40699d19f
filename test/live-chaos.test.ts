/**
 * Chaos: several hundred operations through the live layer (real ccxt over HTTP)
 * while the Binance test server drops connections, answers late or never, fails
 * with 5xx, rate-limits, bans and skews its clock at random (seeded). Whatever
 * happens, the exchange never holds two orders for one intent, every order on it
 * was journaled before it was sent, and one `sync` at the end brings the
 * active-orders `Ref` exactly in step with the server's open orders.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Logger, Redacted, Result } from "effect"
import {
  activeOrders,
  cancelAllBuyOrders,
  cancelAllSellOrders,
  cancelOrder,
  createLimitBuy,
  createLimitSell,
  createMarketSell,
  Exchange,
  type ExchangeFailure,
  fetchAllOrders,
  fetchOpenOrders,
  fetchOrder,
  getBaseAssetBalance,
  getUsdtBalance,
  OrderJournal,
  syncOrders
} from "../src/index.ts"
import { LiveExchangeLayer } from "../src/layers/live/Live.ts"
import { type BinanceServer, binanceServer, type FaultMatch } from "./support/BinanceServer.ts"

const SEED = 20240611
const OPERATIONS = 400

/** mulberry32: a small seeded PRNG, so a failing run can be replayed. */
const rng = (seed: number) => {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <A>(xs: ReadonlyArray<A>): A => xs[Math.floor(next() * xs.length)]!,
    chance: (p: number) => next() < p
  }
}

const ENDPOINTS: ReadonlyArray<FaultMatch> = [
  { method: "POST", path: "/api/v3/order" },
  { method: "POST", path: "/api/v3/order" },
  { method: "DELETE", path: "/api/v3/order" },
  { method: "GET", path: "/api/v3/order" },
  { method: "GET", path: "/api/v3/openOrders" },
  { method: "DELETE", path: "/api/v3/openOrders" },
  { method: "GET", path: "/api/v3/account" },
  { method: "GET", path: "/api/v3/allOrders" },
  { method: "GET", path: "/api/v3/ticker/24hr" }
]

/** Arms one random fault on a random endpoint. */
const armFault = (server: BinanceServer, r: ReturnType<typeof rng>) => {
  const match = { ...r.pick(ENDPOINTS), times: 1 + r.int(2) }
  switch (r.int(11)) {
    case 0:
      return server.dropBeforeProcessing(match)
    case 1:
      return server.processThenDrop(match)
    case 2:
      return server.status5xx(r.pick([500, 502, 503, 504] as const), { ...match, binanceBody: r.chance(0.5) })
    case 3:
      return server.status5xx(r.pick([500, 502, 503, 504] as const), { ...match, afterProcessing: true })
    case 4:
      return server.delay(400, match) // answered after the client's 250 ms timeout: a late answer
    case 5:
      return server.hang({ ...match, afterProcessing: r.chance(0.5) })
    case 6:
      return server.rateLimit(r.pick([429, 418] as const), 0, match)
    case 7:
      return server.binanceError(401, -2015, "Invalid API-key, IP, or permissions for action.", match)
    case 8:
      return server.delay(20, match)
    case 9:
      return server.setClockSkew(r.pick([-20_000, 0, 15_000]))
    default:
      return server.dropBeforeProcessing({ ...match, times: 3 })
  }
}

const describeFailure = (e: ExchangeFailure) =>
  `${e._tag}/${e._tag === "ValidationError" ? e.rule : e._tag === "JournalError" ? e.operation : e.reason}`

type Op = Effect.Effect<unknown, ExchangeFailure, Exchange>

/** A random operation, drawn against what is known to exist. */
const randomOp = (server: BinanceServer, r: ReturnType<typeof rng>, known: Array<string>): Op => {
  const price = () => Math.round((0.05 + r.next() * 0.1) * 100000) / 100000
  const remember = (effect: Effect.Effect<string, ExchangeFailure, Exchange>) =>
    Effect.tap(effect, (id) => Effect.sync(() => void known.push(id)))
  switch (r.int(14)) {
    case 0:
    case 1:
    case 2:
      return remember(createLimitBuy(Math.min(price(), 0.099), 20 + r.int(80)))
    case 3:
    case 4:
      return remember(createLimitSell(Math.max(price(), 0.101), 20 + r.int(80)))
    case 5:
      return known.length === 0 ? fetchOpenOrders() : cancelOrder(r.pick(known))
    case 6:
      return known.length === 0 ? fetchOpenOrders() : fetchOrder(r.pick(known))
    case 7:
      return r.chance(0.5) ? cancelAllBuyOrders() : cancelAllSellOrders()
    case 8:
      return fetchOpenOrders()
    case 9:
      return Effect.sync(() => server.setPrice("HBARUSDT", String(price())))
    case 10:
      return r.chance(0.5) ? getUsdtBalance() : getBaseAssetBalance()
    case 11:
      return syncOrders
    case 12:
      return remember(createMarketSell(20 + r.int(30)))
    default:
      return fetchAllOrders()
  }
}

describe("live chaos", () => {
  it.live(`${OPERATIONS} operations under random faults: no duplicates, nothing lost, the Ref in step after one sync`, () =>
    Effect.gen(function*() {
      const server = yield* binanceServer({
        apiKey: "chaos-key",
        secret: "chaos-secret",
        balances: { USDT: "1000000", HBAR: "1000000" },
        prices: { HBARUSDT: "0.1" },
        weightLimitPerMinute: 1_000_000,
        orderLimitPer10s: 1_000_000
      })
      const journal = OrderJournal.layerMemory
      const exchange = LiveExchangeLayer({
        apiKey: "chaos-key",
        secret: Redacted.make("chaos-secret"),
        baseUrl: server.url,
        timeoutMs: 250,
        retry: { base: "1 millis", cap: "10 millis", times: 6 },
        journal
      })
      const r = rng(SEED)
      const known: Array<string> = []
      const outcomes = new Map<string, number>()
      const count = (key: string) => outcomes.set(key, (outcomes.get(key) ?? 0) + 1)

      yield* Effect.gen(function*() {
        let done = 0
        while (done < OPERATIONS) {
          if (r.chance(0.35)) armFault(server, r)
          if (r.chance(0.3)) armFault(server, r)
          const batch = Array.from({ length: 1 + r.int(4) }, () => randomOp(server, r, known))
          done += batch.length
          const results = yield* Effect.all(batch.map((op) => Effect.result(op)), { concurrency: "unbounded" })
          for (const res of results) {
            count(Result.isSuccess(res) ? "ok" : describeFailure(res.failure))
          }
        }

        // Calm down, then reconcile once.
        server.clearFaults()
        server.setClockSkew(0)
        const synced = yield* syncOrders
        const ref = [...(yield* activeOrders).keys()].sort()
        const open = server.openOrders("HBARUSDT").map((o) => String(o.orderId)).sort()
        assert.deepStrictEqual(ref, open, "the Ref equals the server's open orders after one sync")
        assert.deepStrictEqual([...synced.keys()].sort(), open)

        const all = server.orders()
        const clientIds = all.map((o) => o.clientOrderId)
        assert.strictEqual(new Set(clientIds).size, clientIds.length, "no client order id was placed twice")
        assert.isTrue(clientIds.every((id) => id.startsWith("oo_")), "every order on the server is ours")

        // Every order on the server was journaled before it was sent.
        const entries = yield* OrderJournal.use((j) => j.entries())
        const journaled = new Set(entries.map((e) => e.clientOrderId))
        assert.isTrue(clientIds.every((id) => journaled.has(id)), "every server order is in the journal")

        // Every create reported as successful is exactly one order on the server.
        const serverIds = new Set(all.map((o) => String(o.orderId)))
        assert.isTrue(known.every((id) => serverIds.has(id)))
        assert.strictEqual(new Set(known).size, known.length)

        // A failure is always a typed, explained one: never an undecodable answer or a bug.
        assert.isUndefined(outcomes.get("ExchangeError/Unknown"), JSON.stringify([...outcomes]))
        assert.isAbove(outcomes.get("ok") ?? 0, OPERATIONS / 3, JSON.stringify([...outcomes]))
        assert.isAbove(server.counters().dropped, 10)
        assert.isAbove(all.length, 50)
      }).pipe(
        Effect.provide(Layer.merge(exchange, journal)),
        Effect.provide(Logger.layer([]))
      )
    }), 60_000)
})
