/**
 * The journal's trades (migration 0006): each kept once by (venue, symbol, trade
 * id), read back exactly; and an older journal migrating to the order model's
 * columns with its rows intact.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Option, type Scope } from "effect"
import { SqlClient } from "effect/sql"
import { migrateJournal } from "../src/layers/journal/SqlJournal.ts"
import * as D from "../src/services/Decimal.ts"
import { OrderJournal } from "../src/services/OrderJournal.ts"
import type { Trade } from "../src/services/Trade.ts"
import { feesText, limitRecord, text } from "./support/amounts.ts"
import { backends, type Store } from "./support/journal-backends.ts"

const trade = (id: string, over: Partial<Trade> = {}): Trade => ({
  id,
  orderId: "42",
  clientOrderId: "oo_a",
  side: "buy",
  price: D.unsafe("0.00001234"),
  quantity: D.unsafe("123456789.123"),
  quoteQuantity: D.unsafe("1523.45677877782"),
  fee: D.unsafe("0.123456789123"),
  feeAsset: "SHIB",
  maker: true,
  timestamp: 1_700_000_000_000,
  ...over
})

const journal = Effect.service(OrderJournal)

for (const backend of backends) {
  describe.skipIf(backend.skip !== undefined)(`journal trades: ${backend.name}`, () => {
    const test = (name: string, body: (store: Store) => Effect.Effect<void, unknown, Scope.Scope>) =>
      it.live(name, () => Effect.scoped(Effect.flatMap(backend.store, body)))

    test("a trade is kept once by (venue, symbol, id), exactly, however often it is recorded", (store) =>
      Effect.provide(
        Effect.gen(function*() {
          const j = yield* journal
          yield* j.recordTrades("binanceus", "SHIB/USDT", [trade("1"), trade("2", { timestamp: 1_700_000_000_500, maker: false })], 1)
          // Seen again (one changed view must not replace the first), and the same id elsewhere.
          yield* j.recordTrades("binanceus", "SHIB/USDT", [trade("2", { fee: D.unsafe("9") }), trade("3", { orderId: "43", timestamp: 1_700_000_001_000 })], 2)
          yield* j.recordTrades("binanceus", "HBAR/USDT", [trade("1")], 3)
          yield* j.recordTrades("dry-run", "SHIB/USDT", [trade("1")], 4)
          const all = yield* j.trades("binanceus", "SHIB/USDT")
          assert.deepStrictEqual(all.map((t) => [t.id, t.orderId, t.maker, text(t.fee)]), [
            ["1", "42", true, "0.123456789123"],
            ["2", "42", false, "0.123456789123"],
            ["3", "43", true, "0.123456789123"]
          ])
          const first = all[0]!
          assert.deepStrictEqual(
            [first.clientOrderId, first.side, text(first.price), text(first.quantity), text(first.quoteQuantity), first.feeAsset, first.timestamp],
            ["oo_a", "buy", "0.00001234", "123456789.123", "1523.45677877782", "SHIB", 1_700_000_000_000]
          )
          assert.deepStrictEqual((yield* j.trades("binanceus", "SHIB/USDT", { orderIds: ["43"] })).map((t) => t.id), ["3"])
          assert.deepStrictEqual((yield* j.trades("binanceus", "SHIB/USDT", { orderIds: [] })).length, 0)
          assert.deepStrictEqual(
            (yield* j.trades("binanceus", "SHIB/USDT", { since: 1_700_000_000_100, until: 1_700_000_000_900 })).map((t) => t.id),
            ["2"]
          )
          assert.strictEqual((yield* j.trades("binanceus", "HBAR/USDT")).length, 1)
          assert.strictEqual((yield* j.trades("dry-run", "SHIB/USDT")).length, 1)
        }),
        store.journal
      ))

    if (backend.name !== "memory") {
      test("a journal at schema 0005 migrates: rows kept, cost and fees unknown until the next view, trades work", (store) =>
        Effect.gen(function*() {
          const client = Option.getOrThrow(store.client)
          yield* Effect.provide(
            Effect.gen(function*() {
              const sql = yield* SqlClient.SqlClient
              assert.deepStrictEqual(yield* migrateJournal(5), [1, 2, 3, 4, 5])
              yield* sql`INSERT INTO orderops_orders ${
                sql.insert({
                  client_order_id: "oo_old",
                  venue: "binanceus",
                  order_id: "42",
                  symbol: "SHIB/USDT",
                  side: "buy",
                  type: "limit",
                  price: "0.00001",
                  quantity: "100000000",
                  filled: "40000000",
                  status: "open",
                  detail: null,
                  created_at: 1,
                  updated_at: 2
                })
              }`
              yield* sql`INSERT INTO orderops_paper_orders ${
                sql.insert({
                  order_id: "dry_run_1",
                  seq: 1,
                  client_order_id: "oo_paper",
                  symbol: "SHIB/USDT",
                  side: "sell",
                  type: "market",
                  price: "0.0000123",
                  quantity: "1000",
                  filled: "1000",
                  status: "closed",
                  created_at: 3,
                  updated_at: 3
                })
              }`
            }),
            client
          )
          yield* Effect.provide(
            Effect.gen(function*() {
              const j = yield* journal
              const [old] = yield* j.entries()
              assert.deepStrictEqual([old?.price, old?.filled, old?.cost, old?.fees, old?.triggerPrice, old?.listId], [
                "0.00001",
                "40000000",
                null,
                {},
                null,
                null
              ])
              // A paper market order from before: its stored price was its fill.
              const paper = Option.getOrThrow(yield* j.paper.order("dry_run_1"))
              assert.deepStrictEqual([text(paper.price), text(paper.averagePrice), text(paper.cost), feesText(paper.fees)], [
                null,
                "0.0000123",
                "0.0123",
                {}
              ])
              // The next view fills the new columns in.
              yield* j.recordOrder(
                limitRecord({ id: "42", clientOrderId: "oo_old", symbol: "SHIB/USDT", price: "0.00001", quantity: "100000000" }, {
                  filled: D.unsafe("40000000"),
                  cost: D.unsafe("400"),
                  fees: { SHIB: D.unsafe("40000") }
                }),
                5,
                "binanceus"
              )
              const [updated] = yield* j.entries()
              assert.deepStrictEqual([updated?.cost, updated?.fees], ["400", { SHIB: "40000" }])
              yield* j.recordTrades("binanceus", "SHIB/USDT", [trade("7")], 6)
              assert.deepStrictEqual((yield* j.trades("binanceus", "SHIB/USDT")).map((t) => t.id), ["7"])
            }),
            store.journal
          )
        }))
    }
  })
}
