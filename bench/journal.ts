/**
 * The durable journal at scale (issue 12), on a SQLite journal file through the
 * public `Exchange` service, logs at Warn:
 *
 * (f) a dry run's cost per create+cancel pair after 100,000 orders of history,
 *     against a fresh journal: paired rounds on the two sessions, open side by side;
 * (g) the heap used after 100,000 orders, against after the first 1,000 (a fresh
 *     session warmed up), both after a full garbage collection;
 * (h) start-up (load and recovery) with 200 open orders among 100,000 historical
 *     ones, against the fresh journal with its 200 open orders (issue 21: <= 1.3x).
 *
 * The history is made by the engine itself, one order at a time (about half a
 * minute), not seeded behind its back: the memory figure is only honest if the
 * session that placed the orders is the one measured.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"
import { Effect, Exit, Layer, References, Scope } from "effect"
import { DryRunExchangeLayer, Exchange } from "../src/index.ts"
import { SqliteJournalLayer } from "../src/layers/journal/Journal.ts"
import { median, ms, progress, ratio, type Row, spread, verdict } from "./support.ts"

setFlagsFromString("--expose-gc")
const gc = runInNewContext("gc") as () => void

const HISTORY = 100_000
const WARM = 1_000
/** Paired rounds of (f), each of `ROUND` pairs per session. */
const ROUNDS = 20
const ROUND = 250
const OPEN = 200

/** A dry-run session on the journal `file`, built once and kept until `close`; the time it took to start. */
const openSession = async (file: string) => {
  const layer = DryRunExchangeLayer({ journal: SqliteJournalLayer(file), price: 0.1, balances: { USDT: 1_000_000_000 } }).pipe(
    Layer.provide(Layer.succeed(References.MinimumLogLevel, "Warn"))
  )
  const scope = await Effect.runPromise(Scope.make())
  const started = performance.now()
  const context = await Effect.runPromise(Layer.buildWithScope(layer, scope))
  const startMs = performance.now() - started
  const run = <A, E>(f: (ex: Exchange["Service"]) => Effect.Effect<A, E>) =>
    Effect.runPromise(Exchange.use(f).pipe(Effect.provideContext(context), Effect.provideService(References.MinimumLogLevel, "Warn")))
  /** `n` create+cancel pairs; the time they took in ms. */
  const pairs = (n: number) =>
    run((ex) =>
      Effect.gen(function*() {
        const start = performance.now()
        for (let i = 0; i < n; i++) yield* Effect.flatMap(ex.createLimitBuy(0.05, 100), (id) => ex.cancelOrder(id))
        return performance.now() - start
      })
    )
  /** Places `n` resting buys, as a bot leaves them open. */
  const rest = (n: number) =>
    run((ex) => Effect.forEach(Array.from({ length: n }, (_, i) => 0.05 - i * 0.0001), (p) => ex.createLimitBuy(p, 100), { discard: true }))
  const openCount = () => run((ex) => Effect.map(ex.activeOrders, (m) => m.size))
  return { startMs, pairs, rest, openCount, close: () => Effect.runPromise(Scope.close(scope, Exit.void)) }
}

const heapAfterGc = (): number => {
  gc()
  gc()
  return process.memoryUsage().heapUsed
}

const mb = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MB`

export const journalAtScale = async (): Promise<ReadonlyArray<Row>> => {
  const dir = mkdtempSync(join(tmpdir(), "orderops-bench-journal-"))
  try {
    const historyFile = join(dir, "history.sqlite")
    const freshFile = join(dir, "fresh.sqlite")

    // (g) one session places 100,000 orders; its heap after the first 1,000 and after all of them.
    const history = await openSession(historyFile)
    // Each pair is one order (created, then cancelled).
    await history.pairs(WARM)
    const heapFresh = heapAfterGc()
    for (let done = WARM; done < HISTORY; done += 10_000) {
      if (done % 20_000 === WARM) progress(`(f)/(g) history: ${done.toLocaleString("en-US")} of ${HISTORY.toLocaleString("en-US")} orders`)
      await history.pairs(Math.min(10_000, HISTORY - done))
    }
    const heapHistory = heapAfterGc()

    // (f) paired rounds: the session with 100,000 orders of history against a fresh one.
    const fresh = await openSession(freshFile)
    await fresh.pairs(WARM)
    const ratios: Array<number> = []
    const freshTimes: Array<number> = []
    const historyTimes: Array<number> = []
    progress(`(f) ${ROUNDS} paired rounds of ${ROUND} pairs`)
    for (let r = 0; r < ROUNDS; r++) {
      let freshT: number
      let historyT: number
      if (r % 2 === 0) {
        freshT = await fresh.pairs(ROUND)
        historyT = await history.pairs(ROUND)
      } else {
        historyT = await history.pairs(ROUND)
        freshT = await fresh.pairs(ROUND)
      }
      freshTimes.push(freshT / ROUND)
      historyTimes.push(historyT / ROUND)
      ratios.push(historyT / freshT)
    }

    // (h) 200 resting orders in each journal, then a restart of each.
    await history.rest(OPEN)
    await fresh.rest(OPEN)
    await history.close()
    await fresh.close()
    progress("(h) restarting on 100,000 orders with 200 open")
    const restartHistory = await openSession(historyFile)
    const adopted = await restartHistory.openCount()
    await restartHistory.close()
    const restartFresh = await openSession(freshFile)
    await restartFresh.close()
    if (adopted !== OPEN) throw new Error(`recovery tracked ${adopted} open orders, expected ${OPEN}`)

    const r = median(ratios)
    const heapRatio = heapHistory / heapFresh
    return [
      {
        name: "(f) durable dry run pair, 100k history",
        baseline: `${(median(freshTimes) * 1000).toFixed(0)} µs`,
        measured: `${(median(historyTimes) * 1000).toFixed(0)} µs`,
        ratio: ratio(r),
        target: "<= 1.20x",
        verdict: verdict(r <= 1.2),
        note: `create+cancel pairs on a SQLite journal (WAL, synchronous NORMAL): a session that placed ${HISTORY.toLocaleString("en-US")} ` +
          `orders against a fresh one (${WARM.toLocaleString("en-US")} orders), open side by side; median ratio of ${ROUNDS} paired rounds ` +
          `of ${ROUND} pairs, order alternating; times are medians per pair`
      },
      {
        name: "(c) dry-run create+cancel pairs/s, SQLite",
        baseline: "-",
        measured: `${Math.round(1000 / median(freshTimes)).toLocaleString("en-US")} pairs/s`,
        ratio: `${(1000 / median(freshTimes) / 10_000).toFixed(2)}x of target`,
        target: ">= 10,000/s",
        verdict: verdict(1000 / median(freshTimes) >= 10_000),
        note: `(c) on the SQLite journal file (WAL, synchronous NORMAL, write-behind): the fresh session of (f), its median time per pair over ` +
          `${ROUNDS} rounds of ${ROUND} pairs; per-round figures ${spread(freshTimes.map((t) => 1000 / t), (x) => Math.round(x).toLocaleString("en-US"))} pairs/s`
      },
      {
        name: "(g) durable dry run heap, 100k orders",
        baseline: mb(heapFresh),
        measured: mb(heapHistory),
        ratio: ratio(heapRatio),
        target: "<= 1.20x",
        verdict: verdict(heapRatio <= 1.2),
        note: `heapUsed after a full GC, after ${HISTORY.toLocaleString("en-US")} orders against after the first ${WARM.toLocaleString("en-US")}, same session`
      },
      {
        name: "(h) start-up, 200 open among 100k",
        baseline: ms(restartFresh.startMs),
        measured: ms(restartHistory.startMs),
        ratio: ratio(restartHistory.startMs / restartFresh.startMs),
        target: "<= 1.30x",
        verdict: verdict(restartHistory.startMs / restartFresh.startMs <= 1.3),
        note: "building the dry-run layer on the journal: migrations check, loading the open orders, balances and prices, and " +
          `recovery of the ${OPEN} open orders; baseline: the fresh journal of (f) (${(WARM + ROUNDS * ROUND).toLocaleString("en-US")} orders) with its ${OPEN} open orders`
      }
    ]
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
