/**
 * Graceful shutdown: an order session cancels the orders it placed when the
 * program is interrupted (in-process and by a real SIGINT) or fails, and a
 * failing cleanup never hides the program's own failure.
 */
import { spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Cause, Data, Deferred, Effect, Exit, Fiber, Layer } from "effect"
import {
  createLimitBuy,
  DryRunExchangeLayer,
  Exchange,
  fetchAllOrders,
  fetchOpenOrders,
  NetworkError,
  OrderSession,
  OrderSessionError,
  scopedOrderSession,
  withOrderSession
} from "../src/index.ts"
import { SqliteJournalLayer } from "../src/layers/journal/Journal.ts"

class Boom extends Data.TaggedError("Boom")<{ readonly step: string }> {}

const dryRun = DryRunExchangeLayer({ price: 0.1, balances: { USDT: 1000, HBAR: 1000 } })

/** The dry-run exchange, except that every cancel fails with a network error. */
const cancelsFail = Layer.effect(
  Exchange,
  Effect.gen(function*() {
    const ex = yield* Exchange
    return Exchange.of({
      ...ex,
      cancelOrder: (orderId) =>
        Effect.fail(new NetworkError({ operation: "cancelOrder", symbol: ex.symbol, orderId, reason: "Timeout", detail: "no answer" }))
    })
  })
).pipe(Layer.provide(dryRun))

const statuses = Effect.map(fetchAllOrders(), (orders) => new Map(orders.map((o) => [o.id, o.status])))

describe("withOrderSession", () => {
  it.effect("interrupting the program cancels the orders the session opened, and only those", () =>
    Effect.gen(function*() {
      const before = yield* createLimitBuy(0.05, 100) // outside the session: left alone
      const placed = yield* Deferred.make<ReadonlyArray<string>>()
      const fiber = yield* Effect.gen(function*() {
        const ids = [yield* createLimitBuy(0.09, 100), yield* createLimitBuy(0.08, 100)]
        yield* Deferred.succeed(placed, ids)
        return yield* Effect.never
      }).pipe(withOrderSession(), Effect.forkChild)
      const ids = yield* Deferred.await(placed)
      const exit = yield* Fiber.interrupt(fiber).pipe(Effect.andThen(Fiber.await(fiber)))
      assert.isTrue(Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause))
      const status = yield* statuses
      assert.deepStrictEqual(ids.map((id) => status.get(id)), ["canceled", "canceled"])
      assert.strictEqual(status.get(before), "open")
      assert.deepStrictEqual((yield* fetchOpenOrders()).map((o) => o.id), [before])
    }).pipe(Effect.provide(dryRun)))

  it.effect("a failing program's orders are cancelled and its error comes out unchanged", () =>
    Effect.gen(function*() {
      const error = yield* Effect.gen(function*() {
        yield* createLimitBuy(0.09, 100)
        return yield* new Boom({ step: "after the buy" })
      }).pipe(withOrderSession(), Effect.flip)
      assert.deepStrictEqual(error, new Boom({ step: "after the buy" }))
      assert.lengthOf(yield* fetchOpenOrders(), 0)
    }).pipe(Effect.provide(dryRun)))

  it.effect("a cleanup failure is attached after the original failure, never in its place", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.gen(function*() {
        yield* createLimitBuy(0.09, 100)
        return yield* new Boom({ step: "program" })
      }).pipe(withOrderSession({ timeout: "1 second" }), Effect.exit)
      assert.isTrue(Exit.isFailure(exit))
      if (Exit.isSuccess(exit)) return
      // What callers see first is the program's error...
      assert.deepStrictEqual(Cause.squash(exit.cause), new Boom({ step: "program" }))
      const caught = yield* Effect.flip(Effect.failCause(exit.cause))
      assert.strictEqual(caught._tag, "Boom")
      // ...and the cleanup's failure follows it in the cause.
      const errors = exit.cause.reasons.filter(Cause.isFailReason).map((r) => r.error)
      assert.lengthOf(errors, 2)
      const cleanup = errors[1]
      assert.instanceOf(cleanup, OrderSessionError)
      if (cleanup instanceof OrderSessionError) {
        assert.lengthOf(cleanup.failed, 1)
        assert.include(cleanup.failed[0]!.detail, "network failure")
      }
    }).pipe(Effect.provide(cancelsFail)))

  it.effect("interrupted with a failing cleanup: the interruption stays, the cleanup error is attached", () =>
    Effect.gen(function*() {
      const placed = yield* Deferred.make<void>()
      const fiber = yield* Effect.gen(function*() {
        yield* createLimitBuy(0.09, 100)
        yield* Deferred.succeed(placed, undefined)
        return yield* Effect.never
      }).pipe(withOrderSession(), Effect.forkChild)
      yield* Deferred.await(placed)
      yield* Fiber.interrupt(fiber)
      const exit = yield* Fiber.await(fiber)
      assert.isTrue(Exit.isFailure(exit))
      if (Exit.isSuccess(exit)) return
      assert.isTrue(Cause.hasInterrupts(exit.cause))
      assert.strictEqual(exit.cause.reasons[0]?._tag, "Interrupt")
      assert.instanceOf(Cause.findErrorOption(exit.cause).pipe((o) => o._tag === "Some" ? o.value : undefined), OrderSessionError)
    }).pipe(Effect.provide(cancelsFail)))

  it.effect("a successful program keeps its orders unless cancelOnSuccess is set", () =>
    Effect.gen(function*() {
      const kept = yield* createLimitBuy(0.09, 100).pipe(withOrderSession())
      const dropped = yield* createLimitBuy(0.08, 100).pipe(withOrderSession({ cancelOnSuccess: true }))
      const status = yield* statuses
      assert.strictEqual(status.get(kept), "open")
      assert.strictEqual(status.get(dropped), "canceled")
    }).pipe(Effect.provide(dryRun)))

  it.effect("orders that filled before the cleanup are not cancel failures", () =>
    Effect.gen(function*() {
      const opened = yield* Effect.gen(function*() {
        yield* createLimitBuy(0.2, 100) // crosses the 0.1 market: fills at once
        yield* createLimitBuy(0.09, 100)
        const session = yield* OrderSession
        const ids = yield* session.opened
        return yield* new Boom({ step: String(ids.length) })
      }).pipe(withOrderSession(), Effect.flip)
      assert.deepStrictEqual(opened, new Boom({ step: "2" }))
      assert.lengthOf(yield* fetchOpenOrders(), 0)
    }).pipe(Effect.provide(dryRun)))

  it.effect("scopedOrderSession cancels when its scope closes with a failure", () =>
    Effect.gen(function*() {
      let id = ""
      yield* Effect.gen(function*() {
        const session = yield* scopedOrderSession()
        id = yield* session.exchange.createLimitBuy(0.09, 100)
        return yield* new Boom({ step: "scoped" })
      }).pipe(Effect.scoped, Effect.flip)
      assert.strictEqual((yield* statuses).get(id), "canceled")
    }).pipe(Effect.provide(dryRun)))
})

describe("SIGINT to a running bot", () => {
  it.live("cancels the session's orders, exits 130, and the journal shows them cancelled", () =>
    Effect.gen(function*() {
      const dir = mkdtempSync(join(tmpdir(), "orderops-sigint-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => rmSync(dir, { recursive: true, force: true })))
      const journal = join(dir, "journal.sqlite")
      const { code, output, ids } = yield* Effect.promise(() =>
        new Promise<{ code: number | null; output: string; ids: Array<string> }>((resolve, reject) => {
          const child = spawn("node_modules/.bin/node", ["test/support/sigint-bot.ts"], {
            env: { ...process.env, ORDEROPS_JOURNAL: journal },
            stdio: ["ignore", "pipe", "pipe"]
          })
          let output = ""
          let ids: Array<string> = []
          const timer = setTimeout(() => {
            child.kill("SIGKILL")
            reject(new Error(`the bot did not get ready or exit in time:\n${output}`))
          }, 20_000)
          const onData = (chunk: Buffer) => {
            output += chunk.toString()
            const ready = /ready (\S+)/.exec(output)
            if (ready && ids.length === 0) {
              ids = ready[1]!.split(",")
              child.kill("SIGINT")
            }
          }
          child.stdout.on("data", onData)
          child.stderr.on("data", onData)
          // "close" comes after the exit and after the child's pipes have drained.
          child.on("close", (code) => {
            clearTimeout(timer)
            resolve({ code, output, ids })
          })
        })
      )
      assert.strictEqual(code, 130, output)
      assert.lengthOf(ids, 5)
      assert.include(output, "Order session interrupted: canceled 5 open orders")
      // A new session on the same journal file sees the five orders cancelled.
      const status = yield* statuses.pipe(Effect.provide(DryRunExchangeLayer({ journal: SqliteJournalLayer(journal) })))
      assert.deepStrictEqual(ids.map((id) => status.get(id)), Array(5).fill("canceled"))
    }))
})
