/**
 * Trigger orders and OCO lists through the live layer (real ccxt over HTTP to the
 * loopback Binance.US server) when an answer is lost: a create, a cancel and an OCO
 * whose request was processed but never answered are settled by a look-up, never by
 * a second order. The server counts what it holds: 0 duplicates.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import {
  activeOrders,
  cancelOco,
  cancelOrder,
  createLimitBuy,
  createOco,
  createStopLossLimit,
  createTakeProfitLimit,
  type Exchange,
  type ExchangeFailure,
  fetchOrder,
  OrderJournal
} from "../src/index.ts"
import type { LiveOptions } from "../src/layers/live/Live.ts"
import type { BinanceServer } from "./support/BinanceServer.ts"
import { withLiveServer } from "./support/live-layer.ts"

const API_KEY = "protect-key-0123456789abcdef"
const SECRET = "protect-secret-FEDCBA9876543210"

const withLive = <A>(
  body: (server: BinanceServer) => Effect.Effect<A, ExchangeFailure, Exchange | OrderJournal>,
  options: Partial<LiveOptions> = {}
) => withLiveServer({ apiKey: API_KEY, secret: SECRET }, body, options)

const requests = (server: BinanceServer, method: string, path: string) =>
  server.requestLog().filter((r) => r.method === method && r.path === path)
const refIds = Effect.map(activeOrders, (m) => [...m.keys()].sort())
/** Orders the server holds per client order id: more than one would be a duplicate. */
const duplicates = (server: BinanceServer) => {
  const seen = new Map<string, number>()
  for (const o of server.orders()) seen.set(o.clientOrderId, (seen.get(o.clientOrderId) ?? 0) + 1)
  return [...seen.values()].filter((n) => n > 1).length
}
/** 200 HBAR to sell, bought at 0.1. */
const holdHbar = Effect.asVoid(createLimitBuy(0.11, 200))
const OCO_SELL = { side: "sell", quantity: 100, price: 0.12, triggerPrice: 0.09, stopLimitPrice: 0.089 } as const

describe("live: trigger orders after a lost answer", () => {
  const creates = [
    ["stop-loss-limit", createStopLossLimit(0.09, 0.089, 100)],
    ["take-profit-limit", createTakeProfitLimit(0.12, 0.119, 100)]
  ] as const
  for (const [type, create] of creates) {
    it.live(`a ${type} whose answer is lost is found by client order id: one order, tracked`, () =>
      withLive((server) =>
        Effect.gen(function*() {
          yield* holdHbar
          server.processThenDrop({ method: "POST", path: "/api/v3/order" })
          const placed = yield* create
          assert.strictEqual(placed.type, type)
          assert.strictEqual(requests(server, "POST", "/api/v3/order").length, 2) // the buy, then this order once
          assert.strictEqual(duplicates(server), 0)
          assert.deepStrictEqual(yield* refIds, [placed.id])
        })))
  }

  it.live("a cancel of a trigger order whose answer is lost is settled by the order's state", () =>
    withLive((server) =>
      Effect.gen(function*() {
        yield* holdHbar
        const stop = yield* createStopLossLimit(0.09, 0.089, 100)
        server.processThenDrop({ method: "DELETE", path: "/api/v3/order" })
        yield* cancelOrder(stop.id)
        assert.strictEqual((yield* fetchOrder(stop.id)).status, "canceled")
        assert.deepStrictEqual(yield* refIds, [])
        assert.strictEqual(duplicates(server), 0)
      })))
})

describe("live: the exchange refuses a stop that would trigger at once", () => {
  it.live("Binance's own -2010 answer is ExchangeError WouldTriggerImmediately: sent once, the journal marks it failed", () =>
    withLive((server) =>
      Effect.gen(function*() {
        yield* holdHbar
        // The price moved between orderops' check and the exchange.
        server.binanceError(400, -2010, "Stop price would trigger immediately.", { method: "POST", path: "/api/v3/order" })
        const e = yield* Effect.flip(createStopLossLimit(0.09, 0.089, 100)).pipe(Effect.orDie)
        assert.strictEqual(e._tag === "ExchangeError" && e.reason, "WouldTriggerImmediately")
        assert.strictEqual(requests(server, "POST", "/api/v3/order").length, 2) // the buy, and the stop once
        const entries = yield* OrderJournal.use((j) => j.entries({ symbol: "HBAR/USDT" }))
        assert.deepStrictEqual(entries.filter((x) => x.type === "stop-loss-limit").map((x) => x.status), ["failed"])
      })))
})

describe("live: OCO lists after a lost answer", () => {
  it.live("an OCO processed but not answered is looked up by its list client id; never sent twice", () =>
    withLive((server) =>
      Effect.gen(function*() {
        yield* holdHbar
        server.processThenDrop({ method: "POST", path: "/api/v3/order/oco" })
        const list = yield* createOco(OCO_SELL)
        const posts = requests(server, "POST", "/api/v3/order/oco")
        assert.strictEqual(posts.length, 1)
        const lookups = requests(server, "GET", "/api/v3/orderList")
        assert.strictEqual(lookups[0]!.params["origClientOrderId"], posts[0]!.params["listClientOrderId"])
        assert.strictEqual(server.orderLists().length, 1)
        assert.strictEqual(String(server.orderLists()[0]!.orderListId), list.listId)
        assert.strictEqual(duplicates(server), 0)
        assert.deepStrictEqual(yield* refIds, [list.limit.id, list.stop.id].sort())
      })))

  it.live("an OCO dropped before processing is looked up, then resent with the same three client ids: one list", () =>
    withLive((server) =>
      Effect.gen(function*() {
        yield* holdHbar
        server.dropBeforeProcessing({ method: "POST", path: "/api/v3/order/oco" })
        const list = yield* createOco(OCO_SELL)
        const posts = requests(server, "POST", "/api/v3/order/oco")
        assert.strictEqual(posts.length, 2)
        for (const id of ["listClientOrderId", "limitClientOrderId", "stopClientOrderId"]) {
          assert.strictEqual(posts[0]!.params[id], posts[1]!.params[id], id)
        }
        assert.strictEqual(server.orderLists().length, 1)
        assert.strictEqual(duplicates(server), 0)
        assert.deepStrictEqual(yield* refIds, [list.limit.id, list.stop.id].sort())
      })))

  it.live("a look-up that misses a processed OCO: the resend's \"Duplicate order sent.\" resolves to that list", () =>
    withLive((server) =>
      Effect.gen(function*() {
        yield* holdHbar
        server.processThenDrop({ method: "POST", path: "/api/v3/order/oco" })
        server.binanceError(400, -2013, "Order list does not exist.", { method: "GET", path: "/api/v3/orderList", times: 1 })
        const list = yield* createOco(OCO_SELL)
        assert.strictEqual(requests(server, "POST", "/api/v3/order/oco").length, 2)
        assert.strictEqual(server.orderLists().length, 1)
        assert.strictEqual(String(server.orderLists()[0]!.orderListId), list.listId)
        assert.strictEqual(duplicates(server), 0)
        assert.deepStrictEqual(yield* refIds, [list.limit.id, list.stop.id].sort())
      })))

  it.live("an OCO whose fate stays unknown leaves both legs pending in the journal, and nothing on the server", () =>
    withLive((server) =>
      Effect.gen(function*() {
        yield* holdHbar
        server.dropBeforeProcessing({ method: "POST", path: "/api/v3/order/oco" })
        const e = yield* Effect.flip(createOco(OCO_SELL)).pipe(Effect.orDie)
        assert.strictEqual(e._tag, "NetworkError")
        assert.strictEqual(server.orderLists().length, 0)
        const entries = yield* OrderJournal.use((j) => j.entries({ symbol: "HBAR/USDT" }))
        const legs = entries.filter((x) => x.type !== "limit")
        assert.deepStrictEqual(legs.map((x) => x.status), ["pending", "pending"])
        // Journaled before sending: both legs' terms, their client ids the list's with _l and _s.
        const sent = requests(server, "POST", "/api/v3/order/oco")[0]!.params
        const byType = Object.fromEntries(legs.map((x) => [x.type, x]))
        assert.strictEqual(byType["limit-maker"]?.clientOrderId, sent["limitClientOrderId"])
        assert.strictEqual(byType["stop-loss-limit"]?.clientOrderId, sent["stopClientOrderId"])
        assert.strictEqual(byType["stop-loss-limit"]?.triggerPrice, "0.09")
        assert.strictEqual(sent["limitClientOrderId"], `${sent["listClientOrderId"]}_l`)
      }), { retry: { times: 0 } }))

  it.live("a list cancel whose answer is lost is settled by the legs' state; cancelling a leg cancels the list", () =>
    withLive((server) =>
      Effect.gen(function*() {
        yield* holdHbar
        const first = yield* createOco({ ...OCO_SELL, quantity: 50 })
        server.processThenDrop({ method: "DELETE", path: "/api/v3/orderList" })
        yield* cancelOco(first.listId)
        assert.deepStrictEqual([(yield* fetchOrder(first.limit.id)).status, (yield* fetchOrder(first.stop.id)).status], ["canceled", "canceled"])
        const second = yield* createOco({ ...OCO_SELL, quantity: 50 })
        server.processThenDrop({ method: "DELETE", path: "/api/v3/orderList" })
        yield* cancelOrder(second.stop.id)
        assert.deepStrictEqual([(yield* fetchOrder(second.limit.id)).status, (yield* fetchOrder(second.stop.id)).status], ["canceled", "canceled"])
        assert.deepStrictEqual(yield* refIds, [])
        assert.strictEqual(server.orderLists().length, 2)
        assert.strictEqual(duplicates(server), 0)
        assert.isTrue(Option.isSome(first.limit.listId))
      })))
})
