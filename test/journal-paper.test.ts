/**
 * The dry run's paper store (`OrderJournalService.paper`) on every journal backend
 * (memory, SQLite and, when `DATABASE_URL` is set, PostgreSQL): the contract the dry
 * run relies on, and the migration of a book saved by the previous release.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Logger, Option, type Scope } from "effect"
import { SqlClient } from "effect/sql"
import {
  activeOrders,
  cancelOrder,
  createLimitBuy,
  DryRunExchangeLayer,
  DryRunMarket,
  fetchAllOrders,
  fetchOpenOrders,
  fetchOrder,
  getBaseAssetBalance,
  getUsdtBalance
} from "../src/index.ts"
import { DRY_RUN_STATE_KEY } from "../src/layers/dryrun/DryRun.ts"
import { migrateJournal } from "../src/layers/journal/SqlJournal.ts"
import * as D from "../src/services/Decimal.ts"
import { OrderJournal } from "../src/services/OrderJournal.ts"
import type { OrderRecord } from "../src/services/OrderRecord.ts"
import type { PaperOrder } from "../src/services/PaperStore.ts"
import { type Backend, backends, type Store } from "./support/journal-backends.ts"
import { LEGACY_BOOK_JSON, LEGACY_ORDER_ROWS } from "./support/legacy-book.ts"
import { feesText, limitRecord, text } from "./support/amounts.ts"

const paperOrder = (seq: number, over: Partial<OrderRecord> = {}, price = "0.00001", quantity = "123456789.123"): PaperOrder => ({
  record: limitRecord({ id: `dry_run_${seq}`, clientOrderId: `oo_${seq}`, symbol: "SHIB/USDT", price, quantity }, {
    timestamp: 1_000 + seq,
    ...over
  }),
  price: D.unsafe(price),
  quantity: D.unsafe(quantity),
  seq
})

const paper = Effect.map(Effect.service(OrderJournal), (j) => j.paper)

/** What a session shows of its book: open orders, balances, every order's status. */
const bookNow = Effect.gen(function*() {
  return {
    open: (yield* fetchOpenOrders()).map((o) => o.id).sort(),
    usdt: yield* getUsdtBalance(),
    hbar: yield* getBaseAssetBalance(),
    all: (yield* fetchAllOrders()).map((o) => `${o.id} ${o.status}`).sort()
  }
})
const noChange = { orders: [], balances: [], prices: [] } as const

const contract = (backend: Backend) =>
  describe.skipIf(backend.skip !== undefined)(`paper store: ${backend.name}`, () => {
    const test = (name: string, body: (store: Store) => Effect.Effect<void, unknown, Scope.Scope>) =>
      it.live(name, () => Effect.scoped(Effect.flatMap(backend.store, body)))

    test("an empty store has no book", (store) =>
      Effect.gen(function*() {
        const book = yield* Effect.provide(Effect.flatMap(paper, (p) => p.load), store.journal)
        assert.deepStrictEqual([book.exists, book.seq, book.balances.size, book.prices.size, book.open.length], [false, 0, 0, 0, 0])
      }))

    test("load gives the open orders (exact), balances, prices and the sequence; finished orders are read back", (store) =>
      Effect.provide(
        Effect.gen(function*() {
          const p = yield* paper
          yield* p.write({
            orders: [paperOrder(1), paperOrder(2, {}, "0.00002", "5"), paperOrder(3, { symbol: "HBAR/USDT", timestamp: 5000 })],
            balances: [["USDT", { free: D.unsafe("999.000000001"), used: D.unsafe("1234.5") }]],
            prices: [["SHIB/USDT", D.unsafe("0.0000123")]]
          }, 10)
          // The second order fills, the first is cancelled: only what changed is written.
          yield* p.write({ orders: [paperOrder(2, {
            status: "closed",
            filled: D.unsafe("5"),
            cost: D.unsafe("0.0001"),
            averagePrice: Option.some(D.unsafe("0.00002")),
            fees: { SHIB: D.unsafe("0.005") }
          }, "0.00002", "5")], balances: [], prices: [] }, 11)
          yield* p.write({ orders: [paperOrder(1, { status: "canceled" })], balances: [["HBAR", { free: D.unsafe("7"), used: D.ZERO }]], prices: [] }, 12)
          const book = yield* p.load
          assert.isTrue(book.exists)
          assert.strictEqual(book.seq, 3)
          assert.deepStrictEqual(book.open.map((o) => [o.record.id, D.format(o.price), D.format(o.quantity), o.seq]), [
            ["dry_run_3", "0.00001", "123456789.123", 3]
          ])
          assert.deepStrictEqual(
            [...book.balances].map(([a, b]) => [a, D.format(b.free), D.format(b.used)]).sort(),
            [["HBAR", "7", "0"], ["USDT", "999.000000001", "1234.5"]]
          )
          assert.deepStrictEqual([...book.prices].map(([s, x]) => [s, D.format(x)]), [["SHIB/USDT", "0.0000123"]])
          assert.deepStrictEqual(
            Option.map(yield* p.order("dry_run_2"), (o) => [o.status, text(o.filled), text(o.price), text(o.cost), text(o.averagePrice), feesText(o.fees)]),
            Option.some(["closed", "5", "0.00002", "0.0001", "0.00002", { SHIB: "0.005" }])
          )
          assert.deepStrictEqual(Option.map(yield* p.byClientOrderId("oo_1"), (o) => o.status), Option.some("canceled"))
          assert.isTrue(Option.isNone(yield* p.order("dry_run_9")))
          assert.isTrue(Option.isNone(yield* p.byClientOrderId("oo_9")))
          assert.deepStrictEqual((yield* p.orders("SHIB/USDT")).map((o) => o.id), ["dry_run_1", "dry_run_2"])
          assert.deepStrictEqual((yield* p.orders("SHIB/USDT", 1002)).map((o) => o.id), ["dry_run_2"])
          assert.deepStrictEqual((yield* p.orders("SHIB/USDT", undefined, 1001)).map((o) => o.id), ["dry_run_1"])
          assert.deepStrictEqual((yield* p.orders("HBAR/USDT", 5000, 5000)).map((o) => o.id), ["dry_run_3"])
          yield* p.write(noChange, 13)
        }),
        store.journal
      ))

    test("whether a trigger order's trigger fired is written when it fires and loaded back", (store) =>
      Effect.provide(
        Effect.gen(function*() {
          const p = yield* paper
          const stop = (seq: number, triggeredAt?: number): PaperOrder => {
            const o = paperOrder(seq, { type: "stop-loss-limit", triggerPrice: Option.some(D.unsafe("0.00002")) })
            return triggeredAt === undefined ? o : { ...o, triggeredAt }
          }
          yield* p.write({ orders: [stop(1), stop(2)], balances: [], prices: [] }, 10)
          yield* p.write({ orders: [stop(2, 11)], balances: [], prices: [] }, 11) // the second one's trigger fires
          const book = yield* p.load
          assert.deepStrictEqual(book.open.map((o) => [o.record.id, o.triggeredAt]), [["dry_run_1", undefined], ["dry_run_2", 11]])
        }),
        store.journal
      ))

    test("a client order id used again finds its latest order", (store) =>
      Effect.provide(
        Effect.gen(function*() {
          const p = yield* paper
          yield* p.write({ orders: [paperOrder(1, { clientOrderId: "oo_same", status: "canceled" })], balances: [], prices: [] }, 1)
          yield* p.write({ orders: [paperOrder(2, { clientOrderId: "oo_same" })], balances: [], prices: [] }, 2)
          assert.deepStrictEqual(Option.map(yield* p.byClientOrderId("oo_same"), (o) => o.id), Option.some("dry_run_2"))
        }),
        store.journal
      ))

    test("a change of more orders than one statement takes is written whole", (store) =>
      Effect.provide(
        Effect.gen(function*() {
          const p = yield* paper
          const orders = Array.from({ length: 1234 }, (_, i) => paperOrder(i + 1))
          yield* p.write({ orders, balances: [], prices: [] }, 1)
          const book = yield* p.load
          assert.strictEqual(book.open.length, 1234)
          assert.strictEqual(book.seq, 1234)
        }),
        store.journal
      ))

    if (backend.name !== "memory") {
      test("concurrent creates, cancels and fills land in order: the next session finds the same book", (store) =>
        Effect.gen(function*() {
          const session = DryRunExchangeLayer({ journal: store.journal, price: 0.5, balances: { USDT: 100_000 } }).pipe(
            Layer.provide(Logger.layer([]))
          )
          const first = yield* Effect.provide(
            Effect.gen(function*() {
              const ids = yield* Effect.forEach(Array.from({ length: 60 }, (_, i) => i), (i) =>
                createLimitBuy(0.1 + i * 0.001, 10), { concurrency: "unbounded" })
              yield* Effect.all([
                Effect.forEach(ids.filter((_, i) => i % 3 === 0), cancelOrder, { concurrency: "unbounded", discard: true }),
                DryRunMarket.use((m) => m.setPrice(0.12)), // fills the buys at 0.12 and above
                Effect.forEach(Array.from({ length: 20 }, () => 0), () => createLimitBuy(0.09, 20), { concurrency: "unbounded", discard: true })
              ], { concurrency: "unbounded", discard: true })
              return yield* bookNow
            }),
            session
          )
          const second = yield* Effect.provide(bookNow, session)
          assert.deepStrictEqual(second, first)
          assert.strictEqual(first.all.length, 80)
        }))

      test("a balance set through DryRunMarket.setBalance is written, and the next session starts from it", (store) =>
        Effect.gen(function*() {
          const session = DryRunExchangeLayer({ journal: store.journal, price: 0.1, balances: { USDT: 1000 } }).pipe(
            Layer.provide(Logger.layer([]))
          )
          yield* Effect.provide(
            Effect.gen(function*() {
              yield* DryRunMarket.use((m) => m.setBalance("HBAR", 42.5))
              yield* DryRunMarket.use((m) => m.setBalance("USDT", 7))
            }),
            session
          )
          yield* Effect.provide(
            Effect.gen(function*() {
              assert.strictEqual(text(yield* getBaseAssetBalance()), "42.5")
              assert.strictEqual(text(yield* getUsdtBalance()), "7", "the seed balances do not come back")
            }),
            session
          )
        }))

      test("a dry-run session saved by the previous release (a JSON book) opens and carries on", (store) =>
        Effect.gen(function*() {
          const client = Option.getOrThrow(store.client)
          yield* Effect.provide(
            Effect.gen(function*() {
              const sql = yield* SqlClient.SqlClient
              yield* migrateJournal(3)
              const [first, ...rest] = LEGACY_ORDER_ROWS.map((r) => ({ ...r }))
              yield* sql`INSERT INTO orderops_orders ${sql.insert([first!, ...rest])}`
              yield* sql`INSERT INTO orderops_state ${sql.insert({ key: DRY_RUN_STATE_KEY, value: LEGACY_BOOK_JSON, updated_at: 1 })}`
            }),
            client
          )
          const session = DryRunExchangeLayer({ journal: store.journal, price: 0.5, balances: { USDT: 1 } }).pipe(
            Layer.provide(Logger.layer([]))
          )
          yield* Effect.provide(
            Effect.gen(function*() {
              // the saved book, not the seed options
              assert.strictEqual(text(yield* getUsdtBalance()), "915.24575")
              assert.strictEqual(text(yield* getBaseAssetBalance()), "249.9")
              assert.deepStrictEqual(yield* DryRunMarket.use((m) => m.price()), Option.some(0.085))
              assert.deepStrictEqual((yield* fetchOpenOrders()).map((o) => o.id), ["dry_run_1", "dry_run_3"])
              assert.deepStrictEqual([...(yield* activeOrders).keys()].sort(), ["dry_run_1", "dry_run_3"])
              assert.deepStrictEqual(
                (yield* fetchAllOrders()).map((o) => [o.id, o.status]),
                [["dry_run_1", "open"], ["dry_run_2", "closed"], ["dry_run_3", "open"], ["dry_run_4", "canceled"], ["dry_run_5", "closed"]]
              )
              // a market order of the saved book: its stored price was its fill, now its average and cost
              const market = yield* fetchOrder("dry_run_5")
              assert.deepStrictEqual([text(market.price), text(market.averagePrice)], [null, "0.085"])
              // it carries on: ids continue, the open buy still fills, its lock is released
              assert.strictEqual(yield* createLimitBuy(0.07, 100), "dry_run_6")
              yield* cancelOrder("dry_run_6")
              yield* DryRunMarket.use((m) => m.setPrice(0.08))
              assert.deepStrictEqual([...(yield* activeOrders).keys()], ["dry_run_3"])
              assert.strictEqual(text(yield* getUsdtBalance()), "915.24575")
              assert.strictEqual(text(yield* getBaseAssetBalance()), "1248.9") // 249.9 + 999
            }),
            session
          )
          const left = yield* Effect.provide(
            Effect.flatMap(Effect.service(SqlClient.SqlClient), (sql) => sql`SELECT key FROM orderops_state`),
            client
          )
          assert.deepStrictEqual(left, [], "the JSON book is gone once migrated")
          // and a second session resumes the migrated rows
          yield* Effect.provide(
            Effect.gen(function*() {
              assert.strictEqual(text(yield* getBaseAssetBalance()), "1248.9")
              assert.deepStrictEqual((yield* fetchOpenOrders()).map((o) => o.id), ["dry_run_3"])
              assert.strictEqual((yield* fetchAllOrders()).length, 6)
            }),
            session
          )
        }))
    }
  })

for (const backend of backends) contract(backend)
