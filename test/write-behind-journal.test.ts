/**
 * The write-behind journal (src/layers/journal/WriteBehindJournal.ts): what a caller may rely
 * on although an order's later writes are made in the background. Its intent is
 * durable when `recordIntent` returns; a read sees every write made before it; closing
 * writes everything queued; a failed write is logged with its ids and fails the next
 * call; one order's updates are written in the order they were made; the queue is
 * bounded. Time is the `TestClock`'s: a batch waits for its linger until a reader (or
 * closing) asks for it, so what another connection sees is deterministic.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Layer, Logger, Option, References, Scope } from "effect"
import { TestClock } from "effect/testing"
import { JournalError } from "../src/errors/JournalError.ts"
import * as D from "../src/services/Decimal.ts"
import { makeMemoryJournal, OrderJournal, type OrderJournalService } from "../src/services/OrderJournal.ts"
import type { OrderRecord } from "../src/services/OrderRecord.ts"
import { SqliteJournalLayer } from "../src/layers/journal/Journal.ts"
import { makeWriteBehindJournal } from "../src/layers/journal/WriteBehindJournal.ts"
import { limitRecord } from "./support/amounts.ts"

const tempDir = Effect.acquireRelease(
  Effect.sync(() => mkdtempSync(join(tmpdir(), "orderops-write-behind-"))),
  (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
)

const VENUE = "binanceus"

const intent = (clientOrderId: string) => ({
  clientOrderId,
  venue: VENUE,
  symbol: "HBAR/USDT",
  side: "buy" as const,
  type: "limit" as const,
  price: Option.some(D.unsafe("0.05")),
  quantity: D.unsafe("100"),
  createdAt: 1_000
})

const view = (clientOrderId: string, status: OrderRecord["status"], filled = 0): OrderRecord =>
  limitRecord(
    { id: `x-${clientOrderId}`, clientOrderId, symbol: "HBAR/USDT", price: "0.05", quantity: "100" },
    { status, filled: D.unsafe(String(filled)) }
  )

/** The journal a layer builds, in the current scope. */
const build = (layer: Layer.Layer<OrderJournal, JournalError>) =>
  Effect.map(Layer.build(layer), (context) => context.mapUnsafe.get(OrderJournal.key) as OrderJournalService)

const statusOf = (journal: OrderJournalService, clientOrderId: string) =>
  Effect.map(journal.entries(), (all) => all.find((e) => e.clientOrderId === clientOrderId)?.status)

/** A memory journal whose `recordOrder` calls are logged, and fail for the client order ids in `failFor`. */
const spyJournal = (failFor: ReadonlySet<string> = new Set()) =>
  Effect.map(makeMemoryJournal, (inner) => {
    const written: Array<string> = []
    const journal: OrderJournalService = {
      ...inner,
      recordOrder: (record, now, venue) =>
        failFor.has(record.clientOrderId)
          ? Effect.fail(new JournalError({ operation: "recordOrder", location: inner.location, detail: "disk I/O error" }))
          : Effect.andThen(
            Effect.sync(() => written.push(`${record.clientOrderId}:${D.format(record.filled)}`)),
            inner.recordOrder(record, now, venue)
          )
    }
    return { journal, written }
  })

describe("write-behind journal", () => {
  it.effect("a read sees every write made before it; another connection sees only the intent until the batch is written", () =>
    Effect.scoped(Effect.gen(function*() {
      const filename = join(yield* tempDir, "journal.sqlite")
      const journal = yield* build(SqliteJournalLayer(filename))
      const other = yield* build(SqliteJournalLayer(filename, { writeBehind: false }))
      yield* journal.recordIntent(intent("oo_a"))
      assert.strictEqual(yield* statusOf(other, "oo_a"), "pending", "the intent is committed when recordIntent returns")
      yield* journal.recordOrder(view("oo_a", "open"), 2_000, VENUE)
      yield* journal.recordOrder(view("oo_a", "canceled"), 3_000, VENUE)
      assert.strictEqual(yield* statusOf(other, "oo_a"), "pending", "the answers are queued, not written")
      assert.strictEqual(yield* statusOf(journal, "oo_a"), "canceled", "the journal's own read waits for them")
      assert.strictEqual(yield* statusOf(other, "oo_a"), "canceled", "and they are committed")
    })))

  it.effect("a read through another write-behind journal on the same file, in this process, sees the queued writes", () =>
    Effect.scoped(Effect.gen(function*() {
      const filename = join(yield* tempDir, "journal.sqlite")
      const exchangeSide = yield* build(SqliteJournalLayer(filename))
      const inspector = yield* build(SqliteJournalLayer(filename))
      yield* exchangeSide.recordIntent(intent("oo_a"))
      yield* exchangeSide.recordOrder(view("oo_a", "open"), 2_000, VENUE)
      assert.strictEqual(yield* statusOf(inspector, "oo_a"), "open")
    })))

  it.effect("closing the journal writes everything queued", () =>
    Effect.scoped(Effect.gen(function*() {
      const filename = join(yield* tempDir, "journal.sqlite")
      const scope = yield* Scope.make()
      const journal = yield* Scope.provide(build(SqliteJournalLayer(filename)), scope)
      for (const id of ["oo_a", "oo_b"]) yield* journal.recordIntent(intent(id))
      yield* journal.recordOrder(view("oo_a", "open"), 2_000, VENUE)
      yield* journal.recordOrder(view("oo_b", "closed", 100), 2_000, VENUE)
      yield* journal.markFailed("oo_a", "refused", 3_000)
      yield* Scope.close(scope, Exit.void)
      const reopened = yield* build(SqliteJournalLayer(filename, { writeBehind: false }))
      const entries = yield* reopened.entries()
      assert.deepStrictEqual(
        entries.map((e) => [e.clientOrderId, e.status, e.filled, e.detail]).sort(),
        [["oo_a", "failed", "0", "refused"], ["oo_b", "closed", "100", null]]
      )
    })))

  it.effect("a failed write is logged with its ids and fails the next call, once; the rest of its batch is written", () => {
    const lines: Array<string> = []
    const logger = Logger.make(({ message, fiber }) => {
      const annotations = JSON.stringify(fiber.getRef(References.CurrentLogAnnotations))
      lines.push(`${(Array.isArray(message) ? message : [message]).map(String).join(" ")} ${annotations}`)
    })
    return Effect.gen(function*() {
      const { journal: inner, written } = yield* spyJournal(new Set(["oo_bad"]))
      let transactions = 0
      const journal = yield* makeWriteBehindJournal(inner, {
        transaction: (effect) => Effect.andThen(Effect.sync(() => transactions++), effect)
      })
      for (const id of ["oo_a", "oo_bad", "oo_b"]) yield* journal.recordIntent(intent(id))
      for (const id of ["oo_a", "oo_bad", "oo_b"]) yield* journal.recordOrder(view(id, "open"), 2_000, VENUE)
      const failure = yield* Effect.flip(journal.entries())
      assert.instanceOf(failure, JournalError)
      assert.strictEqual(failure.operation, "recordOrder")
      assert.strictEqual(failure.detail, "disk I/O error")
      assert.strictEqual(transactions, 1, "the three writes went as one batch")
      assert.isTrue(lines.some((l) => l.includes("Journal write failed") && l.includes("oo_bad") && l.includes("x-oo_bad")), lines.join("\n"))
      // Reported once: the next call goes through, and the failed batch's other writes were made.
      const entries = yield* journal.entries()
      assert.deepStrictEqual(entries.map((e) => [e.clientOrderId, e.status]).sort(), [["oo_a", "open"], ["oo_b", "open"], ["oo_bad", "pending"]])
      assert.includeMembers(written, ["oo_a:0", "oo_b:0"])
    }).pipe(Effect.scoped, Effect.provide(Logger.layer([logger])))
  })

  it.effect("one order's updates are written in the order they were made, across batches", () =>
    Effect.scoped(Effect.gen(function*() {
      const { journal: inner, written } = yield* spyJournal()
      const journal = yield* makeWriteBehindJournal(inner, { maxBatch: 2, transaction: (effect) => effect })
      yield* journal.recordIntent(intent("oo_a"))
      yield* journal.recordIntent(intent("oo_b"))
      for (const filled of [10, 20, 30, 40, 50]) {
        yield* journal.recordOrder(view("oo_a", "open", filled), 2_000 + filled, VENUE)
        yield* journal.recordOrder(view("oo_b", "open", filled + 1), 2_000 + filled, VENUE)
      }
      const a = (yield* journal.entries()).find((e) => e.clientOrderId === "oo_a")
      assert.strictEqual(a?.filled, "50")
      assert.deepStrictEqual(written.filter((w) => w.startsWith("oo_a")), ["oo_a:10", "oo_a:20", "oo_a:30", "oo_a:40", "oo_a:50"])
      assert.deepStrictEqual(written.filter((w) => w.startsWith("oo_b")), ["oo_b:11", "oo_b:21", "oo_b:31", "oo_b:41", "oo_b:51"])
    })))

  it.effect("batches wait for their linger, and a write beyond the capacity waits for the queue to drain", () =>
    Effect.scoped(Effect.gen(function*() {
      const { journal: inner, written } = yield* spyJournal()
      const journal = yield* makeWriteBehindJournal(inner, { capacity: 2, lingerMillis: 50 })
      yield* journal.recordOrder(view("oo_a", "open", 1), 2_000, VENUE)
      yield* journal.recordOrder(view("oo_a", "open", 2), 2_000, VENUE)
      yield* TestClock.adjust(10)
      assert.deepStrictEqual(written, [], "within the linger, nothing is written")
      const third = yield* Effect.forkChild(journal.recordOrder(view("oo_a", "open", 3), 2_000, VENUE))
      yield* Fiber.join(third)
      assert.deepStrictEqual(written, ["oo_a:1", "oo_a:2"], "the full queue was written before the third write was taken")
      yield* TestClock.adjust(50)
      assert.deepStrictEqual(written, ["oo_a:1", "oo_a:2", "oo_a:3"], "after the linger, the batch is written")
    })))
})
