/**
 * Trigger orders and OCO lists across a restart, on one journal file: the live
 * layer recovers the legs of a list whose answer never came (found by their client
 * ids, tracked with their list), and the dry run resumes its trigger book and its
 * lists from the journal's paper tables, so that a later price still fires a stop
 * and a fill still expires the other leg.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Option, Redacted } from "effect"
import {
  activeOrders,
  createLimitBuy,
  createOco,
  createStopLossLimit,
  DryRunExchangeLayer,
  DryRunMarket,
  fetchOrder,
  fetchTrades,
  OrderJournal
} from "../src/index.ts"
import { SqliteJournalLayer } from "../src/layers/journal/Journal.ts"
import { LiveExchangeLayer } from "../src/layers/live/Live.ts"
import * as D from "../src/services/Decimal.ts"
import { binanceServer } from "./support/BinanceServer.ts"

const SECRET = "recovery-secret-0123456789"

const journalFile = Effect.map(
  Effect.acquireRelease(
    Effect.sync(() => mkdtempSync(join(tmpdir(), "orderops-protective-"))),
    (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
  ),
  (dir) => join(dir, "journal.sqlite")
)

/** A dry run at HBAR/USDT 0.1 on the journal `file`, with the journal itself. */
const dryRunOn = (file: string) => Layer.merge(DryRunExchangeLayer({ journal: SqliteJournalLayer(file), price: 0.1 }), SqliteJournalLayer(file))

const OCO_SELL = { side: "sell", quantity: 100, price: 0.12, triggerPrice: 0.09, stopLimitPrice: 0.089 } as const

describe("recovery of trigger orders and lists", () => {
  it.live("live: an OCO whose answer and look-up were lost is recovered at start-up, both legs tracked with their list", () =>
    Effect.scoped(Effect.gen(function*() {
      const file = yield* journalFile
      const server = yield* binanceServer({ apiKey: "k-0123456789", secret: SECRET, balances: { USDT: "1000" }, prices: { HBARUSDT: "0.1" } })
      const live = (retry: { readonly times: number }) =>
        Layer.merge(
          LiveExchangeLayer({
            apiKey: server.apiKey,
            secret: Redacted.make(SECRET),
            baseUrl: server.url,
            timeoutMs: 500,
            retry,
            journal: SqliteJournalLayer(file),
            // no stream: its reconciliation on connecting would find the list before the start-up recovery this pins
            userStream: false
          }),
          SqliteJournalLayer(file)
        )
      yield* Effect.gen(function*() {
        yield* createLimitBuy(0.11, 200)
        server.processThenDrop({ method: "POST", path: "/api/v3/order/oco" })
        server.binanceError(400, -2013, "Order list does not exist.", { method: "GET", path: "/api/v3/orderList" })
        const e = yield* Effect.flip(createOco(OCO_SELL)).pipe(Effect.orDie)
        assert.strictEqual(e._tag, "NetworkError")
        assert.strictEqual((yield* activeOrders).size, 0)
      }).pipe(Effect.provide(live({ times: 0 })))
      assert.strictEqual(server.orderLists().length, 1) // the list got there
      yield* Effect.gen(function*() {
        const tracked = [...(yield* activeOrders).values()]
        assert.deepStrictEqual(tracked.map((o) => o.type).sort(), ["limit-maker", "stop-loss-limit"])
        const listId = String(server.orderLists()[0]!.orderListId)
        for (const o of tracked) assert.deepStrictEqual(o.listId, Option.some(listId))
        const entries = yield* OrderJournal.use((j) => j.entries({ symbol: "HBAR/USDT" }))
        assert.deepStrictEqual(entries.filter((x) => x.type !== "limit").map((x) => x.status), ["open", "open"])
        assert.strictEqual(server.orders().length, 3) // the buy and the two legs: nothing resent
      }).pipe(Effect.provide(live({ times: 2 })))
    })))

  it.live("dry run: a resumed session still fires a stop at its trigger, and a filled OCO leg still expires the other", () =>
    Effect.scoped(Effect.gen(function*() {
      const file = yield* journalFile
      const dryRun = dryRunOn(file)
      const placed = yield* Effect.gen(function*() {
        yield* createLimitBuy(0.11, 300)
        const stop = yield* createStopLossLimit(0.085, 0.084, 100)
        const list = yield* createOco(OCO_SELL)
        return { stop, list }
      }).pipe(Effect.provide(dryRun))
      yield* Effect.gen(function*() {
        const market = yield* DryRunMarket
        assert.strictEqual((yield* activeOrders).size, 3)
        yield* market.setPrice(0.12) // the OCO's limit leg fills; its stop expires
        assert.deepStrictEqual([(yield* fetchOrder(placed.list.limit.id)).status, (yield* fetchOrder(placed.list.stop.id)).status], ["closed", "expired"])
        assert.strictEqual((yield* fetchOrder(placed.stop.id)).status, "open")
        yield* market.setPrice(0.085) // the lone stop fires, and sells at its limit or better
        assert.strictEqual((yield* fetchOrder(placed.stop.id)).status, "closed")
        assert.strictEqual((yield* activeOrders).size, 0)
      }).pipe(Effect.provide(dryRun))
    })))

  it.live("dry run: a stop-limit whose trigger fired resumes working at its limit and fills there as a maker", () =>
    Effect.scoped(Effect.gen(function*() {
      const file = yield* journalFile
      const dryRun = dryRunOn(file)
      const stop = yield* Effect.gen(function*() {
        yield* createLimitBuy(0.11, 300) // crosses at 0.1: the HBAR to sell
        const stop = yield* createStopLossLimit(0.09, 0.089, 100)
        // The price gaps past the trigger and below the limit: it fires, and the sell at 0.089 rests (0.0895 would fill it at once).
        yield* (yield* DryRunMarket).setPrice(0.088)
        assert.strictEqual((yield* fetchOrder(stop.id)).status, "open")
        return stop
      }).pipe(Effect.provide(dryRun))
      yield* Effect.gen(function*() {
        const market = yield* DryRunMarket
        assert.strictEqual((yield* fetchOrder(stop.id)).status, "open")
        yield* market.setPrice(0.095) // above the trigger: a working sell limit at 0.089 is crossed
        const done = yield* fetchOrder(stop.id)
        assert.deepStrictEqual([done.status, D.format(done.filled), Option.map(done.averagePrice, D.format)], ["closed", "100", Option.some("0.089")])
        const trades = (yield* fetchTrades()).filter((t) => t.orderId === stop.id)
        assert.deepStrictEqual(trades.map((t) => [t.orderId, D.format(t.price), t.maker]), [[stop.id, "0.089", true]])
        assert.strictEqual((yield* activeOrders).size, 0)
      }).pipe(Effect.provide(dryRun))
    })))

  it.live("dry run: a stop-limit whose trigger has not fired still waits for it after a restart", () =>
    Effect.scoped(Effect.gen(function*() {
      const file = yield* journalFile
      const dryRun = dryRunOn(file)
      const stop = yield* Effect.andThen(createLimitBuy(0.11, 300), createStopLossLimit(0.09, 0.089, 100)).pipe(Effect.provide(dryRun))
      yield* Effect.gen(function*() {
        yield* (yield* DryRunMarket).setPrice(0.095) // above the trigger: nothing fires, the limit is not working
        assert.strictEqual((yield* fetchOrder(stop.id)).status, "open")
        assert.strictEqual((yield* fetchTrades()).filter((t) => t.orderId === stop.id).length, 0)
      }).pipe(Effect.provide(dryRun))
    })))
})
