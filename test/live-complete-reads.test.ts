/**
 * Complete reads on Binance.US: `fetchAllOrders(start, end)` and `fetchTrades(start,
 * end)` give every order and trade of the window, oldest first, however long the
 * window and however many rows, within Binance's limits (a `startTime`–`endTime`
 * window of at most 24 hours, at most 1000 rows a page: the loopback server refuses
 * anything else, which fails the read) and without a request more than they need.
 * 2,500 filled orders over 3 days on the loopback test server.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { fetchAllOrders, fetchTrades, OrderJournal } from "../src/index.ts"
import { type BinanceServer, type SeedOrder, startBinanceServer } from "./support/BinanceServer.ts"
import { fastLiveLayer } from "./support/live-layer.ts"

const credentials = { apiKey: "reads-key-0123456789abcdef", secret: "reads-secret-FEDCBA9876543210" }
const DAY = 86_400_000
const ORDERS = 2_500
/** Midnight UTC four days ago: the 3 days of orders end a day before now. */
const T0 = Math.floor(Date.now() / DAY) * DAY - 4 * DAY
/** Order i at an even spacing over 3 days, except that every hundredth shares its predecessor's millisecond. */
const timeOf = (i: number) => T0 + Math.floor(((i - (i % 100 === 99 ? 1 : 0)) * 3 * DAY) / ORDERS)

const seeded = (server: BinanceServer) =>
  server.seedOrders(
    "HBARUSDT",
    Array.from({ length: ORDERS }, (_, i): SeedOrder => ({ time: timeOf(i), side: "BUY", price: "0.05", quantity: "100", filled: true }))
  ).map(String)

/** The requests to `path` from here on: each with its paging parameters, as the server saw them. */
const requestsTo = (server: BinanceServer, path: string) => {
  const before = server.requestLog().length
  return () =>
    server.requestLog().slice(before).filter((r) => r.path === path).map((r) => ({ status: r.status, ...pagingOf(r.params) }))
}
const pagingOf = (p: Readonly<Record<string, string>>) => ({
  limit: Number(p["limit"]),
  span: p["startTime"] === undefined ? undefined : Number(p["endTime"]) - Number(p["startTime"]),
  fromId: p["orderId"] ?? p["fromId"]
})

// One server for the file, seeded once: the tests only read, and each counts its own requests.
let server: BinanceServer
let ids: ReadonlyArray<string>
beforeAll(async () => {
  server = await startBinanceServer({ ...credentials, balances: { USDT: "1000000" }, prices: { HBARUSDT: "0.1" }, feeRate: "0.001" })
  ids = seeded(server)
})
afterAll(() => server.close())

const withOrders = <A, E>(body: (server: BinanceServer, ids: ReadonlyArray<string>) => Effect.Effect<A, E, any>, unified = false) =>
  Effect.gen(function*() {
    const journal = OrderJournal.layerMemory
    const live = fastLiveLayer(server, credentials, { journal, useUnifiedApi: unified, timeoutMs: 10_000 })
    return yield* body(server, ids).pipe(Effect.provide(Layer.merge(live, journal)))
  })

/** Each request within Binance's limits and answered. */
const withinLimits = (requests: ReadonlyArray<ReturnType<typeof pagingOf> & { status: number | undefined }>) => {
  for (const r of requests) {
    assert.strictEqual(r.status, 200)
    assert.strictEqual(r.limit, 1000)
    if (r.span !== undefined) assert.isAtMost(r.span, DAY)
  }
}

describe("live: complete reads", () => {
  for (const unified of [false, true]) {
    const path = unified ? "ccxt's unified methods" : "Binance's REST endpoints"
    it.live(`fetchAllOrders over 3 days gives all 2,500 orders, oldest first, in 3 requests (${path})`, () =>
      withOrders((server, ids) =>
        Effect.gen(function*() {
          const allOrders = requestsTo(server, "/api/v3/allOrders")
          const orders = yield* fetchAllOrders(T0, T0 + 3 * DAY - 1)
          assert.deepStrictEqual(orders.map((o) => o.id), ids)
          assert.deepStrictEqual(orders.map((o) => o.timestamp), ids.map((_, i) => timeOf(i)))
          assert.isTrue(orders.every((o) => o.status === "closed"))
          // The account's oldest page is the window's first; then two pages by id.
          assert.deepStrictEqual(allOrders().map((r) => r.fromId), ["0", String(Number(ids[999]) + 1), String(Number(ids[1999]) + 1)])
          withinLimits(allOrders())
        }), unified))

    it.live(`fetchTrades over 3 days gives all 2,500 trades, oldest first, in 3 requests (${path})`, () =>
      withOrders((server, ids) =>
        Effect.gen(function*() {
          const myTrades = requestsTo(server, "/api/v3/myTrades")
          const trades = yield* fetchTrades(T0, T0 + 3 * DAY - 1)
          assert.deepStrictEqual(trades.map((t) => t.orderId), ids)
          assert.deepStrictEqual(trades.map((t) => t.timestamp), ids.map((_, i) => timeOf(i)))
          assert.strictEqual(new Set(trades.map((t) => t.id)).size, ORDERS)
          assert.strictEqual(myTrades().length, 3)
          withinLimits(myTrades())
        }), unified))
  }

  it.live("a window inside the history: 24-hour windows from its start, then by id; no request after the last row", () =>
    withOrders((server, ids) =>
      Effect.gen(function*() {
        const inRange = (since: number, until: number) => ids.filter((_, i) => timeOf(i) >= since && timeOf(i) <= until)

        // Under 2 days: no look at the oldest page. The first 24-hour window (833 orders), then one page by id past the end.
        let allOrders = requestsTo(server, "/api/v3/allOrders")
        const since = T0 + DAY / 2
        const until = T0 + 2 * DAY
        assert.deepStrictEqual((yield* fetchAllOrders(since, until)).map((o) => o.id), inRange(since, until))
        assert.deepStrictEqual(allOrders().map((r) => [r.span, r.fromId]), [[DAY - 1, undefined], [undefined, String(Number(inRange(since, since + DAY - 1).at(-1)) + 1)]])
        withinLimits(allOrders())

        // A window of exactly one day's span: one request.
        allOrders = requestsTo(server, "/api/v3/allOrders")
        assert.deepStrictEqual((yield* fetchAllOrders(T0 + DAY, T0 + 2 * DAY - 1)).map((o) => o.id), inRange(T0 + DAY, T0 + 2 * DAY - 1))
        assert.strictEqual(allOrders().length, 1)

        // Long, starting after the oldest page ends and reaching past the newest order: the oldest page (of no use
        // here), the first window (not full, but it ends before `until`), then one page by id that finds nothing more.
        allOrders = requestsTo(server, "/api/v3/allOrders")
        const late = T0 + 2 * DAY
        assert.deepStrictEqual((yield* fetchAllOrders(late, late + 10 * DAY)).map((o) => o.id), inRange(late, late + 10 * DAY))
        assert.deepStrictEqual(allOrders().map((r) => r.span === undefined ? `id ${r.fromId}` : "window"), ["id 0", "window", `id ${Number(ids.at(-1)) + 1}`])
        withinLimits(allOrders())

        // Before any order: the oldest page shows the history starts later, so no empty day is asked for.
        allOrders = requestsTo(server, "/api/v3/allOrders")
        assert.lengthOf(yield* fetchAllOrders(T0 - 30 * DAY, T0 - 1), 0)
        assert.strictEqual(allOrders().length, 1)
      })))
})
