/**
 * The order journal: one conformance suite run against every layer (memory, a
 * SQLite file and, when `DATABASE_URL` is set, PostgreSQL), then what is specific
 * to the durable ones: migrations, bad files, and a dry-run session resuming.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { join, resolve } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, Logger, Option, type Scope } from "effect"
import { SqlClient } from "effect/sql"
import {
  activeOrders,
  cancelOrder,
  createLimitBuy,
  createLimitSell,
  DryRunExchangeLayer,
  DryRunMarket,
  fetchAllOrders,
  fetchOpenOrders,
  getBaseAssetBalance,
  getUsdtBalance
} from "../src/index.ts"
import { JournalError } from "../src/errors/JournalError.ts"
import { DRY_RUN_STATE_KEY } from "../src/layers/dryrun/DryRun.ts"
import { JournalLayer, JournalLayerFromEnv, journalSyncFromEnv, redactUrl, SqliteJournalLayer } from "../src/layers/journal/Journal.ts"
import * as SqliteClient from "../src/layers/journal/SqliteClient.ts"
import { MIGRATIONS_TABLE, migrateJournal } from "../src/layers/journal/SqlJournal.ts"
import * as D from "../src/services/Decimal.ts"
import { type OrderIntent, OrderJournal, UNATTRIBUTED_VENUE } from "../src/services/OrderJournal.ts"
import type { OrderRecord } from "../src/services/OrderRecord.ts"
import { limitRecord } from "./support/amounts.ts"
import { type Backend, memory, postgres, sqlite, type Store, tempDir } from "./support/journal-backends.ts"

// ---- fixtures ---------------------------------------------------------------

/** The venue the fixtures' orders go to. */
const VENUE = "binanceus"

const intent = (clientOrderId: string, over: Partial<OrderIntent> = {}): OrderIntent => ({
  clientOrderId,
  venue: VENUE,
  symbol: "SHIB/USDT",
  side: "buy",
  type: "limit",
  price: Option.some(D.unsafe("0.00001")),
  quantity: D.unsafe("123456789.123"),
  createdAt: 1_700_000_000_000,
  ...over
})

const record = (clientOrderId: string, over: Partial<OrderRecord> = {}): OrderRecord =>
  limitRecord({ id: `x-${clientOrderId}`, clientOrderId, symbol: "SHIB/USDT", price: "0.00001", quantity: "123456789.123" }, {
    timestamp: 1_700_000_000_100,
    ...over
  })

const journal = Effect.service(OrderJournal)

const withStore = <A, E>(backend: Backend, f: (store: Store) => Effect.Effect<A, E, Scope.Scope>) =>
  Effect.scoped(Effect.flatMap(backend.store, f))

// ---- the conformance suite ----------------------------------------------------

const conformance = (backend: Backend) =>
  describe.skipIf(backend.skip !== undefined)(`OrderJournal conformance: ${backend.name}`, () => {
    const test = (name: string, body: (store: Store) => Effect.Effect<void, unknown, Scope.Scope>) =>
      it.live(name, () => withStore(backend, body))
    const inJournal = <A, E>(store: Store, body: Effect.Effect<A, E, OrderJournal>) =>
      Effect.provide(body, store.journal)

    test("an intent, the exchange's answer and later changes round-trip with exact decimal text", (store) =>
      inJournal(
        store,
        Effect.gen(function*() {
          const j = yield* journal
          yield* j.recordIntent(intent("oo_1"))
          const [pending] = yield* j.entries()
          assert.deepStrictEqual(pending, {
            clientOrderId: "oo_1",
            venue: VENUE,
            orderId: null,
            symbol: "SHIB/USDT",
            side: "buy",
            type: "limit",
            price: "0.00001",
            triggerPrice: null,
            quantity: "123456789.123",
            filled: "0",
            cost: "0",
            fees: {},
            listId: null,
            status: "pending",
            createdAt: 1_700_000_000_000,
            updatedAt: 1_700_000_000_000,
            detail: null
          })
          yield* j.recordOrder(record("oo_1"), 1_700_000_000_200, VENUE)
          yield* j.recordOrder(record("oo_1", { filled: D.unsafe("100000000.1") }), 1_700_000_000_300, VENUE)
          const [partial] = yield* j.entries()
          assert.strictEqual(partial?.orderId, "x-oo_1")
          assert.strictEqual(partial?.status, "open")
          assert.strictEqual(partial?.filled, "100000000.1")
          assert.strictEqual(partial?.createdAt, 1_700_000_000_000, "created_at stays the intent's time")
          assert.strictEqual(partial?.updatedAt, 1_700_000_000_300)
          yield* j.recordOrder(
            record("oo_1", {
              filled: D.unsafe("123456789.123"),
              cost: D.unsafe("1234.56789123"),
              averagePrice: Option.some(D.unsafe("0.00001")),
              fees: { SHIB: D.unsafe("123456.789123"), BNB: D.unsafe("0.00000001") },
              status: "closed"
            }),
            1_700_000_000_400,
            VENUE
          )
          const [closed] = yield* j.entries()
          assert.strictEqual(closed?.status, "closed")
          assert.strictEqual(closed?.filled, "123456789.123")
          assert.strictEqual(closed?.price, "0.00001")
          assert.strictEqual(closed?.cost, "1234.56789123")
          assert.deepStrictEqual(closed?.fees, { SHIB: "123456.789123", BNB: "0.00000001" })
        })
      ))

    test("a market order keeps a null price; its fill is journaled as its cost; a trigger order keeps its trigger and list", (store) =>
      inJournal(
        store,
        Effect.gen(function*() {
          const j = yield* journal
          yield* j.recordIntent(intent("oo_m", { type: "market", side: "sell", price: Option.none() }))
          yield* j.recordOrder(record("oo_m", { type: "market", side: "sell", price: Option.none() }), 1, VENUE)
          assert.strictEqual((yield* j.entries())[0]?.price, null)
          yield* j.recordOrder(
            record("oo_m", {
              type: "market",
              side: "sell",
              price: Option.none(),
              filled: D.unsafe("123456789.123"),
              cost: D.unsafe("1518.5185062129"),
              averagePrice: Option.some(D.unsafe("0.0000123")),
              status: "closed"
            }),
            2,
            VENUE
          )
          const [e] = yield* j.entries()
          assert.deepStrictEqual([e?.price, e?.cost, e?.status], [null, "1518.5185062129", "closed"])
          yield* j.recordIntent(intent("oo_s", { type: "stop-loss-limit", triggerPrice: Option.some(D.unsafe("0.000009")), createdAt: 3 }))
          assert.strictEqual((yield* j.entries()).find((x) => x.clientOrderId === "oo_s")?.triggerPrice, "0.000009")
          yield* j.recordOrder(
            record("oo_s", { type: "stop-loss-limit", triggerPrice: Option.some(D.unsafe("0.000009")), listId: Option.some("12") }),
            4,
            VENUE
          )
          const stop = (yield* j.entries()).find((x) => x.clientOrderId === "oo_s")
          assert.deepStrictEqual([stop?.type, stop?.price, stop?.triggerPrice, stop?.listId], ["stop-loss-limit", "0.00001", "0.000009", "12"])
        })
      ))

    test("unsettled() gives the symbol's pending and open entries, oldest first", (store) =>
      inJournal(
        store,
        Effect.gen(function*() {
          const j = yield* journal
          yield* j.recordIntent(intent("oo_open", { createdAt: 30 }))
          yield* j.recordOrder(record("oo_open"), 31, VENUE)
          yield* j.recordIntent(intent("oo_pending", { createdAt: 20 }))
          yield* j.recordIntent(intent("oo_closed", { createdAt: 10 }))
          yield* j.recordOrder(record("oo_closed", { status: "closed", filled: D.unsafe("123456789.123") }), 11, VENUE)
          yield* j.recordIntent(intent("oo_failed", { createdAt: 5 }))
          yield* j.markFailed("oo_failed", "Account has insufficient balance", 6)
          yield* j.recordIntent(intent("oo_other", { symbol: "HBAR/USDT", createdAt: 1 }))
          const unsettled = yield* j.unsettled(VENUE, "SHIB/USDT")
          assert.deepStrictEqual(unsettled.map((e) => [e.clientOrderId, e.status]), [
            ["oo_pending", "pending"],
            ["oo_open", "open"]
          ])
          assert.deepStrictEqual((yield* j.unsettled(VENUE, "HBAR/USDT")).map((e) => e.clientOrderId), ["oo_other"])
          const [failed] = (yield* j.entries()).filter((e) => e.clientOrderId === "oo_failed")
          assert.strictEqual(failed?.status, "failed")
          assert.strictEqual(failed?.detail, "Account has insufficient balance")
        })
      ))

    test("unsettled(venue, symbol) gives only that venue's entries; entries() filters by venue", (store) =>
      inJournal(
        store,
        Effect.gen(function*() {
          const j = yield* journal
          yield* j.recordIntent(intent("oo_live_pending", { createdAt: 10 }))
          yield* j.recordIntent(intent("oo_live_open", { createdAt: 20 }))
          yield* j.recordOrder(record("oo_live_open"), 21, VENUE)
          yield* j.recordIntent(intent("oo_dry_pending", { venue: "dry-run", createdAt: 15 }))
          yield* j.recordIntent(intent("oo_dry_open", { venue: "dry-run", createdAt: 25 }))
          yield* j.recordOrder(record("oo_dry_open"), 26, "dry-run")
          yield* j.recordIntent(intent("oo_dry_hbar", { venue: "dry-run", symbol: "HBAR/USDT", createdAt: 30 }))
          const ids = (es: ReadonlyArray<{ readonly clientOrderId: string }>) => es.map((e) => e.clientOrderId)
          assert.deepStrictEqual(ids(yield* j.unsettled(VENUE, "SHIB/USDT")), ["oo_live_pending", "oo_live_open"])
          assert.deepStrictEqual(ids(yield* j.unsettled("dry-run", "SHIB/USDT")), ["oo_dry_pending", "oo_dry_open"])
          assert.deepStrictEqual(ids(yield* j.unsettled("dry-run", "HBAR/USDT")), ["oo_dry_hbar"])
          assert.deepStrictEqual(ids(yield* j.unsettled(VENUE, "HBAR/USDT")), [])
          assert.deepStrictEqual(ids(yield* j.unsettled("kraken", "SHIB/USDT")), [])
          assert.deepStrictEqual(ids(yield* j.entries({ venue: "dry-run" })), ["oo_dry_hbar", "oo_dry_open", "oo_dry_pending"])
          assert.deepStrictEqual(ids(yield* j.entries({ venue: "dry-run", symbol: "SHIB/USDT", limit: 1 })), ["oo_dry_open"])
          assert.deepStrictEqual(ids(yield* j.entries({ venue: VENUE })), ["oo_live_open", "oo_live_pending"])
          assert.deepStrictEqual(
            (yield* j.entries()).map((e) => [e.clientOrderId, e.venue]),
            [
              ["oo_dry_hbar", "dry-run"],
              ["oo_dry_open", "dry-run"],
              ["oo_live_open", VENUE],
              ["oo_dry_pending", "dry-run"],
              ["oo_live_pending", VENUE]
            ]
          )
        })
      ))

    test("recordOrder: an insert (an adopted order) takes the venue, an update keeps the entry's", (store) =>
      inJournal(
        store,
        Effect.gen(function*() {
          const j = yield* journal
          const venueOf = (id: string) =>
            Effect.map(j.entries(), (es) => es.find((e) => e.clientOrderId === id)?.venue)
          // adoption: no intent, the exchange's view inserts the entry
          yield* j.recordOrder(record("oo_stray"), 5, "dry-run")
          assert.strictEqual(yield* venueOf("oo_stray"), "dry-run")
          assert.deepStrictEqual((yield* j.unsettled("dry-run", "SHIB/USDT")).map((e) => e.clientOrderId), ["oo_stray"])
          // a later view, whoever reports it, keeps the entry's venue
          yield* j.recordOrder(record("oo_stray", { filled: D.unsafe("1") }), 6, VENUE)
          assert.strictEqual(yield* venueOf("oo_stray"), "dry-run")
          assert.deepStrictEqual(yield* j.unsettled(VENUE, "SHIB/USDT"), [])
          // an intent's venue survives the answer and the fill
          yield* j.recordIntent(intent("oo_own"))
          yield* j.recordOrder(record("oo_own"), 7, "dry-run")
          yield* j.recordOrder(record("oo_own", { status: "closed", filled: D.unsafe("123456789.123") }), 8, "dry-run")
          assert.strictEqual(yield* venueOf("oo_own"), VENUE)
          // a failed intent found later (adopted) keeps its venue too
          yield* j.recordIntent(intent("oo_late"))
          yield* j.markFailed("oo_late", "never reached the exchange", 9)
          yield* j.recordOrder(record("oo_late"), 10, VENUE)
          assert.strictEqual(yield* venueOf("oo_late"), VENUE)
        })
      ))

    test("an entry with no venue (journaled before venues) is offered to every venue until one reports it", (store) =>
      inJournal(
        store,
        Effect.gen(function*() {
          const j = yield* journal
          yield* j.recordIntent(intent("oo_legacy", { venue: UNATTRIBUTED_VENUE, createdAt: 1 }))
          yield* j.recordIntent(intent("oo_live", { createdAt: 2 }))
          yield* j.recordIntent(intent("oo_dry", { venue: "dry-run", createdAt: 3 }))
          const ids = (es: ReadonlyArray<{ readonly clientOrderId: string }>) => es.map((e) => e.clientOrderId)
          assert.deepStrictEqual(ids(yield* j.unsettled(VENUE, "SHIB/USDT")), ["oo_legacy", "oo_live"])
          assert.deepStrictEqual(ids(yield* j.unsettled("dry-run", "SHIB/USDT")), ["oo_legacy", "oo_dry"])
          // the venue that reports the order claims the entry
          yield* j.recordOrder(record("oo_legacy"), 4, "dry-run")
          const [claimed] = (yield* j.entries()).filter((e) => e.clientOrderId === "oo_legacy")
          assert.strictEqual(claimed?.venue, "dry-run")
          assert.strictEqual(claimed?.status, "open")
          assert.deepStrictEqual(ids(yield* j.unsettled(VENUE, "SHIB/USDT")), ["oo_live"])
          assert.deepStrictEqual(ids(yield* j.unsettled("dry-run", "SHIB/USDT")), ["oo_legacy", "oo_dry"])
          // and keeps it
          yield* j.recordOrder(record("oo_legacy", { filled: D.unsafe("2") }), 5, VENUE)
          assert.strictEqual((yield* j.entries({ venue: "dry-run" })).find((e) => e.clientOrderId === "oo_legacy")?.filled, "2")
        })
      ))

    test("status only moves forward: a final status is never overwritten", (store) =>
      inJournal(
        store,
        Effect.gen(function*() {
          const j = yield* journal
          const status = (id: string) =>
            Effect.map(j.entries(), (es) => es.find((e) => e.clientOrderId === id)?.status)
          // a stale "open" after the fill
          yield* j.recordIntent(intent("oo_a"))
          yield* j.recordOrder(record("oo_a", { status: "closed", filled: D.unsafe("123456789.123") }), 2, VENUE)
          yield* j.recordOrder(record("oo_a", { status: "open" }), 3, VENUE)
          assert.strictEqual(yield* status("oo_a"), "closed")
          // markFailed does not touch a final entry
          yield* j.markFailed("oo_a", "late", 4)
          assert.strictEqual(yield* status("oo_a"), "closed")
          // a second intent with the same id does not reset it
          yield* j.recordIntent(intent("oo_a", { createdAt: 99 }))
          assert.strictEqual(yield* status("oo_a"), "closed")
          // cancelled stays cancelled
          yield* j.recordOrder(record("oo_c", { status: "canceled" }), 5, VENUE)
          yield* j.recordOrder(record("oo_c", { status: "open" }), 6, VENUE)
          assert.strictEqual(yield* status("oo_c"), "canceled")
          // failed yields to the exchange's view (recovery adopting an order marked failed)
          yield* j.recordIntent(intent("oo_f"))
          yield* j.markFailed("oo_f", "never reached the exchange", 7)
          assert.strictEqual(yield* status("oo_f"), "failed")
          yield* j.recordOrder(record("oo_f"), 8, VENUE)
          assert.strictEqual(yield* status("oo_f"), "open")
          // and markFailed does not apply to a failed entry twice (detail kept)
          yield* j.recordIntent(intent("oo_g"))
          yield* j.markFailed("oo_g", "first", 9)
          yield* j.markFailed("oo_g", "second", 10)
          assert.strictEqual((yield* j.entries()).find((e) => e.clientOrderId === "oo_g")?.detail, "first")
          // markFailed on an unknown id is a no-op
          yield* j.markFailed("oo_unknown", "nothing", 11)
          assert.isUndefined(yield* status("oo_unknown"))
        })
      ))

    test("entries() lists newest first, by symbol, up to a limit", (store) =>
      inJournal(
        store,
        Effect.gen(function*() {
          const j = yield* journal
          for (let i = 1; i <= 5; i++) {
            yield* j.recordIntent(intent(`oo_${i}`, { createdAt: i * 10, symbol: i % 2 === 0 ? "HBAR/USDT" : "SHIB/USDT" }))
          }
          assert.deepStrictEqual((yield* j.entries()).map((e) => e.clientOrderId), ["oo_5", "oo_4", "oo_3", "oo_2", "oo_1"])
          assert.deepStrictEqual((yield* j.entries({ symbol: "HBAR/USDT" })).map((e) => e.clientOrderId), ["oo_4", "oo_2"])
          assert.deepStrictEqual((yield* j.entries({ limit: 2 })).map((e) => e.clientOrderId), ["oo_5", "oo_4"])
        })
      ))

    test("two fibers writing at once: both sets land", (store) =>
      inJournal(
        store,
        Effect.gen(function*() {
          const j = yield* journal
          const writer = (name: string) =>
            Effect.forEach(
              Array.from({ length: 40 }, (_, i) => i),
              (i) =>
                Effect.gen(function*() {
                  const id = `oo_${name}_${i}`
                  yield* j.recordIntent(intent(id, { createdAt: 1000 + i }))
                  yield* j.recordOrder(record(id, { filled: D.unsafe(String(i / 1000)) }), 2000 + i, VENUE)
                }),
              { discard: true }
            )
          yield* Effect.all([writer("a"), writer("b")], { concurrency: "unbounded", discard: true })
          const entries = yield* j.entries()
          assert.strictEqual(entries.length, 80)
          assert.strictEqual(new Set(entries.map((e) => e.clientOrderId)).size, 80)
          assert.isTrue(entries.every((e) => e.status === "open" && e.orderId === `x-${e.clientOrderId}`))
          assert.strictEqual(entries.find((e) => e.clientOrderId === "oo_b_39")?.filled, "0.039")
        })
      ))

    if (backend.name !== "memory") {
      test("entries and the paper book survive closing and reopening the journal", (store) =>
        Effect.gen(function*() {
          yield* inJournal(
            store,
            Effect.gen(function*() {
              const j = yield* journal
              assert.isTrue(j.durable)
              yield* j.recordIntent(intent("oo_keep"))
              yield* j.recordOrder(record("oo_keep", { filled: D.unsafe("0.5") }), 5, VENUE)
              yield* j.paper.write({ orders: [], balances: [["USDT", { free: D.unsafe("12.5"), used: D.ZERO }]], prices: [] }, 5)
            })
          )
          yield* inJournal(
            store,
            Effect.gen(function*() {
              const j = yield* journal
              const [e] = yield* j.unsettled(VENUE, "SHIB/USDT")
              assert.strictEqual(e?.clientOrderId, "oo_keep")
              assert.strictEqual(e?.filled, "0.5")
              assert.strictEqual(e?.quantity, "123456789.123")
              assert.strictEqual(D.format((yield* j.paper.load).balances.get("USDT")!.free), "12.5")
            })
          )
        }))

      test("migrates an empty database to the current schema", (store) =>
        Effect.gen(function*() {
          yield* inJournal(store, Effect.asVoid(journal))
          const client = Option.getOrThrow(store.client)
          const applied = yield* Effect.provide(
            Effect.gen(function*() {
              const sql = yield* SqlClient.SqlClient
              return yield* sql<{ migration_id: number; name: string }>`
                SELECT migration_id, name FROM ${sql(MIGRATIONS_TABLE)} ORDER BY migration_id`
            }),
            client
          )
          assert.deepStrictEqual(applied.map((r) => [Number(r.migration_id), r.name]), [
            [1, "create_orders"],
            [2, "add_state_and_detail"],
            [3, "add_venue"],
            [4, "create_paper_tables"],
            [5, "drop_status_indexes"],
            [6, "add_order_amounts_and_trades"],
            [7, "add_paper_triggered_at"],
            [8, "add_unsettled_index"]
          ])
          // a second open applies nothing and keeps working
          const book = yield* inJournal(store, Effect.flatMap(journal, (j) => j.paper.load))
          assert.isFalse(book.exists)
        }))

      test("migrates a database at the previous schema (0001) and keeps its rows", (store) =>
        Effect.gen(function*() {
          const client = Option.getOrThrow(store.client)
          // A journal as the first release left it: schema 0001, rows without `detail`.
          yield* Effect.provide(
            Effect.gen(function*() {
              const sql = yield* SqlClient.SqlClient
              assert.deepStrictEqual(yield* migrateJournal(1), [1])
              yield* sql`INSERT INTO orderops_orders ${
                sql.insert([
                  {
                    client_order_id: "oo_old_open",
                    order_id: "77",
                    symbol: "SHIB/USDT",
                    side: "sell",
                    type: "limit",
                    price: "0.00002",
                    quantity: "987654321.5",
                    filled: "0.5",
                    status: "open",
                    created_at: 1_600_000_000_000,
                    updated_at: 1_600_000_000_001
                  },
                  {
                    client_order_id: "oo_old_pending",
                    order_id: null,
                    symbol: "SHIB/USDT",
                    side: "buy",
                    type: "market",
                    price: null,
                    quantity: "10",
                    filled: "0",
                    status: "pending",
                    created_at: 1_600_000_000_002,
                    updated_at: 1_600_000_000_002
                  }
                ])
              }`
            }),
            client
          )
          yield* inJournal(
            store,
            Effect.gen(function*() {
              const j = yield* journal
              const unsettled = yield* j.unsettled(VENUE, "SHIB/USDT")
              assert.deepStrictEqual(unsettled, [
                {
                  clientOrderId: "oo_old_open",
                  venue: "",
                  orderId: "77",
                  symbol: "SHIB/USDT",
                  side: "sell",
                  type: "limit",
                  price: "0.00002",
                  triggerPrice: null,
                  quantity: "987654321.5",
                  filled: "0.5",
                  cost: null, // never recorded before migration 0006
                  fees: {},
                  listId: null,
                  status: "open",
                  detail: null,
                  createdAt: 1_600_000_000_000,
                  updatedAt: 1_600_000_000_001
                },
                {
                  clientOrderId: "oo_old_pending",
                  venue: "",
                  orderId: null,
                  symbol: "SHIB/USDT",
                  side: "buy",
                  type: "market",
                  price: null,
                  triggerPrice: null,
                  quantity: "10",
                  filled: "0",
                  cost: null,
                  fees: {},
                  listId: null,
                  status: "pending",
                  detail: null,
                  createdAt: 1_600_000_000_002,
                  updatedAt: 1_600_000_000_002
                }
              ])
              // the new column and table work on the migrated rows
              yield* j.markFailed("oo_old_pending", "never reached the exchange", 1_600_000_000_003)
              const failed = (yield* j.entries()).find((e) => e.clientOrderId === "oo_old_pending")
              assert.strictEqual(failed?.detail, "never reached the exchange")
              yield* j.paper.write({ orders: [], balances: [], prices: [["HBAR/USDT", D.unsafe("0.1")]] }, 1)
              assert.isTrue((yield* j.paper.load).exists)
            })
          )
        }))

      test("migrates a database at schema 0002 (no venue) and keeps its rows, as unattributed entries", (store) =>
        Effect.gen(function*() {
          const client = Option.getOrThrow(store.client)
          // A journal as the second release left it: schema 0002, rows and a saved book without venues.
          yield* Effect.provide(
            Effect.gen(function*() {
              const sql = yield* SqlClient.SqlClient
              assert.deepStrictEqual(yield* migrateJournal(2), [1, 2])
              const row = {
                order_id: null,
                symbol: "SHIB/USDT",
                side: "buy",
                type: "limit",
                price: "0.00001",
                quantity: "123456789.123",
                filled: "0",
                detail: null
              }
              yield* sql`INSERT INTO orderops_orders ${
                sql.insert([
                  { ...row, client_order_id: "oo_v2_pending", status: "pending", created_at: 1_650_000_000_000, updated_at: 1_650_000_000_000 },
                  { ...row, client_order_id: "oo_v2_open", order_id: "42", status: "open", filled: "0.5", created_at: 1_650_000_000_001, updated_at: 1_650_000_000_002 },
                  { ...row, client_order_id: "oo_v2_failed", status: "failed", detail: "Account has insufficient balance", created_at: 1_650_000_000_003, updated_at: 1_650_000_000_004 }
                ])
              }`
              yield* sql`INSERT INTO orderops_state ${sql.insert({ key: "dry-run/book", value: "{\"v\":2}", updated_at: 1 })}`
            }),
            client
          )
          yield* inJournal(
            store,
            Effect.gen(function*() {
              const j = yield* journal
              assert.deepStrictEqual(
                (yield* j.entries()).map((e) => [e.clientOrderId, e.venue, e.status, e.orderId, e.filled, e.detail, e.createdAt, e.updatedAt]),
                [
                  ["oo_v2_failed", "", "failed", null, "0", "Account has insufficient balance", 1_650_000_000_003, 1_650_000_000_004],
                  ["oo_v2_open", "", "open", "42", "0.5", null, 1_650_000_000_001, 1_650_000_000_002],
                  ["oo_v2_pending", "", "pending", null, "0", null, 1_650_000_000_000, 1_650_000_000_000]
                ]
              )
              // unattributed: every venue is offered them, until one reports the order
              for (const venue of [VENUE, "dry-run"]) {
                assert.deepStrictEqual((yield* j.unsettled(venue, "SHIB/USDT")).map((e) => e.clientOrderId), ["oo_v2_pending", "oo_v2_open"])
              }
              yield* j.recordOrder(record("oo_v2_open", { id: "42", filled: D.unsafe("1") }), 1_650_000_000_005, VENUE)
              assert.deepStrictEqual((yield* j.unsettled("dry-run", "SHIB/USDT")).map((e) => e.clientOrderId), ["oo_v2_pending"])
              assert.deepStrictEqual(
                (yield* j.unsettled(VENUE, "SHIB/USDT")).map((e) => [e.clientOrderId, e.venue]),
                [["oo_v2_pending", ""], ["oo_v2_open", VENUE]]
              )
              // new entries carry their venue
              yield* j.recordIntent(intent("oo_v3", { venue: "dry-run", createdAt: 1_650_000_000_010 }))
              assert.strictEqual((yield* j.entries({ venue: "dry-run" }))[0]?.clientOrderId, "oo_v3")
            })
          )
          const applied = yield* Effect.provide(
            Effect.flatMap(Effect.service(SqlClient.SqlClient), (sql) =>
              sql<{ migration_id: number }>`SELECT migration_id FROM ${sql(MIGRATIONS_TABLE)} ORDER BY migration_id`),
            client
          )
          assert.deepStrictEqual(applied.map((r) => Number(r.migration_id)), [1, 2, 3, 4, 5, 6, 7, 8])
        }))
    }
  })

conformance(memory)
conformance(sqlite)
conformance(postgres)

// ---- SQLite files -------------------------------------------------------------

const openFails = (filename: string) =>
  Effect.flip(Effect.provide(Effect.asVoid(journal), SqliteJournalLayer(filename)))

describe("SQLite journal files", () => {
  it.live("creates the file and its parent directories, in WAL mode", () =>
    Effect.scoped(Effect.gen(function*() {
      const dir = yield* tempDir
      const filename = join(dir, "a", "b", "journal.sqlite")
      const j = yield* Effect.provide(journal, SqliteJournalLayer(filename))
      assert.strictEqual(j.location, filename)
      assert.isTrue(existsSync(filename))
      const mode = yield* Effect.provide(
        Effect.flatMap(Effect.service(SqlClient.SqlClient), (sql) => sql<{ journal_mode: string }>`PRAGMA journal_mode`),
        SqliteClient.layer({ filename })
      )
      assert.strictEqual(mode[0]?.journal_mode, "wal")
    })))

  it.live("a corrupt file fails with an error naming it, and is left byte for byte", () =>
    Effect.scoped(Effect.gen(function*() {
      const dir = yield* tempDir
      const filename = join(dir, "journal.sqlite")
      const garbage = Buffer.from("this is not a database\n".repeat(300))
      writeFileSync(filename, garbage)
      const error = yield* openFails(filename)
      assert.instanceOf(error, JournalError)
      assert.strictEqual(error.location, filename)
      assert.include(error.message, filename)
      assert.include(error.message, "NotADatabase")
      assert.isTrue(readFileSync(filename).equals(garbage), "the file is unchanged")
      assert.isFalse(existsSync(`${filename}-wal`))
    })))

  it.live("a journal whose header was damaged fails the same way; nothing is replaced", () =>
    Effect.scoped(Effect.gen(function*() {
      const dir = yield* tempDir
      const filename = join(dir, "journal.sqlite")
      yield* Effect.provide(
        Effect.flatMap(journal, (j) => j.recordIntent(intent("oo_precious"))),
        SqliteJournalLayer(filename)
      )
      const bytes = readFileSync(filename)
      bytes.write("NOT SQLITE HDR!\0", 0, "latin1") // the 16-byte magic string
      writeFileSync(filename, bytes)
      rmSync(`${filename}-wal`, { force: true })
      rmSync(`${filename}-shm`, { force: true })
      const error = yield* openFails(filename)
      assert.include(error.message, filename)
      assert.isTrue(readFileSync(filename).equals(bytes), "the file is unchanged")
    })))

  it.live("a directory in the file's place fails with an error naming it", () =>
    Effect.scoped(Effect.gen(function*() {
      const dir = yield* tempDir
      const filename = join(dir, "journal.sqlite")
      mkdirSync(filename)
      const error = yield* openFails(filename)
      assert.include(error.message, filename)
      assert.include(error.message, "IsDirectory")
    })))

  const isRoot = process.getuid?.() === 0
  if (isRoot) console.warn("journal tests: skipping the unreadable-file test: running as root, which reads any file")
  it.live.skipIf(isRoot)("an unreadable file fails with an error naming it, and is left as it was", () =>
    Effect.scoped(Effect.gen(function*() {
      const dir = yield* tempDir
      const filename = join(dir, "journal.sqlite")
      yield* Effect.provide(Effect.asVoid(journal), SqliteJournalLayer(filename))
      const before = readFileSync(filename)
      chmodSync(filename, 0o000)
      const error = yield* openFails(filename)
      chmodSync(filename, 0o600)
      assert.include(error.message, filename)
      assert.isTrue(readFileSync(filename).equals(before))
    })))

  it.live("a row the journal cannot read fails with a JournalError, not a wrong entry", () =>
    Effect.scoped(Effect.gen(function*() {
      const dir = yield* tempDir
      const filename = join(dir, "journal.sqlite")
      yield* Effect.provide(Effect.flatMap(journal, (j) => j.recordIntent(intent("oo_ok"))), SqliteJournalLayer(filename))
      yield* Effect.provide(
        Effect.flatMap(Effect.service(SqlClient.SqlClient), (sql) =>
          sql`UPDATE orderops_orders SET side = 'sideways' WHERE client_order_id = 'oo_ok'`),
        SqliteClient.layer({ filename })
      )
      const error = yield* Effect.flip(Effect.provide(Effect.flatMap(journal, (j) => j.entries()), SqliteJournalLayer(filename)))
      assert.strictEqual(error.operation, "entries")
      assert.strictEqual(error.location, filename)
      assert.include(error.message, "side")
    })))

  it.live("a parent path that is a file fails with an error naming it", () =>
    Effect.scoped(Effect.gen(function*() {
      const dir = yield* tempDir
      writeFileSync(join(dir, "file"), "x")
      const filename = join(dir, "file", "journal.sqlite")
      const error = yield* openFails(filename)
      assert.strictEqual(error.location, filename)
      assert.include(error.message, filename)
    })))
})

// ---- choosing a journal ---------------------------------------------------------

describe("JournalLayerFromEnv", () => {
  const fromEnv = (env: Record<string, string>) =>
    Effect.provide(journal, JournalLayerFromEnv.pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env })))))

  it.live("ORDEROPS_JOURNAL_SYNC: normal unless it says full; anything else fails the SQLite journal, naming the variable", () =>
    Effect.scoped(Effect.gen(function*() {
      const sync = (env: Record<string, string>) =>
        Effect.provide(journalSyncFromEnv, ConfigProvider.layer(ConfigProvider.fromEnv({ env })))
      assert.strictEqual(yield* sync({}), "normal")
      assert.strictEqual(yield* sync({ ORDEROPS_JOURNAL_SYNC: " " }), "normal")
      assert.strictEqual(yield* sync({ ORDEROPS_JOURNAL_SYNC: "FULL" }), "full")
      assert.strictEqual(yield* sync({ ORDEROPS_JOURNAL_SYNC: "normal" }), "normal")
      const dir = yield* tempDir
      const error = yield* Effect.flip(fromEnv({ ORDEROPS_JOURNAL: join(dir, "j.sqlite"), ORDEROPS_JOURNAL_SYNC: "off" }))
      assert.strictEqual(error._tag, "JournalError")
      assert.include(error.message, "ORDEROPS_JOURNAL_SYNC")
      assert.include(error.message, "expected normal or full")
    })))

  it.live("`:memory:` gives the memory journal", () =>
    Effect.gen(function*() {
      const j = yield* fromEnv({ ORDEROPS_JOURNAL: ":memory:" })
      assert.isFalse(j.durable)
      assert.strictEqual(j.location, ":memory:")
    }))

  it.live("a path gives a SQLite file there", () =>
    Effect.scoped(Effect.gen(function*() {
      const dir = yield* tempDir
      const filename = join(dir, "sub", "j.sqlite")
      const j = yield* fromEnv({ ORDEROPS_JOURNAL: filename })
      assert.isTrue(j.durable)
      assert.strictEqual(j.location, resolve(filename))
      assert.isTrue(existsSync(filename))
    })))

  it.live("a postgres:// URL gives PostgreSQL; the password never reaches a message", () =>
    Effect.gen(function*() {
      assert.strictEqual(redactUrl("postgres://bot:s3cret@db.example:5432/orders"), "postgres://bot:***@db.example:5432/orders")
      // Nothing listens on port 1: the open fails, naming the database but not the password.
      const error = yield* Effect.flip(fromEnv({ ORDEROPS_JOURNAL: "postgres://bot:s3cret@127.0.0.1:1/orders" }))
      assert.instanceOf(error, JournalError)
      assert.strictEqual(error.location, "postgres://bot:***@127.0.0.1:1/orders")
      assert.notInclude(error.message, "s3cret")
    }))

  it.live("JournalLayer reads the backend from the location string", () =>
    Effect.scoped(Effect.gen(function*() {
      assert.strictEqual(JournalLayer(":memory:"), OrderJournal.layerMemory)
      const dir = yield* tempDir
      const j = yield* Effect.provide(journal, JournalLayer(join(dir, "x.sqlite")))
      assert.strictEqual(j.location, join(dir, "x.sqlite"))
      assert.isTrue(j.durable)
    })))
})

// ---- a dry-run session resumes ---------------------------------------------------

describe("dry run with a SQLite journal", () => {
  it.live("a second session resumes balances, open orders, the active orders and the id sequence", () =>
    Effect.scoped(Effect.gen(function*() {
      const dir = yield* tempDir
      const filename = join(dir, "journal.sqlite")
      const session = () =>
        DryRunExchangeLayer({ journal: SqliteJournalLayer(filename), price: 0.1, balances: { USDT: 1000, HBAR: 500 } }).pipe(
          Layer.provide(Logger.layer([]))
        )

      const first = yield* Effect.provide(
        Effect.gen(function*() {
          const buyLow = yield* createLimitBuy(0.08, 1000) // rests: locks 80 USDT
          const buyMid = yield* createLimitBuy(0.09, 100) // rests: locks 9 USDT, fills below
          const sell = yield* createLimitSell(0.2, 300) // rests: locks 300 HBAR
          const canceled = yield* createLimitBuy(0.05, 100)
          yield* cancelOrder(canceled)
          yield* DryRunMarket.use((m) => m.setPrice(0.085)) // fills buyMid
          return {
            ids: [buyLow, buyMid, sell, canceled],
            usdt: D.format(yield* getUsdtBalance()),
            hbar: D.format(yield* getBaseAssetBalance()),
            open: (yield* fetchOpenOrders()).map((o) => o.id).sort(),
            active: [...(yield* activeOrders).keys()].sort(),
            all: (yield* fetchAllOrders()).length
          }
        }),
        session()
      )
      assert.deepStrictEqual(first.open, [first.ids[0], first.ids[2]].sort())
      assert.deepStrictEqual(first.active, first.open)
      assert.strictEqual(first.usdt, "911") // 1000 - 80 - 9 - 5 + 5: the cancel gave its 5 back
      assert.strictEqual(first.hbar, "299.9") // 500 - 300 + 99.9

      yield* Effect.provide(
        Effect.gen(function*() {
          assert.strictEqual(D.format(yield* getUsdtBalance()), first.usdt)
          assert.strictEqual(D.format(yield* getBaseAssetBalance()), first.hbar)
          assert.deepStrictEqual((yield* fetchOpenOrders()).map((o) => o.id).sort(), first.open)
          assert.deepStrictEqual([...(yield* activeOrders).keys()].sort(), first.active, "the Ref is rebuilt")
          assert.strictEqual((yield* fetchAllOrders()).length, first.all)
          assert.deepStrictEqual(yield* DryRunMarket.use((m) => m.price()), Option.some(0.085))
          // ids continue: no collision with the first session's
          const next = yield* createLimitBuy(0.07, 100)
          assert.notInclude(first.ids, next)
          assert.strictEqual(next, "dry_run_5")
          // the resumed book still fills and settles the journal
          yield* DryRunMarket.use((m) => m.setPrice(0.2))
          assert.deepStrictEqual([...(yield* activeOrders).keys()].sort(), [first.ids[0], next].sort())
          const j = yield* journal
          const statuses = Object.fromEntries((yield* j.entries()).map((e) => [e.orderId, e.status]))
          assert.deepStrictEqual(statuses, {
            [first.ids[0]!]: "open",
            [first.ids[1]!]: "closed",
            [first.ids[2]!]: "closed",
            [first.ids[3]!]: "canceled",
            [next]: "open"
          })
          // finished orders are read back from the journal's paper store, not kept in memory
          const closed = yield* j.paper.order(first.ids[1]!)
          assert.strictEqual(Option.getOrThrow(closed).status, "closed")
          assert.strictEqual(Option.getOrThrow(yield* j.paper.byClientOrderId(Option.getOrThrow(closed).clientOrderId)).id, first.ids[1])
        }),
        Layer.merge(session(), SqliteJournalLayer(filename))
      )
    })))

  it.live("a saved book of an older release that is not valid fails the layer with a JournalError naming the file", () =>
    Effect.scoped(Effect.gen(function*() {
      const dir = yield* tempDir
      for (const [i, book] of ["{not json", JSON.stringify({ version: 1, seq: 1, balances: { USDT: { free: "1e3", used: "0" } }, prices: {}, orders: [] })].entries()) {
        const file = join(dir, `journal-${i}.sqlite`)
        yield* Effect.provide(Effect.asVoid(journal), SqliteJournalLayer(file))
        yield* Effect.provide(
          Effect.flatMap(Effect.service(SqlClient.SqlClient), (sql) =>
            sql`INSERT INTO orderops_state ${sql.insert({ key: DRY_RUN_STATE_KEY, value: book, updated_at: 1 })}`),
          SqliteClient.layer({ filename: file })
        )
        const error = yield* Effect.flip(Effect.provide(getUsdtBalance(), DryRunExchangeLayer({ journal: SqliteJournalLayer(file) })))
        assert.strictEqual(error._tag, "JournalError")
        assert.include(error.message, file)
        assert.include(error.message, "the saved dry-run book")
      }
    })))
})
