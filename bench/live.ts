/**
 * Against the loopback Binance.US server (test/support/BinanceServer.ts), over
 * real HTTP with real, unmodified ccxt:
 *
 * (a) the live layer's overhead: the same sequence of calls made through
 *     `LiveExchangeLayer` and through a bare ccxt `binanceus` instance (create a
 *     limit buy, list open orders, cancel it, read the balance), in paired rounds;
 *     the figure is the median of the per-pair ratios, printed with their spread.
 *     Each side has a server process of its own (bench/server-process.ts), as an
 *     account of its own: the layer's user stream never carries raw ccxt's orders.
 *     Also the requests the layer sent per round, and the same rounds with 100
 *     orders resting. For reference, the same again with the layer on ccxt's
 *     unified methods (`useUnifiedApi`, what exchanges other than Binance get),
 *     and with the servers in this process.
 * (i) (a) again with a durable journal: the SQLite file users run by default, and
 *     PostgreSQL when `DATABASE_URL` is set; each also with write-behind off, for reference.
 * (b) `cancelAllBuyOrders` on 100 open buys with 50 ms server latency, against the
 *     seed design's one-by-one cancels (list the open orders, then cancel each in
 *     turn), with Binance.US's request-weight limit in force, counting 429s.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Exit, Layer, Redacted, References, Scope } from "effect"
import { SqlClient } from "effect/sql"
import type { JournalError } from "../src/errors/JournalError.ts"
import { Exchange, OrderJournal } from "../src/index.ts"
import { PgJournalLayer, redactUrl, SqliteJournalLayer } from "../src/layers/journal/Journal.ts"
import { LiveExchangeLayer } from "../src/layers/live/Live.ts"
import { spawn } from "node:child_process"
import { once } from "node:events"
import { fileURLToPath } from "node:url"
import { type BinanceServerCounters, type BinanceServerOptions, startBinanceServer } from "../test/support/BinanceServer.ts"
import { pointAt } from "../src/layers/live/instance.ts"
import { median, ms, progress, ratio, type Row, spread, timed, verdict } from "./support.ts"

const API_KEY = "bench-key-0123456789abcdef"
const SECRET = "bench-secret-FEDCBA9876543210"
const SYMBOL = "HBAR/USDT"
/** Iterations per timed round of (a); each is 4 requests. */
const ROUND = 50
/** Timed rounds of (a) per side, alternating which side goes first. */
const ROUNDS = 40

/** A loopback server for one side of a comparison, with its request counters. */
interface Server {
  readonly url: string
  counters(): Promise<BinanceServerCounters>
  close(): Promise<void>
}

/**
 * The loopback server in a process of its own, as a real exchange is: its CPU time,
 * heap and garbage collection are not the client's, so (a) compares the two
 * clients alone. Its counters come over the IPC channel. (b) keeps the server in
 * process, to read its counters.
 */
const startServerProcess = async (options: BinanceServerOptions): Promise<Server> => {
  const child = spawn(process.execPath, [fileURLToPath(new URL("./server-process.ts", import.meta.url)), JSON.stringify(options)], {
    stdio: ["ignore", "pipe", "inherit", "ipc"]
  })
  let seen = ""
  for await (const chunk of child.stdout!) {
    seen += String(chunk)
    const match = /listening (\S+)/.exec(seen)
    if (match !== null) {
      return {
        url: match[1]!,
        counters: async () => {
          child.send("counters")
          const [reply] = await once(child, "message")
          return (reply as { readonly counters: BinanceServerCounters }).counters
        },
        close: async () => {
          child.kill("SIGTERM")
          if (child.exitCode === null) await once(child, "exit")
        }
      }
    }
  }
  throw new Error(`the server process exited before listening: ${seen}`)
}

const startServer = async (where: "process" | "in-process", options: BinanceServerOptions): Promise<Server> => {
  if (where === "process") return startServerProcess(options)
  const server = await startBinanceServer(options)
  return { url: server.url, counters: async () => server.counters(), close: () => server.close() }
}

const openLive = async (
  server: { readonly url: string },
  useUnifiedApi = false,
  // By default an in-memory journal: (a) measures the layer's own overhead; (i) passes a durable one.
  journal: Layer.Layer<OrderJournal, JournalError> = OrderJournal.layerMemory
) => {
  const layer = LiveExchangeLayer({
    apiKey: API_KEY,
    secret: Redacted.make(SECRET),
    baseUrl: server.url,
    symbol: SYMBOL,
    journal,
    useUnifiedApi
  }).pipe(
    Layer.provide(Layer.succeed(References.MinimumLogLevel, "Warn"))
  )
  const scope = await Effect.runPromise(Scope.make())
  const context = await Effect.runPromise(Layer.buildWithScope(layer, scope))
  const run = <A, E>(f: (ex: Exchange["Service"]) => Effect.Effect<A, E>) =>
    Effect.runPromise(Exchange.use(f).pipe(Effect.provideContext(context), Effect.provideService(References.MinimumLogLevel, "Warn")))
  return { run, close: () => Effect.runPromise(Scope.close(scope, Exit.void)) }
}

const openRaw = async (server: { readonly url: string }) => {
  const ccxt = await import("ccxt")
  const exchange = new ccxt.binanceus({
    apiKey: API_KEY,
    secret: SECRET,
    enableRateLimit: false,
    options: { maxRetriesOnFailure: 0 }
  })
  pointAt(exchange, server.url)
  await exchange.loadMarkets()
  return exchange
}

/**
 * (a): the layer as configured by default (on Binance, its REST endpoints) with each
 * side's server in its own process (the figure), with the requests the layer sent
 * per round; then the same with 100 orders resting on each side (the open-orders
 * answer 100 times longer), to show how the cost grows with the work; for
 * reference, the layer on ccxt's unified methods, and the servers in this process.
 */
export const liveOverhead = async (): Promise<ReadonlyArray<Row>> => {
  const figure = await pairedRounds("process", "memory journal", { journal: OrderJournal.layerMemory })
  return [
    pairedRow("(a) live layer vs raw ccxt, memory journal", figure, 1.05,
      `${pairedNote}; the layer as configured by default (user stream on), which on Binance calls the REST endpoints ` +
        `through ccxt's implicit methods and reads Binance's answers itself`),
    requestsRow(figure),
    pairedRow("    same, 100 orders resting", await pairedRounds("process", "100 resting", { journal: OrderJournal.layerMemory, resting: RESTING }),
      undefined, `${RESTING} limit buys resting on each side's account, so each open-orders answer lists ${RESTING + 1} orders`),
    pairedRow("    same, ccxt's unified methods", await pairedRounds("process", "unified", { journal: OrderJournal.layerMemory, useUnifiedApi: true }),
      undefined, "useUnifiedApi: createOrder, fetchOpenOrders, cancelOrder, fetchBalance and ccxt's own parse, as on exchanges other than Binance"),
    pairedRow("    same, servers in this process", await pairedRounds("in-process", "in-process", { journal: OrderJournal.layerMemory }),
      undefined, "the servers' CPU time and garbage collection share the clients' thread (the harshest setting)")
  ]
}

/** The outcome of (a)'s paired rounds. */
interface Paired {
  /** Medians per round, ms. */
  readonly raw: number
  readonly live: number
  /** live / raw of each pair of rounds. */
  readonly ratios: ReadonlyArray<number>
  /** REST requests the layer's server answered per iteration in the timed rounds (raw ccxt: 4). */
  readonly liveRequests: number
  readonly rawRequests: number
}

/** Resting orders in the "grows with the work" row of (a). */
const RESTING = 100

const pairedNote = `median of per-round ratios over ${ROUNDS} paired rounds (order alternating) of ${ROUND} x (create limit buy, ` +
  `open orders, cancel, balance), after 300 warm-up iterations each; raw ccxt and the layer each on a loopback server ` +
  `process (an account) of its own, so neither receives the other's stream events; times are medians per round; no added latency`

const fmtRatio = (r: number) => r.toFixed(2)

/** A row of paired rounds: against `target` (a ratio) when given, else for reference. */
const pairedRow = (name: string, paired: Paired, target: number | undefined, note: string): Row => {
  const r = median(paired.ratios)
  return {
    name,
    baseline: ms(paired.raw),
    measured: ms(paired.live),
    ratio: ratio(r),
    target: target === undefined ? "reference" : `<= ${target.toFixed(2)}x`,
    verdict: target === undefined ? "INFO" : verdict(r <= target),
    note: `${note}; per-round ratios ${spread(paired.ratios, fmtRatio)}`
  }
}

const requestsRow = (paired: Paired): Row => ({
  name: "(a) requests per round (create, open, cancel, balance)",
  baseline: paired.rawRequests.toFixed(2),
  measured: paired.liveRequests.toFixed(2),
  ratio: paired.liveRequests.toFixed(2),
  target: "<= 3",
  verdict: verdict(paired.liveRequests <= 3),
  note: "REST requests each side's server answered per iteration over the timed rounds of (a): the balance read after the " +
    "cancel answers from the user stream's balance book, which has applied the cancel's own report"
})

/**
 * (i): (a) with the journal users run: the SQLite file (WAL, synchronous NORMAL,
 * the default) and, when `DATABASE_URL` is set, PostgreSQL (a schema of its own,
 * dropped afterwards).
 */
export const liveDurableOverhead = async (): Promise<ReadonlyArray<Row>> => {
  const dir = mkdtempSync(join(tmpdir(), "orderops-bench-live-"))
  const rows: Array<Row> = []
  try {
    rows.push(pairedRow("(i) live layer on SQLite journal vs raw ccxt",
      await pairedRounds("process", "SQLite journal", { journal: SqliteJournalLayer(join(dir, "journal.sqlite")) }), 1.1,
      `${pairedNote}; the journal a SQLite file in WAL mode, synchronous NORMAL, write-behind (the defaults): the intent ` +
        `committed before each create, the answers in the background`))
    const direct = await pairedRounds("process", "SQLite journal, write-behind off", {
      journal: SqliteJournalLayer(join(dir, "direct.sqlite"), { writeBehind: false })
    })
    rows.push(writeBehindOff("    same, write-behind off", direct, "SQLite"))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  const url = process.env["DATABASE_URL"]
  if (url === undefined || url === "") {
    rows.push({ name: "(i) same, PostgreSQL journal", baseline: "-", measured: "-", ratio: "-", target: "<= 1.25x", verdict: "SKIP", note: "DATABASE_URL is not set (bash scripts/ci-postgres.sh start)" })
    return rows
  }
  const pg = await withPgSchema(url, {}, (journal) => pairedRounds("process", "PostgreSQL journal", { journal }))
  rows.push(pairedRow("(i) same, PostgreSQL journal", pg, 1.25,
    `${pairedNote}; the journal in PostgreSQL at ${redactUrl(url)} (a fresh schema), over loopback, write-behind`))
  const pgDirect = await withPgSchema(url, { writeBehind: false }, (journal) =>
    pairedRounds("process", "PostgreSQL journal, write-behind off", { journal }))
  rows.push(writeBehindOff("    same, PostgreSQL, write-behind off", pgDirect, "PostgreSQL"))
  return rows
}

/** The reference row of (i) with every journal write committed before its call returns. */
const writeBehindOff = (name: string, paired: Paired, backend: string): Row =>
  pairedRow(name, paired, undefined, `the row above with the ${backend} journal's writeBehind: false: all three writes of each order committed on the request's path`)

/** Runs `f` with a PostgreSQL journal (with `options`) in a schema of its own, dropped afterwards. */
const withPgSchema = async <A>(
  url: string,
  options: { readonly writeBehind?: boolean },
  f: (journal: Layer.Layer<OrderJournal, JournalError>) => Promise<A>
): Promise<A> => {
  const { PgClient } = await import("@effect/sql-pg")
  const schema = `orderops_bench_${process.pid}`
  const admin = (statement: (sql: SqlClient.SqlClient) => Effect.Effect<unknown, unknown>) =>
    Effect.runPromise(
      Effect.scoped(Effect.flatMap(Effect.service(SqlClient.SqlClient), statement)).pipe(
        Effect.provide(PgClient.layer({ url: Redacted.make(url), maxConnections: 1 }))
      )
    )
  await admin((sql) => sql`CREATE SCHEMA ${sql(schema)}`)
  try {
    return await f(PgJournalLayer(url, { ...options, startupParameters: { search_path: schema } }))
  } finally {
    await admin((sql) => sql`DROP SCHEMA ${sql(schema)} CASCADE`)
  }
}

const serverOptions: BinanceServerOptions = {
  apiKey: API_KEY,
  secret: SECRET,
  balances: { USDT: "1000000" },
  prices: { HBARUSDT: "0.1" },
  weightLimitPerMinute: 10_000_000,
  orderLimitPer10s: 1_000_000
}

const pairedRounds = async (
  where: "process" | "in-process",
  label: string,
  options: {
    readonly journal: Layer.Layer<OrderJournal, JournalError>
    readonly useUnifiedApi?: boolean
    /** Limit buys left resting on each side before the rounds. */
    readonly resting?: number
  }
): Promise<Paired> => {
  // One server (one account) per side: nothing of one side's traffic reaches the other.
  const rawServer = await startServer(where, serverOptions)
  const liveServer = await startServer(where, serverOptions)
  try {
    const raw = await openRaw(rawServer)
    const live = await openLive(liveServer, options.useUnifiedApi === true, options.journal)
    for (let i = 0; i < (options.resting ?? 0); i++) {
      const price = 0.04 - i * 0.0001
      await raw.createOrder(SYMBOL, "limit", "buy", 100, price)
      await live.run((ex) => ex.createLimitBuy(price, 100))
    }
    const rawRound = (n: number) =>
      timed(async () => {
        for (let i = 0; i < n; i++) {
          const order = await raw.createOrder(SYMBOL, "limit", "buy", 100, 0.05)
          await raw.fetchOpenOrders(SYMBOL)
          await raw.cancelOrder(String(order.id), SYMBOL)
          await raw.fetchBalance()
        }
      })
    const liveRound = (n: number) =>
      timed(() =>
        live.run((ex) =>
          Effect.gen(function*() {
            for (let i = 0; i < n; i++) {
              const id = yield* ex.createLimitBuy(0.05, 100)
              yield* ex.fetchOpenOrders()
              yield* ex.cancelOrder(id)
              yield* ex.getQuoteBalance()
            }
          })
        )
      )
    await rawRound(300) // warm-up: JIT, sockets
    await liveRound(300)
    const [rawBefore, liveBefore] = [(await rawServer.counters()).requests, (await liveServer.counters()).requests]
    // Paired rounds: each live round is compared with the raw round next to it, so a
    // neighbour stealing CPU for a second skews one pair, not the whole comparison.
    const rawTimes: Array<number> = []
    const liveTimes: Array<number> = []
    const ratios: Array<number> = []
    for (let r = 0; r < ROUNDS; r++) {
      if (r % 10 === 0) progress(`(a) ${label}: round ${r + 1}/${ROUNDS}`)
      let rawT: number
      let liveT: number
      if (r % 2 === 0) {
        rawT = await rawRound(ROUND)
        liveT = await liveRound(ROUND)
      } else {
        liveT = await liveRound(ROUND)
        rawT = await rawRound(ROUND)
      }
      rawTimes.push(rawT)
      liveTimes.push(liveT)
      ratios.push(liveT / rawT)
    }
    const iterations = ROUNDS * ROUND
    const rawRequests = ((await rawServer.counters()).requests - rawBefore) / iterations
    const liveRequests = ((await liveServer.counters()).requests - liveBefore) / iterations
    await live.close()
    await raw.close()
    return { raw: median(rawTimes), live: median(liveTimes), ratios, rawRequests, liveRequests }
  } finally {
    await rawServer.close()
    await liveServer.close()
  }
}

export const cancelAllBenchmark = async (): Promise<ReadonlyArray<Row>> => {
  const server = await startBinanceServer({
    apiKey: API_KEY,
    secret: SECRET,
    balances: { USDT: "1000000", HBAR: "1000" },
    prices: { HBARUSDT: "0.1" },
    latencyMs: 50,
    weightLimitPerMinute: 1200, // Binance.US
    orderLimitPer10s: 10_000 // raised so that setting up 300 orders does not wait out the 100/10 s window
  })
  try {
    const live = await openLive(server)
    const place100 = (withSell: boolean) =>
      live.run((ex) =>
        Effect.gen(function*() {
          yield* Effect.forEach(Array.from({ length: 100 }, (_, i) => 0.05 - i * 0.0001), (p) => ex.createLimitBuy(p, 100), {
            concurrency: 10,
            discard: true
          })
          if (withSell) yield* ex.createLimitSell(0.2, 100).pipe(Effect.catch(() => Effect.void))
        })
      )
    const rejected = () => server.counters().status429 + server.counters().status418

    // Baseline: the seed design. List the open orders, cancel the buys one by one.
    progress("(b) placing 100 buys for the one-by-one baseline")
    await place100(false)
    let before = rejected()
    const sequential = await timed(() =>
      live.run((ex) =>
        Effect.gen(function*() {
          const open = yield* ex.fetchOpenOrders()
          for (const o of open) if (o.side === "buy") yield* ex.cancelOrder(o.id)
        })
      )
    )
    const baseline429 = rejected() - before
    if (server.openOrders().length !== 0) throw new Error("baseline left orders open")

    // cancelAllBuyOrders, with only buys open (the venue may use the exchange's cancel-all endpoint).
    progress("(b) placing 100 buys for cancelAllBuyOrders")
    await place100(false)
    before = rejected()
    let cancelled = 0
    const bulk = await timed(async () => (cancelled = (await live.run((ex) => ex.cancelAllBuyOrders())).length))
    const bulk429 = rejected() - before
    if (cancelled !== 100) throw new Error(`cancelAllBuyOrders cancelled ${cancelled}`)

    // And with a sell open too, so each buy is cancelled on its own (concurrently, within the bound).
    progress("(b) placing 100 buys and a sell for cancelAllBuyOrders, per-order path")
    await place100(true)
    before = rejected()
    const perOrder = await timed(async () => (cancelled = (await live.run((ex) => ex.cancelAllBuyOrders())).length))
    const perOrder429 = rejected() - before
    if (cancelled !== 100) throw new Error(`cancelAllBuyOrders cancelled ${cancelled}`)
    await live.close()

    const row = (name: string, t: number, n429: number, note: string): Row => {
      const r = t / sequential
      return {
        name,
        baseline: ms(sequential),
        measured: ms(t),
        ratio: ratio(r),
        target: "<= 0.15x, 0 x 429",
        verdict: verdict(r <= 0.15 && n429 === 0 && baseline429 === 0),
        note: `${note}; 429/418 answers: ${n429} (baseline ${baseline429})`
      }
    }
    return [
      row("(b) cancelAllBuyOrders, 100 buys, 50 ms", bulk, bulk429, "only buys open: one DELETE openOrders request"),
      row("(b) cancelAllBuyOrders, 100 buys + 1 sell", perOrder, perOrder429, "a sell open too: 100 single cancels, 10 at a time")
    ]
  } finally {
    await server.close()
  }
}
