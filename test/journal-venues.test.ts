/**
 * One journal file shared by the dry-run and the live layers (as the CLI shares
 * `ORDEROPS_JOURNAL` between `orderops ...` and `orderops --live ...`): each layer's
 * start-up recovery settles only its own venue's entries, and sends no request for
 * the other's. Live runs real ccxt `binanceus` against the loopback Binance.US test
 * server (test/support/BinanceServer.ts).
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Logger, Option } from "effect"
import { SqlClient } from "effect/sql"
import {
  activeOrders,
  createLimitBuy,
  Decimal as D,
  DryRunExchangeLayer,
  fetchOpenOrders,
  OrderJournal
} from "../src/index.ts"
import { SqliteJournalLayer } from "../src/layers/journal/Journal.ts"
import { LiveExchangeLayer } from "../src/layers/live/Live.ts"
import * as SqliteClient from "../src/layers/journal/SqliteClient.ts"
import type { JournalEntry } from "../src/services/OrderJournal.ts"
import { type BinanceServer, binanceServer } from "./support/BinanceServer.ts"

const SECRET = "test-secret"

const tempDir = Effect.acquireRelease(
  Effect.sync(() => mkdtempSync(join(tmpdir(), "orderops-venues-"))),
  (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
)

/** Log lines, to check what recovery says. */
const captureLogs = () => {
  const lines: Array<string> = []
  const layer = Logger.layer([Logger.make(({ message }) => {
    lines.push((Array.isArray(message) ? message : [message]).map(String).join(" "))
  })])
  return { lines, layer }
}

/** The dry-run exchange on the journal file, plus the journal for inspection. */
const dryRun = (filename: string, logs: Layer.Layer<never> = Logger.layer([])) =>
  Layer.merge(
    DryRunExchangeLayer({ journal: SqliteJournalLayer(filename), price: 0.1, balances: { USDT: 1000 } }),
    SqliteJournalLayer(filename)
  ).pipe(Layer.provide(logs))

/** The live exchange (binanceus, against `server`) on the journal file, plus the journal for inspection. */
const live = (server: BinanceServer, filename: string, logs: Layer.Layer<never> = Logger.layer([])) =>
  Layer.merge(
    LiveExchangeLayer({ baseUrl: server.url, apiKey: server.apiKey, secret: SECRET, journal: SqliteJournalLayer(filename) }),
    SqliteJournalLayer(filename)
  ).pipe(Layer.provide(logs))

const entries = Effect.flatMap(Effect.service(OrderJournal), (j) => j.entries())

const byClientId = (all: ReadonlyArray<JournalEntry>, clientOrderId: string) => {
  const entry = all.find((e) => e.clientOrderId === clientOrderId)
  assert.isDefined(entry, `the journal has ${clientOrderId}`)
  return entry!
}

/** A write-ahead intent whose send never happened (the process died): `pending` in the journal. */
const strandedIntent = (venue: string, clientOrderId: string) =>
  Effect.flatMap(Effect.service(OrderJournal), (j) =>
    j.recordIntent({
      clientOrderId,
      venue,
      symbol: "HBAR/USDT",
      side: "buy",
      type: "limit",
      price: Option.some(D.unsafe("0.05")),
      quantity: D.unsafe("100"),
      createdAt: Date.now()
    }))

/** Requests that look an order up (by exchange id or client order id) or create or cancel one. */
const orderRequests = (server: BinanceServer) => server.requestLog().filter((r) => r.path === "/api/v3/order")

describe("one journal shared by the dry-run and live layers", () => {
  it.live("a live start leaves the dry run's entries alone and asks the exchange nothing about them", () =>
    Effect.scoped(Effect.gen(function*() {
      const server = yield* binanceServer({ balances: { USDT: "1000" }, prices: { HBARUSDT: "0.1" } })
      const filename = join(yield* tempDir, "journal.sqlite")

      // A dry-run session: one open order, and an intent it never sent.
      const dry = yield* Effect.provide(
        Effect.gen(function*() {
          const orderId = yield* createLimitBuy(0.08, 100)
          yield* strandedIntent("dry-run", "oo_dry_stranded")
          const entry = (yield* entries).find((e) => e.orderId === orderId)!
          return { orderId, clientOrderId: entry.clientOrderId }
        }),
        dryRun(filename)
      )

      // A live session on the same file.
      const logs = captureLogs()
      const state = yield* Effect.provide(
        Effect.gen(function*() {
          return { active: yield* activeOrders, entries: yield* entries }
        }),
        live(server, filename, logs.layer)
      )
      assert.strictEqual(state.active.size, 0, "the live Ref is empty")
      const open = byClientId(state.entries, dry.clientOrderId)
      assert.strictEqual(open.status, "open", "not marked failed")
      assert.strictEqual(open.venue, "dry-run")
      assert.isNull(open.detail)
      assert.strictEqual(byClientId(state.entries, "oo_dry_stranded").status, "pending")
      assert.deepStrictEqual(orderRequests(server), [], "no order look-up, create or cancel reached the exchange")
      assert.isFalse(
        server.requestLog().some((r) => Object.values(r.params).some((v) => v === dry.clientOrderId || v === dry.orderId)),
        "nothing about the dry-run order was sent"
      )
      assert.isFalse(logs.lines.some((l) => l.includes("marked failed") || l.includes("Recovered")), logs.lines.join("\n"))

      // The dry run resumes its own: the open order is tracked again, the stranded intent settled.
      yield* Effect.provide(
        Effect.gen(function*() {
          assert.deepStrictEqual([...(yield* activeOrders).keys()], [dry.orderId])
          const after = yield* entries
          assert.strictEqual(byClientId(after, dry.clientOrderId).status, "open")
          assert.strictEqual(byClientId(after, "oo_dry_stranded").status, "failed")
        }),
        dryRun(filename)
      )
    })))

  it.live("a dry-run start leaves the live entries alone; the next live start settles them", () =>
    Effect.scoped(Effect.gen(function*() {
      const server = yield* binanceServer({ balances: { USDT: "1000" }, prices: { HBARUSDT: "0.1" } })
      const filename = join(yield* tempDir, "journal.sqlite")

      // A live session: one open order on the exchange, and an intent it never sent.
      const placed = yield* Effect.provide(
        Effect.gen(function*() {
          const orderId = yield* createLimitBuy(0.08, 100)
          yield* strandedIntent("binanceus", "oo_live_stranded")
          const entry = (yield* entries).find((e) => e.orderId === orderId)!
          assert.strictEqual(entry.venue, "binanceus")
          return { orderId, clientOrderId: entry.clientOrderId }
        }),
        live(server, filename)
      )

      // A dry-run session on the same file.
      const logs = captureLogs()
      yield* Effect.provide(
        Effect.gen(function*() {
          assert.strictEqual((yield* activeOrders).size, 0, "the dry-run Ref is empty")
          assert.deepStrictEqual(yield* fetchOpenOrders(), [])
          const all = yield* entries
          assert.strictEqual(byClientId(all, placed.clientOrderId).status, "open", "not marked failed")
          assert.strictEqual(byClientId(all, "oo_live_stranded").status, "pending")
          // and its own orders are journaled as the dry run's
          const own = yield* createLimitBuy(0.07, 100)
          assert.strictEqual((yield* entries).find((e) => e.orderId === own)?.venue, "dry-run")
        }),
        dryRun(filename, logs.layer)
      )
      assert.isFalse(logs.lines.some((l) => l.includes("marked failed") || l.includes("Recovered")), logs.lines.join("\n"))

      // The live layer then recovers its own entries, and only those.
      const requestsBefore = server.requestLog().length
      yield* Effect.provide(
        Effect.gen(function*() {
          assert.deepStrictEqual([...(yield* activeOrders).keys()], [placed.orderId])
          const all = yield* entries
          assert.strictEqual(byClientId(all, placed.clientOrderId).status, "open")
          const stranded = byClientId(all, "oo_live_stranded")
          assert.strictEqual(stranded.status, "failed")
          assert.strictEqual(stranded.detail, "never reached the exchange")
          assert.deepStrictEqual(
            all.filter((e) => e.venue === "dry-run").map((e) => e.status),
            ["open"],
            "the dry run's order is untouched"
          )
        }),
        live(server, filename)
      )
      const lookups = server.requestLog().slice(requestsBefore).filter((r) => r.path === "/api/v3/order")
      assert.deepStrictEqual(
        lookups.map((r) => [r.method, r.params["origClientOrderId"]]),
        [["GET", "oo_live_stranded"]],
        "one look-up: the live stranded intent"
      )
    })))

  it.live("an entry journaled before venues is left alone by a venue that lacks it, and claimed by the one that has it", () =>
    Effect.scoped(Effect.gen(function*() {
      const server = yield* binanceServer({ balances: { USDT: "1000" }, prices: { HBARUSDT: "0.1" } })
      const filename = join(yield* tempDir, "journal.sqlite")
      const dry = yield* Effect.provide(
        Effect.gen(function*() {
          const orderId = yield* createLimitBuy(0.08, 100)
          return { orderId, clientOrderId: (yield* entries).find((e) => e.orderId === orderId)!.clientOrderId }
        }),
        dryRun(filename)
      )
      // As an older orderops left it: no venue recorded.
      yield* Effect.provide(
        Effect.flatMap(Effect.service(SqlClient.SqlClient), (sql) => sql`UPDATE orderops_orders SET venue = ''`),
        SqliteClient.layer({ filename })
      )

      const logs = captureLogs()
      yield* Effect.provide(
        Effect.gen(function*() {
          assert.strictEqual((yield* activeOrders).size, 0)
          const entry = byClientId(yield* entries, dry.clientOrderId)
          assert.strictEqual(entry.status, "open", "not marked failed: it may be another venue's")
          assert.strictEqual(entry.venue, "")
        }),
        live(server, filename, logs.layer)
      )
      // Asked by client order id only (unique across venues), never by the other venue's exchange id.
      assert.deepStrictEqual(
        orderRequests(server).map((r) => [r.method, r.params["origClientOrderId"], r.params["orderId"]]),
        [["GET", dry.clientOrderId, undefined]]
      )
      assert.isTrue(logs.lines.some((l) => l.includes(dry.clientOrderId) && l.includes("left as it is")), logs.lines.join("\n"))

      yield* Effect.provide(
        Effect.gen(function*() {
          assert.deepStrictEqual([...(yield* activeOrders).keys()], [dry.orderId])
          const entry = byClientId(yield* entries, dry.clientOrderId)
          assert.strictEqual(entry.status, "open")
          assert.strictEqual(entry.venue, "dry-run", "claimed by the venue that has it")
        }),
        dryRun(filename)
      )

      // Now the dry run's: a live start no longer asks about it.
      const before = server.requestLog().length
      yield* Effect.provide(Effect.asVoid(activeOrders), live(server, filename))
      assert.deepStrictEqual(server.requestLog().slice(before).filter((r) => r.path === "/api/v3/order"), [])
    })))
})
