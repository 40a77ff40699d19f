/**
 * A small `effect/sql` `SqlClient` over Node's built-in `node:sqlite` (`DatabaseSync`).
 *
 * Why this file exists: no `@effect/sql-sqlite-node` release works with effect 4.1 yet.
 * Its 4.0.0-beta line imports `effect/unstable/reactivity/*` and `effect/unstable/sql/*`,
 * which effect 4.1 moved to `effect/reactivity` and `effect/sql`, so the import fails
 * (`Cannot find module '.../effect/dist/unstable/reactivity/Reactivity.js'`); npm's
 * `latest` (0.5x) is the Effect 3 line. This module is the small stand-in; once a
 * 4.1-compatible release exists, swap `SqliteClient.layer` for its `SqliteClient.layer`.
 *
 * Shape: one connection, serialized by a `Semaphore` of one permit
 * (`SqlClient.makeSqliteAcquirers`); a transaction holds that permit until it ends,
 * so statements from other fibers wait rather than run inside it. Statements are
 * prepared once and cached (bounded LRU). Opening the file, and how that fails
 * (`SqliteOpenError`), is `SqliteOpen.ts`.
 */
import type { DatabaseSync, SQLInputValue, StatementSync } from "node:sqlite"
import { Config, Context, Effect, Layer, type Scope, Semaphore, Stream } from "effect"
import * as Reactivity from "effect/reactivity/Reactivity"
import { SqlClient, type SqlConnection, SqlError, Statement } from "effect/sql"
import { asSqliteError, errorMessage, openDatabase, type SqliteClientOptions, type SqliteOpenError } from "./SqliteOpen.ts"

export {
  SqliteOpenError,
  SqliteOpenReason,
  type SqliteClientOptions,
  SqliteSynchronous
} from "./SqliteOpen.ts"

const STATEMENT_CACHE_SIZE = 200

// ---------------------------------------------------------------------------
// errors

/**
 * node:sqlite errors carry the SQLite result code as `errcode` (and `code:
 * "ERR_SQLITE_ERROR"`), while `SqlError.classifySqliteError` reads `errno`. Copy it
 * across so the classifier sees it (e.g. 2067 → `UniqueViolation`, 5 → `LockTimeoutError`).
 */
const withErrno = (cause: unknown): unknown => {
  const e = asSqliteError(cause)
  if (e !== undefined && typeof e.errcode === "number" && e.errno === undefined) {
    try {
      e.errno = e.errcode
    } catch {
      // frozen error object: classify as unknown
    }
  }
  return cause
}

const toSqlError = (cause: unknown, message: string, operation: string): SqlError.SqlError =>
  new SqlError.SqlError({
    reason: SqlError.classifySqliteError(withErrno(cause), {
      message: `${message}: ${errorMessage(cause)}`,
      operation
    })
  })


// ---------------------------------------------------------------------------
// the connection

/** Binds what the statement compiler passes through; node:sqlite takes no booleans, Dates or undefined. */
const toSqlInput = (value: unknown, index: number): SQLInputValue => {
  switch (typeof value) {
    case "string":
    case "number":
    case "bigint":
      return value
    case "boolean":
      return value ? 1 : 0
    case "undefined":
      return null
  }
  if (value === null) return null
  if (value instanceof Date) return value.toISOString()
  if (value instanceof Uint8Array) return value
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength)
  // Refuse anything else: node:sqlite would read a plain object in first position as named parameters.
  throw new TypeError(
    `cannot bind parameter ${index + 1}: unsupported value of type ${value?.constructor?.name ?? typeof value}`
  )
}

/** node:sqlite rows have a null prototype; copy them into plain objects. */
const plainRows = (rows: ReadonlyArray<Record<string, unknown>>): Array<Record<string, unknown>> =>
  rows.map((row) => ({ ...row }))

type TransformRows = (<A extends object>(row: ReadonlyArray<A>) => ReadonlyArray<A>) | undefined

const makeConnection = (db: DatabaseSync): SqlConnection.Connection => {
  // Bounded LRU of prepared statements (Map iteration order is insertion order).
  const cache = new Map<string, StatementSync>()
  const prepare = (sql: string, cached: boolean): StatementSync => {
    if (!cached) return db.prepare(sql)
    const hit = cache.get(sql)
    if (hit !== undefined) {
      cache.delete(sql)
      cache.set(sql, hit)
      return hit
    }
    const statement = db.prepare(sql)
    cache.set(sql, statement)
    if (cache.size > STATEMENT_CACHE_SIZE) {
      const oldest = cache.keys().next().value
      if (oldest !== undefined) cache.delete(oldest)
    }
    return statement
  }
  /** Whether a statement returns rows, asked of SQLite once per prepared statement. */
  const returnsRows = new WeakMap<StatementSync, boolean>()
  const readsRows = (statement: StatementSync): boolean => {
    let reads = returnsRows.get(statement)
    if (reads === undefined) {
      reads = statement.columns().length > 0
      returnsRows.set(statement, reads)
    }
    return reads
  }

  /** Runs one statement: rows for statements that return columns, otherwise `run()`'s result (raw) or `[]`. */
  const run = (
    sql: string,
    params: ReadonlyArray<unknown>,
    mode: "rows" | "values" | "raw",
    cached: boolean
  ): Effect.Effect<any, SqlError.SqlError> =>
    Effect.withFiber((fiber) => {
      const safeIntegers = fiber.getRef(SqlClient.SafeIntegers)
      return Effect.try({
        try: () => {
          const statement = prepare(sql, cached)
          const args = params.map(toSqlInput)
          statement.setReadBigInts(safeIntegers)
          statement.setReturnArrays(mode === "values")
          if (readsRows(statement)) {
            const rows = statement.all(...args)
            return mode === "values" ? rows : plainRows(rows as Array<Record<string, unknown>>)
          }
          const result = statement.run(...args)
          return mode === "raw" ? { changes: result.changes, lastInsertRowid: result.lastInsertRowid } : []
        },
        catch: (cause) => toSqlError(cause, "Failed to execute statement", "execute")
      })
    })

  const rows = (sql: string, params: ReadonlyArray<unknown>, transformRows: TransformRows, cached: boolean) => {
    const effect: Effect.Effect<ReadonlyArray<any>, SqlError.SqlError> = run(sql, params, "rows", cached)
    return transformRows ? Effect.map(effect, transformRows) : effect
  }

  return {
    execute: (sql, params, transformRows) => rows(sql, params, transformRows, true),
    executeUnprepared: (sql, params, transformRows) => rows(sql, params, transformRows, false),
    executeRaw: (sql, params) => run(sql, params, "raw", true),
    executeValues: (sql, params) => run(sql, params, "values", true),
    executeValuesUnprepared: (sql, params) => run(sql, params, "values", false),
    // Reads all rows up front (`all()`), then streams them; the connection is held
    // for the stream's lifetime by the acquirer, so nothing interleaves.
    executeStream: (sql, params, transformRows) =>
      Stream.unwrap(Effect.map(rows(sql, params, transformRows, true), (all) => Stream.fromIterable(all)))
  }
}

// ---------------------------------------------------------------------------
// the client

/**
 * A `SqlClient`, and `executeRaw`, which runs one SQL text with its parameters on
 * the same connection, waiting its turn like any statement, but without what
 * `effect/sql` adds to each statement (a span, a scope, compiling the template). For
 * a hot path's few statements, compiled once: the order journal's writes. Inside
 * the calling fiber's `client.withTransaction`, it runs in that transaction.
 */
export interface SqliteClientWithExecutor {
  readonly client: SqlClient.SqlClient
  readonly executeRaw: (sql: string, params: ReadonlyArray<unknown>) => Effect.Effect<void, SqlError.SqlError>
  /**
   * Runs `effect` as one transaction (BEGIN, its statements, COMMIT; ROLLBACK if it or
   * the COMMIT fails), uninterruptibly, holding the connection throughout: the
   * statements it runs, `executeRaw` and `sql` alike, run inside it. A leaner
   * `client.withTransaction`, without its span, scope and after-commit hooks: for the
   * journal's batches of writes.
   */
  readonly transaction: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E | SqlError.SqlError, R>
}

/**
 * Opens `options.filename` and builds a `SqlClient` on it, with `executeRaw` beside
 * it. The database is closed when the scope closes.
 */
export const makeWithExecutor = (
  options: SqliteClientOptions
): Effect.Effect<SqliteClientWithExecutor, SqliteOpenError, Scope.Scope | Reactivity.Reactivity> =>
  Effect.gen(function*() {
    const db = yield* Effect.acquireRelease(openDatabase(options), (db) =>
      Effect.sync(() => {
        if (db.isOpen) db.close()
      }))
    const connection = makeConnection(db)
    const semaphore = yield* Semaphore.make(1)
    const acquirers = SqlClient.makeSqliteAcquirers({
      connection: Effect.succeed(connection),
      semaphore,
      isTransaction: () => db.isTransaction
    })
    const client = yield* SqlClient.make({
      acquirer: acquirers.acquirer,
      borrower: acquirers.borrower,
      transactionAcquirer: acquirers.transactionAcquirer,
      onCommitFailure: acquirers.onCommitFailure,
      isTransaction: acquirers.isTransaction,
      compiler: Statement.makeCompilerSqlite(),
      // Same connection model as @effect/sql-sqlite-node (one connection behind a
      // semaphore), so code that branches on `sql.driver` should treat it alike.
      driver: "sqlite-node",
      prepareTransactionControls: true,
      releaseSavepoint: (name) => `RELEASE SAVEPOINT ${name}`,
      spanAttributes: [["db.system.name", "sqlite"]]
    })
    const borrow = acquirers.borrower
    const transactionService = client.transactionService
    return {
      client,
      // Inside this fiber's transaction, on the transaction's connection (waiting for the
      // permit the transaction holds would never end); otherwise it waits its turn.
      executeRaw: (sql, params) =>
        Effect.withFiber((fiber) => {
          const transaction = Context.getOrUndefined(fiber.context, transactionService)
          return transaction === undefined
            ? borrow((conn) => Effect.asVoid(conn.executeRaw(sql, params)))
            : Effect.asVoid(transaction[0].executeRaw(sql, params))
        }),
      transaction: (effect) =>
        borrow((conn) => {
          const rollback = Effect.sync(() => {
            if (db.isTransaction) db.exec("ROLLBACK")
          })
          const inside = Effect.provideService(effect, transactionService, [conn, 0])
          return Effect.uninterruptible(Effect.andThen(
            conn.executeRaw("BEGIN", []),
            Effect.matchCauseEffect(inside, {
              onFailure: (cause) => Effect.andThen(rollback, Effect.failCause(cause)),
              onSuccess: (a) => Effect.as(Effect.tapError(conn.executeRaw("COMMIT", []), () => rollback), a)
            })
          ))
        })
    }
  })

/**
 * Opens `options.filename` and builds a `SqlClient` on it. The database is closed
 * when the scope closes.
 */
export const make = (
  options: SqliteClientOptions
): Effect.Effect<SqlClient.SqlClient, SqliteOpenError, Scope.Scope | Reactivity.Reactivity> =>
  Effect.map(makeWithExecutor(options), (c) => c.client)

/** `SqlClient` for `options.filename`, with `Reactivity` provided. */
export const layer = (options: SqliteClientOptions): Layer.Layer<SqlClient.SqlClient, SqliteOpenError> =>
  Layer.effect(SqlClient.SqlClient, make(options)).pipe(Layer.provide(Reactivity.layer))

/** `layer` with options read from `Config`, e.g. `{ filename: Config.String("DB_FILE") }`. */
export const layerConfig = (
  config: Config.Wrap<SqliteClientOptions>
): Layer.Layer<SqlClient.SqlClient, SqliteOpenError | Config.ConfigError> =>
  Layer.effect(SqlClient.SqlClient, Effect.flatMap(Config.unwrap(config), make)).pipe(
    Layer.provide(Reactivity.layer)
  )
