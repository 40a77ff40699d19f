/**
 * The child process of the crash tests (test/crash.test.ts). It places two limit
 * buys through the library with a durable journal (SQLite or PostgreSQL) and stops
 * dead, waiting to be killed with SIGKILL, at the point `CRASH_AT` names during the
 * second one:
 *
 * - `intent`: the intent is journaled, the request not yet sent;
 * - `sent`:   the exchange has the order, the answer is not yet journaled. Dry run:
 *             the bot stops once the paper order is written. Live: the bot does nothing
 *             special; the test server holds the answer back and the test kills the
 *             bot once the server's request log shows the order;
 * - `answer`: the exchange's answer is handed to the journal (committed, or queued
 *             by the write-behind journal: with `JOURNAL_LINGER_MS`, surely queued);
 * - `none`:   both orders complete; the bot then waits.
 *
 * It reports progress as `MARK <what> <detail>` lines on stdout (`MARK stopped
 * <point> <client order id> ...` at the crash point), which the test
 * waits for (stdout to a pipe is synchronous on Linux, so a line is out before
 * the bot blocks). Logs go to stderr.
 *
 * Environment: JOURNAL (a SQLite file, or a PostgreSQL URL with JOURNAL_PG_SCHEMA,
 * the schema to use), CRASH_AT, CRASH_MODE (`dry-run` | `live`), and for live:
 * CRASH_BASE_URL, CRASH_API_KEY, CRASH_SECRET.
 */
import { Effect, Layer, Logger } from "effect"
import { createLimitBuy, DryRunExchangeLayer, type Exchange, type ExchangeFailure } from "../../src/index.ts"
import { PgJournalLayer, SqliteJournalLayer } from "../../src/layers/journal/Journal.ts"
import type { JournalError } from "../../src/errors/JournalError.ts"
import { LiveExchangeLayer } from "../../src/layers/live/Live.ts"
import { makeWriteBehindJournal } from "../../src/layers/journal/WriteBehindJournal.ts"
import { OrderJournal } from "../../src/services/OrderJournal.ts"

const env = (name: string, fallback?: string): string => {
  const v = process.env[name] ?? fallback
  if (v === undefined) throw new Error(`crash-bot: ${name} is not set`)
  return v
}

const journalSpec = env("JOURNAL")
const pgSchema = process.env["JOURNAL_PG_SCHEMA"]
const crashAt = env("CRASH_AT", "none") as "intent" | "sent" | "answer" | "none"
const mode = env("CRASH_MODE", "dry-run")

const mark = (line: string) => Effect.sync(() => void process.stdout.write(`MARK ${line}\n`))
/** Prints `MARK stopped <point> <detail>` and blocks forever. */
const stopDead = (line: string) => Effect.andThen(mark(`stopped ${line}`), Effect.never)

/**
 * The durable journal, as the layers build it; with `JOURNAL_LINGER_MS`, write-behind
 * with that linger, so a test can kill the bot while the answers are surely still queued.
 */
const durable = (): Layer.Layer<OrderJournal, JournalError> => {
  const linger = process.env["JOURNAL_LINGER_MS"]
  const writeBehind = linger === undefined
  const layer = pgSchema === undefined
    ? SqliteJournalLayer(journalSpec, { writeBehind })
    : PgJournalLayer(journalSpec, { startupParameters: { search_path: pgSchema }, writeBehind })
  if (linger === undefined) return layer
  return Layer.effect(OrderJournal, Effect.flatMap(Effect.service(OrderJournal), (inner) => makeWriteBehindJournal(inner, { lingerMillis: Number(linger) })))
    .pipe(Layer.provide(layer))
}

/** The durable journal, with the crash points hooked in after the second intent. */
const journal = Layer.effect(
  OrderJournal,
  Effect.gen(function*() {
    const inner = yield* OrderJournal
    let intents = 0
    let target: string | undefined
    return OrderJournal.of({
      ...inner,
      recordIntent: (intent) =>
        Effect.andThen(
          inner.recordIntent(intent),
          Effect.suspend(() => {
            intents += 1
            const reported = mark(`intent ${intent.clientOrderId}`)
            if (intents !== 2) return reported
            target = intent.clientOrderId
            return crashAt === "intent" ? Effect.andThen(reported, stopDead(`intent ${intent.clientOrderId}`)) : reported
          })
        ),
      // The dry run writes its paper order inside the send: after that, the "exchange" has the order.
      paper: {
        ...inner.paper,
        write: (change, now) =>
          Effect.andThen(
            inner.paper.write(change, now),
            Effect.suspend(() =>
              crashAt === "sent" && target !== undefined && change.orders.some((o) => o.record.clientOrderId === target)
                ? stopDead(`sent ${target}`)
                : Effect.void
            )
          )
      },
      recordOrder: (record, now, venue) =>
        Effect.andThen(
          inner.recordOrder(record, now, venue),
          Effect.suspend(() =>
            crashAt === "answer" && record.clientOrderId === target
              ? stopDead(`answer ${record.clientOrderId} ${record.id}`)
              : Effect.void
          )
        )
    })
  })
).pipe(Layer.provide(durable()))

const exchangeLayer = (): Layer.Layer<Exchange, ExchangeFailure> => {
  if (mode === "dry-run") return DryRunExchangeLayer({ journal, price: 0.1, balances: { USDT: 1000 } })
  if (mode === "live") {
    return LiveExchangeLayer({
      baseUrl: env("CRASH_BASE_URL"),
      apiKey: env("CRASH_API_KEY"),
      secret: env("CRASH_SECRET"),
      journal
    })
  }
  throw new Error(`crash-bot: unknown CRASH_MODE ${mode}`)
}

const bot = Effect.gen(function*() {
  yield* mark("ready")
  const first = yield* createLimitBuy(0.09, 100)
  yield* mark(`placed ${first}`)
  const second = yield* createLimitBuy(0.08, 100)
  yield* mark(`placed ${second}`)
  return yield* Effect.never
})

// Effect.never holds no handle: keep the event loop alive until the test kills the process.
setInterval(() => {}, 60_000)

Effect.runFork(
  bot.pipe(
    Effect.provide(exchangeLayer()),
    Effect.provide(Logger.layer([Logger.withConsoleError(Logger.formatLogFmt)])),
    Effect.catchCause((cause) => Effect.andThen(mark(`failed ${String(cause).split("\n")[0]}`), Effect.sync(() => process.exit(2))))
  )
)
