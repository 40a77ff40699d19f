/**
 * Ready-made `OrderJournal` layers: a SQLite file (the embedded default),
 * PostgreSQL, or in memory, and `JournalLayerFromEnv`, which picks one from
 * `ORDEROPS_JOURNAL`. All of them run `makeSqlJournal`'s SQL (or the memory
 * journal's equivalent rules). No ccxt here.
 *
 * Every failure to open, migrate, read or write is a `JournalError` whose
 * `location` names the file or the database (a PostgreSQL URL without its password).
 * An existing file is never replaced: one SQLite cannot read fails to open.
 */
import { mkdirSync } from "node:fs"
import { dirname, resolve } from "node:path"
import { Config, Effect, Layer, Redacted, Schema } from "effect"
import * as Reactivity from "effect/reactivity/Reactivity"
import { SqlClient, SqlError } from "effect/sql"
import { JournalError } from "../../errors/JournalError.ts"
import { OrderJournal, type OrderJournalService } from "../../services/OrderJournal.ts"
import * as SqliteClient from "./SqliteClient.ts"
import { SqliteSynchronous } from "./SqliteClient.ts"
import { makeSqlJournal } from "./SqlJournal.ts"
import { makeWriteBehindJournal } from "./WriteBehindJournal.ts"

/** The variable that says where the journal lives. */
export const JOURNAL_ENV = "ORDEROPS_JOURNAL"

/** The variable that sets the SQLite journal's durability: `normal` (the default) or `full`. */
export const JOURNAL_SYNC_ENV = "ORDEROPS_JOURNAL_SYNC"

/** Where the journal lives when `ORDEROPS_JOURNAL` is unset: relative to the current directory. */
export const DEFAULT_JOURNAL_PATH = ".orderops/journal.sqlite"

const causeText = (cause: unknown): string => (cause instanceof Error ? cause.message : String(cause))

/** What the durable journals share: whether an order's later writes wait for the database. */
export interface WriteBehindOption {
  /**
   * `true` (the default): only an order's intent is committed before the call goes on;
   * the exchange's answers and the final states are written by a background fiber,
   * several at once in one transaction, and reads wait for them (`WriteBehindJournal.ts`).
   * A killed process may lose the last of these, and start-up recovery learns them
   * again from the exchange. `false`: every write is committed before its call returns.
   */
  readonly writeBehind?: boolean
}

/**
 * `journal` made write-behind unless `options.writeBehind` is `false`; its batches run
 * in `transaction` (the client's).
 */
const withWriteBehind = (
  journal: OrderJournalService,
  transaction: <A, E>(effect: Effect.Effect<A, E>) => Effect.Effect<A, E | SqlError.SqlError>,
  options: WriteBehindOption
) =>
  options.writeBehind === false
    ? Effect.succeed(journal)
    : makeWriteBehindJournal(journal, {
      transaction: (effect) =>
        Effect.mapError(transaction(effect), (e) =>
          SqlError.isSqlError(e)
            ? new JournalError({ operation: "commit", location: journal.location, detail: e.message, cause: e })
            : e)
    })

export interface SqliteJournalOptions extends WriteBehindOption {
  /**
   * How durable a commit is (WAL mode either way). `"normal"` (the default): a commit
   * survives the process being killed (SIGKILL, a crash) but a power loss or OS crash
   * may lose the last commits; recovery at start-up then adopts any open order the
   * journal lost. `"full"`: every commit is fsynced before the request goes on, so it
   * survives a power loss too, at about five times the cost per write. Default: the
   * `ORDEROPS_JOURNAL_SYNC` variable, else `"normal"`.
   */
  readonly synchronous?: SqliteSynchronous
}

/**
 * The durability `ORDEROPS_JOURNAL_SYNC` asks for (`normal` or `full`, any case),
 * `normal` when it is unset or empty; anything else is a `JournalError`.
 */
export const journalSyncFromEnv: Effect.Effect<SqliteSynchronous, JournalError> = Config.String(JOURNAL_SYNC_ENV).pipe(
  Config.withDefault(""),
  Effect.mapError((e) => new JournalError({ operation: "config", location: JOURNAL_SYNC_ENV, detail: e.message, cause: e })),
  Effect.flatMap((raw) => {
    const value = raw.trim().toLowerCase()
    if (value === "") return Effect.succeed("normal" as const)
    return Schema.is(SqliteSynchronous)(value)
      ? Effect.succeed(value)
      : Effect.fail(
        new JournalError({ operation: "config", location: JOURNAL_SYNC_ENV, detail: `expected normal or full, got ${JSON.stringify(raw)}` })
      )
  })
)

/**
 * The journal in the SQLite file `filename` (WAL mode), created with its parent
 * directory if missing. Fails with a `JournalError` naming the file when the file
 * is not a database, is unreadable, or is a directory; the file is left untouched.
 * See `SqliteJournalOptions.synchronous` for what a commit survives.
 */
export const SqliteJournalLayer = (filename: string, options: SqliteJournalOptions = {}): Layer.Layer<OrderJournal, JournalError> =>
  Layer.effect(
    OrderJournal,
    Effect.gen(function*() {
      const synchronous = options.synchronous ?? (yield* journalSyncFromEnv)
      const location = filename === ":memory:" ? filename : resolve(filename)
      if (location !== ":memory:") {
        yield* Effect.try({
          try: () => mkdirSync(dirname(location), { recursive: true }),
          catch: (cause) =>
            new JournalError({
              operation: "open",
              location,
              detail: `cannot create directory ${dirname(location)}: ${
                (cause as NodeJS.ErrnoException).code === "EEXIST" || (cause as NodeJS.ErrnoException).code === "ENOTDIR"
                  ? "a file is in the way"
                  : causeText(cause)
              }`,
              cause
            })
        })
      }
      const { client, executeRaw, transaction } = yield* SqliteClient.makeWithExecutor({ filename: location, synchronous }).pipe(
        Effect.mapError((e) => new JournalError({ operation: "open", location, detail: e.message, cause: e }))
      )
      const journal = yield* Effect.provideService(makeSqlJournal({ location, executeRaw }), SqlClient.SqlClient, client)
      return yield* withWriteBehind(journal, transaction, options)
    })
  ).pipe(Layer.provide(Reactivity.layer))

/** A PostgreSQL URL with its password removed, for messages. */
export const redactUrl = (url: string): string => {
  try {
    const u = new URL(url)
    if (u.password !== "") u.password = "***"
    return u.toString()
  } catch {
    return "postgresql (unparsable URL)"
  }
}

export interface PgJournalOptions extends WriteBehindOption {
  /** Connection pool size. Default 4. */
  readonly maxConnections?: number
  /** Extra session settings sent at connect, e.g. `{ search_path: "orderops" }`. */
  readonly startupParameters?: Readonly<Record<string, string>>
}

/**
 * The journal in PostgreSQL at `url` (`postgres://user:pass@host:port/db`), through
 * `@effect/sql-pg`, running the same SQL as the SQLite journal. Tables are created
 * in the connection's schema (`search_path`) on first use. `@effect/sql-pg` is
 * imported when the layer is built, not when this module loads.
 */
export const PgJournalLayer = (
  url: Redacted.Redacted<string> | string,
  options: PgJournalOptions = {}
): Layer.Layer<OrderJournal, JournalError> =>
  Layer.effect(
    OrderJournal,
    Effect.gen(function*() {
      const secret = typeof url === "string" ? Redacted.make(url) : url
      const location = redactUrl(Redacted.value(secret))
      // Loaded on demand: the SQLite default (and every dry run) never pays for pg.
      const { PgClient } = yield* Effect.promise(() => import("@effect/sql-pg"))
      const client = yield* PgClient.make({
        url: secret,
        maxConnections: options.maxConnections ?? 4,
        connectTimeout: "10 seconds",
        applicationName: "orderops",
        ...(options.startupParameters === undefined ? {} : { startupParameters: options.startupParameters })
      }).pipe(
        Effect.mapError((e) => new JournalError({ operation: "open", location, detail: e.message, cause: e }))
      )
      const journal = yield* Effect.provideService(makeSqlJournal({ location }), SqlClient.SqlClient, client)
      return yield* withWriteBehind(journal, client.withTransaction, options)
    })
  ).pipe(Layer.provide(Reactivity.layer))

const isPostgresUrl = (spec: string): boolean => /^postgres(ql)?:\/\//i.test(spec)

/**
 * The journal a location string names: `:memory:` → in memory (nothing survives
 * the process); `postgres://…` or `postgresql://…` → PostgreSQL; anything else →
 * a SQLite file at that path.
 */
export const JournalLayer = (spec: string): Layer.Layer<OrderJournal, JournalError> =>
  spec === ":memory:"
    ? OrderJournal.layerMemory
    : isPostgresUrl(spec)
    ? PgJournalLayer(spec)
    : SqliteJournalLayer(spec)

/**
 * The journal `ORDEROPS_JOURNAL` names (read through `Config`, so a
 * `ConfigProvider` can supply it), default `.orderops/journal.sqlite` in the
 * current directory. See `JournalLayer` for the forms it takes.
 */
export const JournalLayerFromEnv: Layer.Layer<OrderJournal, JournalError> = Layer.unwrap(
  Config.String(JOURNAL_ENV).pipe(
    Config.withDefault(DEFAULT_JOURNAL_PATH),
    Effect.map((spec) => JournalLayer(spec.trim() === "" ? DEFAULT_JOURNAL_PATH : spec.trim())),
    Effect.mapError((e) =>
      new JournalError({ operation: "config", location: JOURNAL_ENV, detail: e.message, cause: e })
    )
  )
)
