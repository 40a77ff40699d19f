/**
 * Trades over many pages and days: `fetchTrades` on the live layer against the
 * loopback Binance server, through Binance's REST endpoints (24-hour windows, pages
 * of 1000 by `fromId`) and ccxt's unified `fetchMyTrades`; each trade once, exact.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { createLimitBuy, fetchOrder, fetchTrades, LiveExchangeLayer } from "../src/index.ts"
import { type BinanceServer, binanceServer } from "./support/BinanceServer.ts"
import { feesText, text } from "./support/amounts.ts"

const API_KEY = "trades-key-0123456789abcdef"
const SECRET = "trades-secret-FEDCBA9876543210"
const DAY = 86_400_000

const live = (server: BinanceServer, useUnifiedApi: boolean) =>
  LiveExchangeLayer({
    apiKey: API_KEY,
    secret: Redacted.make(SECRET),
    baseUrl: server.url,
    symbol: "HBAR/USDT",
    useUnifiedApi,
    retry: { base: "5 millis", cap: "20 millis", times: 2 },
    // trades only from these reads: the user data stream would journal each fill's trade as it happens
    userStream: false
  })

/** Fills `count` trades of 1 HBAR each of the order, as the server's clock stands `daysAgo` days back. */
const fillDaysAgo = (server: BinanceServer, orderId: string, count: number, daysAgo: number) => {
  server.setClockSkew(-daysAgo * DAY)
  for (let i = 0; i < count; i++) server.fillOrder("HBARUSDT", { orderId: Number(orderId) }, "1")
  server.setClockSkew(0)
}

/** The loopback exchange these tests trade on: 1000 USDT, HBAR/USDT at 0.1, a maker fee of 0.1%. */
const tradingServer = () =>
  binanceServer({ apiKey: API_KEY, secret: SECRET, balances: { USDT: "1000" }, prices: { HBARUSDT: "0.1" }, makerFeeRate: "0.001" })

const myTradesRequests = (server: BinanceServer) => server.requestLog().filter((r) => r.path === "/api/v3/myTrades")

describe("fetchTrades over more than 1000 trades and more than one day", () => {
  for (const useUnifiedApi of [false, true]) {
    it.live(`every trade once, oldest first, exact (${useUnifiedApi ? "ccxt unified methods" : "Binance REST endpoints"})`, () =>
      Effect.gen(function*() {
        const server = yield* tradingServer()
        yield* Effect.gen(function*() {
          const id = yield* createLimitBuy(0.09, 2000)
          fillDaysAgo(server, id, 700, 3) // three days ago
          fillDaysAgo(server, id, 1200, 1) // yesterday: more than a page on its own
          const now = server.serverTime()

          const all = yield* fetchTrades()
          assert.strictEqual(all.length, 1900)
          assert.strictEqual(new Set(all.map((t) => t.id)).size, 1900)
          assert.isTrue(all.every((t, i) => i === 0 || t.timestamp >= all[i - 1]!.timestamp))
          assert.isTrue(all.every((t) => t.orderId === id && text(t.quantity) === "1" && text(t.price) === "0.09" && t.maker))
          assert.isTrue(all.every((t) => text(t.fee) === "0.001" && t.feeAsset === "HBAR"))

          // From two days ago: only yesterday's 1200 (the windows skip the empty day).
          const recent = yield* fetchTrades(now - 2 * DAY, now)
          assert.strictEqual(recent.length, 1200)
          assert.deepStrictEqual(recent.map((t) => t.id), all.slice(700).map((t) => t.id))
          // A window that ends before yesterday: the 700 of three days ago.
          assert.strictEqual((yield* fetchTrades(now - 4 * DAY, now - 2 * DAY)).length, 700)

          if (!useUnifiedApi) {
            for (const r of myTradesRequests(server)) {
              assert.isAtMost(Number(r.params["limit"]), 1000)
              const { startTime, endTime } = r.params
              if (startTime !== undefined) assert.isBelow(Number(endTime) - Number(startTime), DAY, JSON.stringify(r.params))
            }
          }

          // The order's fees are its 1900 trades' (each counted once, though fetched three times).
          const order = yield* fetchOrder(id)
          assert.deepStrictEqual([text(order.filled), text(order.cost), feesText(order.fees)], ["1900", "171", { HBAR: "1.9" }])
        }).pipe(Effect.provide(live(server, useUnifiedApi)))
      }), 60_000)
  }
})

describe("an order's fees before and after its trades are fetched", () => {
  it.live("until every fill's trade is journaled, an order shows the fees its answer stated (none on Binance); then their sum", () =>
    Effect.gen(function*() {
      const server = yield* tradingServer()
      yield* Effect.gen(function*() {
        const id = yield* createLimitBuy(0.09, 100)
        server.fillOrder("HBARUSDT", { orderId: Number(id) }, "40")
        assert.deepStrictEqual(feesText((yield* fetchOrder(id)).fees), {}) // no trade seen yet
        assert.strictEqual((yield* fetchTrades()).length, 1)
        assert.deepStrictEqual(feesText((yield* fetchOrder(id)).fees), { HBAR: "0.04" })
        server.fillOrder("HBARUSDT", { orderId: Number(id) }, "60")
        const partlyKnown = yield* fetchOrder(id) // filled 100, but only 40 of it journaled as trades
        assert.deepStrictEqual([text(partlyKnown.filled), text(partlyKnown.cost), feesText(partlyKnown.fees)], ["100", "9", {}])
        assert.strictEqual((yield* fetchTrades()).length, 2)
        const known = yield* fetchOrder(id)
        assert.deepStrictEqual([text(known.filled), text(known.cost), feesText(known.fees)], ["100", "9", { HBAR: "0.1" }])
      }).pipe(Effect.provide(live(server, false)))
    }))
})
