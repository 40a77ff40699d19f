/**
 * Crash tests: a real child process (test/support/crash-bot.ts) trades through the
 * library with a durable journal (a SQLite file and, when `DATABASE_URL` is set,
 * PostgreSQL) and is killed with SIGKILL at each point of an
 * order's life: after the intent is journaled but before the send, after the send
 * but before the answer is journaled, and after the answer. Then the exchange layer
 * starts again on the same journal (recovery runs at start-up), and each test
 * asserts that the active-orders `Ref` equals the exchange's open orders, that no
 * order was sent twice, and that the journal entries are settled.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Logger, Option } from "effect"
import { SqlClient } from "effect/sql"
import {
  activeOrders,
  createLimitBuy,
  DryRunExchangeLayer,
  type Exchange,
  type ExchangeFailure,
  fetchAllOrders,
  fetchOpenOrders
} from "../src/index.ts"
import type { JournalError } from "../src/errors/JournalError.ts"
import { LiveExchangeLayer } from "../src/layers/live/Live.ts"
import { type JournalEntry, OrderJournal } from "../src/services/OrderJournal.ts"
import { type BinanceServer, binanceServer } from "./support/BinanceServer.ts"
import { type Child, startChild } from "./support/child.ts"
import { type Backend, postgres, sqlite, type Store } from "./support/journal-backends.ts"

/** Starts the bot; the scope kills it if the test did not. */
const bot = (env: Record<string, string>) =>
  Effect.acquireRelease(
    Effect.sync(() => startChild("test/support/crash-bot.ts", env)),
    (child) => Effect.promise(() => child.kill())
  )

const waitFor = (child: Child, prefix: string) => Effect.promise(() => child.waitFor(prefix))

/** Kills the child with SIGKILL and checks it died of it (it was not already gone). */
const killHard = (child: Child) =>
  Effect.gen(function*() {
    const signal = yield* Effect.promise(() => child.kill())
    assert.strictEqual(signal, "SIGKILL", `the bot died of SIGKILL (stderr: ${child.stderr()})`)
  })

/** Log lines written while recovering, to check what recovery says. */
const captureLogs = () => {
  const lines: Array<string> = []
  const layer = Logger.layer([Logger.make(({ message }) => {
    lines.push((Array.isArray(message) ? message : [message]).map(String).join(" "))
  })])
  return { lines, layer }
}

/** The state after restart: the Ref, the exchange's orders and the journal. */
const afterRestart = Effect.gen(function*() {
  const active = yield* activeOrders
  const open = yield* fetchOpenOrders()
  const all = yield* fetchAllOrders()
  const journal = yield* OrderJournal
  const entries = yield* journal.entries()
  return { active, open, all, entries }
})

/** What every crash test asserts after restart. */
const assertConsistent = (state: {
  active: ReadonlyMap<string, unknown>
  open: ReadonlyArray<{ id: string }>
  all: ReadonlyArray<{ id: string; clientOrderId: string }>
  entries: ReadonlyArray<JournalEntry>
}) => {
  assert.deepStrictEqual([...state.active.keys()].sort(), state.open.map((o) => o.id).sort(), "Ref = exchange's open orders")
  const clientIds = state.all.map((o) => o.clientOrderId)
  assert.strictEqual(new Set(clientIds).size, clientIds.length, "no client order id on the exchange twice")
  // every exchange order is in the journal with the exchange's status
  for (const o of state.all as ReadonlyArray<{ id: string; clientOrderId: string; status: string }>) {
    const entry = state.entries.find((e) => e.clientOrderId === o.clientOrderId)
    assert.strictEqual(entry?.orderId, o.id, `journal knows ${o.clientOrderId}`)
    assert.strictEqual(entry?.status, o.status)
  }
  assert.isFalse(state.entries.some((e) => e.status === "pending"), "no entry is left pending")
}

/** The bot's journal made write-behind with a linger of ten minutes: every answer is still queued when it is killed. */
const ANSWERS_QUEUED = { JOURNAL_LINGER_MS: String(600_000) }

/** Checks that both orders are still `pending` on disk (read through a fresh journal, whose queue is empty). */
const assertAnswersLost = (store: Store) =>
  Effect.map(Effect.provide(Effect.flatMap(Effect.service(OrderJournal), (j) => j.entries()), store.journal), (all) =>
    assert.deepStrictEqual(all.map((e) => e.status), ["pending", "pending"], "the kill took the queued answers"))

/** Deletes the journal's row for `clientOrderId`, as if the journal had lost it. */
const loseRow = (store: Store, clientOrderId: string) =>
  Effect.provide(
    Effect.flatMap(Effect.service(SqlClient.SqlClient), (sql) =>
      sql`DELETE FROM orderops_orders WHERE client_order_id = ${clientOrderId}`),
    Option.getOrThrow(store.client)
  )

/** Both crash suites, with `backend` as the journal. */
const crashSuites = (backend: Backend) => {
  // ---- dry run ------------------------------------------------------------------

  describe.skipIf(backend.skip !== undefined)(`crash recovery on ${backend.name}: dry run (child process killed with SIGKILL)`, () => {
    /** The exchange again on the bot's journal, plus the journal for inspection. */
    const restart = (store: Store, logs: Layer.Layer<never>): Layer.Layer<Exchange | OrderJournal, ExchangeFailure> =>
      Layer.merge(
        DryRunExchangeLayer({ journal: store.journal, price: 0.1, balances: { USDT: 1000 } }),
        store.journal
      ).pipe(Layer.provide(logs))

    const crashAt = (point: "intent" | "sent" | "answer", env: Record<string, string> = {}) =>
      Effect.gen(function*() {
        const store = yield* backend.store
        const child = yield* bot({ ...store.childEnv, ...env, CRASH_AT: point, CRASH_MODE: "dry-run" })
        const first = (yield* waitFor(child, "placed ")).split(" ")[1]!
        const second = (yield* waitFor(child, `stopped ${point} `)).split(" ")[2]!
        yield* killHard(child)
        return { store, first, second }
      })

    it.live("killed after the intent, before the send: the intent is marked failed, nothing was sent", () =>
      Effect.scoped(Effect.gen(function*() {
        const { store, first, second } = yield* crashAt("intent")
        const logs = captureLogs()
        yield* Effect.provide(
          Effect.gen(function*() {
            const state = yield* afterRestart
            assertConsistent(state)
            assert.deepStrictEqual(state.all.map((o) => o.id), [first], "only the first order reached the exchange")
            assert.deepStrictEqual([...state.active.keys()], [first])
            const failed = state.entries.find((e) => e.clientOrderId === second)
            assert.strictEqual(failed?.status, "failed")
            assert.strictEqual(failed?.detail, "never reached the exchange")
            // trading goes on with fresh ids
            const next = yield* createLimitBuy(0.07, 100)
            assert.strictEqual(next, "dry_run_2")
            assert.strictEqual((yield* fetchAllOrders()).length, 2)
          }),
          restart(store, logs.layer)
        )
        assert.isTrue(logs.lines.some((l) => l.includes(second) && l.includes("marked failed")), logs.lines.join("\n"))
      })))

    it.live("killed after the send, before the answer: recovery finds the order by client id and tracks it", () =>
      Effect.scoped(Effect.gen(function*() {
        const { store, first, second } = yield* crashAt("sent")
        // Before restart the journal still has the second order pending, with no exchange id.
        const pending = yield* Effect.provide(Effect.flatMap(Effect.service(OrderJournal), (j) => j.entries()), store.journal)
        assert.deepStrictEqual(pending.find((e) => e.clientOrderId === second)?.status, "pending")
        const logs = captureLogs()
        yield* Effect.provide(
          Effect.gen(function*() {
            const state = yield* afterRestart
            assertConsistent(state)
            assert.strictEqual(state.all.length, 2, "the second order exists once")
            assert.deepStrictEqual([...state.active.keys()].sort(), [first, "dry_run_2"].sort())
            const recovered = state.entries.find((e) => e.clientOrderId === second)
            assert.strictEqual(recovered?.status, "open")
            assert.strictEqual(recovered?.orderId, "dry_run_2")
            assert.strictEqual(recovered?.price, "0.08")
            assert.strictEqual(recovered?.quantity, "100")
          }),
          restart(store, logs.layer)
        )
        assert.isTrue(logs.lines.some((l) => l.includes("Recovered order dry_run_2")), logs.lines.join("\n"))
      })))

    it.live("killed after the answer: both orders are kept as they are", () =>
      Effect.scoped(Effect.gen(function*() {
        const { store, first } = yield* crashAt("answer")
        yield* Effect.provide(
          Effect.gen(function*() {
            const state = yield* afterRestart
            assertConsistent(state)
            assert.strictEqual(state.all.length, 2)
            assert.deepStrictEqual([...state.active.keys()].sort(), [first, "dry_run_2"].sort())
            assert.isTrue(state.entries.every((e) => e.status === "open"))
            assert.strictEqual(yield* createLimitBuy(0.07, 100), "dry_run_3", "ids continue")
          }),
          restart(store, captureLogs().layer)
        )
      })))

    it.live("killed with both answers still queued (write-behind): recovery learns them from the exchange", () =>
      Effect.scoped(Effect.gen(function*() {
        const { store, first, second } = yield* crashAt("answer", ANSWERS_QUEUED)
        yield* assertAnswersLost(store)
        yield* Effect.provide(
          Effect.gen(function*() {
            const state = yield* afterRestart
            assertConsistent(state)
            assert.strictEqual(state.all.length, 2, "nothing sent twice")
            assert.deepStrictEqual([...state.active.keys()].sort(), [first, "dry_run_2"].sort())
            assert.strictEqual(state.entries.find((e) => e.clientOrderId === second)?.orderId, "dry_run_2")
            assert.isTrue(state.entries.every((e) => e.status === "open"))
          }),
          restart(store, captureLogs().layer)
        )
      })))

    it.live("an open order the journal lost is adopted and logged", () =>
      Effect.scoped(Effect.gen(function*() {
        const { store, second } = yield* crashAt("sent")
        // Lose the journal's row for the second order: the exchange (the paper store) still has it.
        yield* loseRow(store, second)
        const logs = captureLogs()
        yield* Effect.provide(
          Effect.gen(function*() {
            const state = yield* afterRestart
            assertConsistent(state)
            assert.strictEqual(state.all.length, 2)
            assert.isTrue(state.active.has("dry_run_2"), "the stray order is in the Ref")
            assert.strictEqual(state.entries.find((e) => e.clientOrderId === second)?.status, "open")
          }),
          restart(store, logs.layer)
        )
        assert.isTrue(logs.lines.some((l) => l.includes("Adopted open order dry_run_2")), logs.lines.join("\n"))
      })))
  })

  // ---- live, against the Binance.US test server ----------------------------------

  describe.skipIf(backend.skip !== undefined)(`crash recovery on ${backend.name}: live against the test server (child process killed with SIGKILL)`, () => {
    const SECRET = "test-secret"
    const startServer = binanceServer({ balances: { USDT: "1000" }, prices: { HBARUSDT: "0.1" } })

    const live = (server: BinanceServer, journal: Layer.Layer<OrderJournal, JournalError>) =>
      LiveExchangeLayer({ baseUrl: server.url, apiKey: server.apiKey, secret: SECRET, journal })

    const restart = (server: BinanceServer, store: Store, logs: Layer.Layer<never>) =>
      Layer.merge(live(server, store.journal), store.journal).pipe(Layer.provide(logs))

    const isSecondCreate = (r: { method: string; path: string; params: Readonly<Record<string, string>> }) =>
      r.method === "POST" && r.path === "/api/v3/order" && Number(r.params["price"]) === 0.08

    /** Runs the bot to `point` (or, for `sent`, until the server holds its second create) and kills it. */
    const crashAt = (server: BinanceServer, point: "intent" | "sent" | "answer", env: Record<string, string> = {}) =>
      Effect.gen(function*() {
        const store = yield* backend.store
        // `sent`: the server creates the order at once but answers only after a minute.
        if (point === "sent") server.delay(60_000, { method: "POST", path: "/api/v3/order", when: isSecondCreate })
        const child = yield* bot({
          ...store.childEnv,
          ...env,
          CRASH_AT: point === "sent" ? "none" : point,
          CRASH_MODE: "live",
          CRASH_BASE_URL: server.url,
          CRASH_API_KEY: server.apiKey,
          CRASH_SECRET: SECRET
        })
        yield* waitFor(child, "placed ")
        if (point === "sent") {
          // The server has created the order and holds the answer: the bot is waiting in the request.
          yield* waitUntil(() => server.requestLog().some((r) => isSecondCreate(r) && r.outcome === "pending"))
        } else {
          yield* waitFor(child, `stopped ${point} `)
        }
        const second = child.marks.filter((m) => m.startsWith("intent "))[1]?.split(" ")[1]
        yield* killHard(child)
        assert.isDefined(second, "the bot journaled the second intent")
        assert.strictEqual(child.marks.filter((m) => m.startsWith("placed ")).length, 1, "the bot never saw the second answer")
        return { store, second: second! }
      })

    it.live("killed after the intent, before the send: marked failed, nothing on the exchange", () =>
      Effect.scoped(Effect.gen(function*() {
        const server = yield* startServer
        const { store, second } = yield* crashAt(server, "intent")
        const logs = captureLogs()
        yield* Effect.provide(
          Effect.gen(function*() {
            const state = yield* afterRestart
            assertConsistent(state)
            assert.strictEqual(server.orders().length, 1, "the second order was never sent")
            assert.isFalse(server.orders().some((o) => o.clientOrderId === second))
            assert.deepStrictEqual([...state.active.keys()], ["1"])
            const entry = state.entries.find((e) => e.clientOrderId === second)
            assert.strictEqual(entry?.status, "failed")
            assert.strictEqual(entry?.detail, "never reached the exchange")
          }),
          restart(server, store, logs.layer)
        )
      })))

    it.live("killed while the server holds the answer: recovery finds the order, sends nothing again", () =>
      Effect.scoped(Effect.gen(function*() {
        const server = yield* startServer
        const { store, second } = yield* crashAt(server, "sent")
        const creates = () => server.requestLog().filter((r) => r.method === "POST" && r.path === "/api/v3/order").length
        assert.strictEqual(creates(), 2)
        const logs = captureLogs()
        yield* Effect.provide(
          Effect.gen(function*() {
            const state = yield* afterRestart
            assertConsistent(state)
            assert.strictEqual(server.orders().length, 2)
            assert.strictEqual(creates(), 2, "recovery sent no create")
            const held = server.orders().find((o) => o.clientOrderId === second)
            assert.strictEqual(held?.status, "NEW")
            assert.deepStrictEqual([...state.active.keys()].sort(), server.openOrders().map((o) => String(o.orderId)).sort())
            const entry = state.entries.find((e) => e.clientOrderId === second)
            assert.strictEqual(entry?.status, "open")
            assert.strictEqual(entry?.orderId, String(held?.orderId))
          }),
          restart(server, store, logs.layer)
        )
        assert.isTrue(logs.lines.some((l) => l.includes(`(${second})`) && l.includes("Recovered order")), logs.lines.join("\n"))
      })))

    it.live("killed after the answer: open orders kept; one filled while down is settled", () =>
      Effect.scoped(Effect.gen(function*() {
        const server = yield* startServer
        const { store, second } = yield* crashAt(server, "answer")
        server.fillOrder("HBARUSDT", { clientOrderId: second })
        yield* Effect.provide(
          Effect.gen(function*() {
            const state = yield* afterRestart
            assertConsistent(state)
            assert.strictEqual(server.orders().length, 2)
            assert.deepStrictEqual([...state.active.keys()], ["1"], "the filled order left the Ref")
            const entry = state.entries.find((e) => e.clientOrderId === second)
            assert.strictEqual(entry?.status, "closed")
            assert.strictEqual(entry?.filled, "100")
          }),
          restart(server, store, captureLogs().layer)
        )
      })))

    it.live("killed with both answers still queued (write-behind): recovery learns them, sends nothing again", () =>
      Effect.scoped(Effect.gen(function*() {
        const server = yield* startServer
        const { store, second } = yield* crashAt(server, "answer", ANSWERS_QUEUED)
        yield* assertAnswersLost(store)
        yield* Effect.provide(
          Effect.gen(function*() {
            const state = yield* afterRestart
            assertConsistent(state)
            assert.strictEqual(server.orders().length, 2, "nothing sent twice")
            assert.deepStrictEqual([...state.active.keys()].sort(), ["1", "2"])
            const entry = state.entries.find((e) => e.clientOrderId === second)
            assert.strictEqual(entry?.status, "open")
            assert.strictEqual(entry?.orderId, "2")
          }),
          restart(server, store, captureLogs().layer)
        )
      })))

    it.live("an orderops order open on the exchange but unknown to the journal is adopted and logged", () =>
      Effect.scoped(Effect.gen(function*() {
        const server = yield* startServer
        const { store } = yield* crashAt(server, "answer")
        // Another orderops process (its journal in memory) places an oo_ order the file never saw.
        const stray = yield* Effect.provide(createLimitBuy(0.07, 100), live(server, OrderJournal.layerMemory))
        const logs = captureLogs()
        yield* Effect.provide(
          Effect.gen(function*() {
            const state = yield* afterRestart
            assertConsistent(state)
            assert.strictEqual(server.orders().length, 3)
            assert.isTrue(state.active.has(stray), "the stray is in the Ref")
            assert.strictEqual(state.entries.length, 3)
          }),
          restart(server, store, logs.layer)
        )
        assert.isTrue(logs.lines.some((l) => l.includes(`Adopted open order ${stray}`)), logs.lines.join("\n"))
      })))
  })

}

for (const backend of [sqlite, postgres]) crashSuites(backend)

/** Polls `check` every 10 ms while a child process works; fails after `timeoutMs`. */
const waitUntil = (check: () => boolean, timeoutMs = 10_000) =>
  Effect.promise(async () => {
    const deadline = Date.now() + timeoutMs
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`)
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
  })
