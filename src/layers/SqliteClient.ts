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
 * prepared once and cached (bounded LRU). Opening sets `busy_timeout = 5000`,
 * `foreign_keys = ON` and, for files opened read-write, `journal_mode = WAL` and the
 * `synchronous` level asked for (SQLite's own default, FULL, otherwise), after
 * checking that the file really is a SQLite database. Opening never deletes,
 * truncates or replaces an existing file: a file SQLite cannot use fails with a
 * `SqliteOpenError` that names it.
 */
import { accessSync, constants as fsConstants, statSync } from "node:fs"
import { dirname } from "node:path"
import { DatabaseSync, type SQLInputValue, type StatementSync } from "node:sqlite"
import { Config, Context, Effect, Layer, Schema, type Scope, Semaphore, Stream } from "effect"
import * as Reactivity from "effect/reactivity/Reactivity"
import { SqlClient, type SqlConnection, SqlError, Statement } from "effect/sql"

/** What went wrong when opening a database file. */
export const SqliteOpenReason = Schema.Literals([
  /** The file exists but is not a SQLite database (or its header is corrupt). */
  "NotADatabase",
  /** The path is a directory. */
  "IsDirectory",
  /** The file (read-only open) or its parent directory does not exist. */
  "NotFound",
  /** The process may not read (or, for a read-write open, write) the file or its directory. */
  "PermissionDenied",
  /** Another connection holds a lock that did not clear within the busy timeout. */
  "Locked",
  /** Any other failure to open or set up the connection. */
  "CannotOpen"
])
export type SqliteOpenReason = typeof SqliteOpenReason.Type

/** The database could not be opened. The file is left exactly as it was. */
export class SqliteOpenError extends Schema.TaggedError<SqliteOpenError>()("SqliteOpenError", {
  filename: Schema.String,
  reason: SqliteOpenReason,
  detail: Schema.String,
  cause: Schema.optional(Schema.Defect())
}) {
  override get message(): string {
    return `cannot open SQLite database ${JSON.stringify(this.filename)} (${this.reason}): ${this.detail}`
  }
}

export interface SqliteClientOptions {
  /** Path of the database file, or `":memory:"`. A missing file is created unless `readonly`. */
  readonly filename: string
  /** Open read-only: no WAL switch, writes fail with `SqlError`. Default false. */
  readonly readonly?: boolean | undefined
  /**
   * `PRAGMA synchronous` for a file opened read-write, in WAL mode. `"normal"`: a
   * commit is written to the WAL but not fsynced, so it survives the process being
   * killed, while a power loss or OS crash may lose the last commits (never corrupting
   * the file). `"full"`: every commit is fsynced before it returns. Default: SQLite's
   * (FULL in Node's build).
   */
  readonly synchronous?: SqliteSynchronous | undefined
}

/** The durability levels offered for a WAL database: see `SqliteClientOptions.synchronous`. */
export const SqliteSynchronous = Schema.Literals(["normal", "full"])
export type SqliteSynchronous = typeof SqliteSynchronous.Type

const BUSY_TIMEOUT_MS = 5000
const STATEMENT_CACHE_SIZE = 200

// ---------------------------------------------------------------------------
// errors

interface NodeSqliteError {
  readonly message?: unknown
  readonly code?: unknown
  readonly errcode?: unknown
  readonly errstr?: unknown
  errno?: unknown
}

const asSqliteError = (cause: unknown): NodeSqliteError | undefined =>
  typeof cause === "object" && cause !== null ? (cause as NodeSqliteError) : undefined

const errorMessage = (cause: unknown): string => {
  const e = asSqliteError(cause)
  return typeof e?.message === "string" ? e.message : String(cause)
}

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

const isMemory = (filename: string): boolean =>
  filename === ":memory:" || filename === "" || filename.startsWith("file::memory:")

/** Turns a failure to open/set up `filename` into a `SqliteOpenError`, looking at the path for a clearer reason. */
const toOpenError = (filename: string, readonly: boolean, cause: unknown): SqliteOpenError => {
  const code = asSqliteError(cause)?.errcode
  const primary = typeof code === "number" ? code & 0xff : undefined
  const sqliteMessage = errorMessage(cause)
  const fail = (reason: SqliteOpenReason, detail: string) =>
    new SqliteOpenError({ filename, reason, detail, cause })
  if (cause instanceof AccessDenied) return fail("PermissionDenied", cause.message)
  switch (primary) {
    case 26: // SQLITE_NOTADB
    case 11: // SQLITE_CORRUPT
      return fail("NotADatabase", `${sqliteMessage}; the file was left untouched`)
    case 5: // SQLITE_BUSY
    case 6: // SQLITE_LOCKED
      return fail("Locked", `${sqliteMessage} (waited ${BUSY_TIMEOUT_MS} ms)`)
    case 3: // SQLITE_PERM
    case 8: // SQLITE_READONLY
    case 23: // SQLITE_AUTH
      return fail("PermissionDenied", sqliteMessage)
  }
  if (!isMemory(filename)) {
    // SQLITE_CANTOPEN (14) and friends say nothing about why; ask the file system.
    const stat = (p: string) => {
      try {
        return statSync(p)
      } catch (e) {
        return (e as NodeJS.ErrnoException).code ?? "ERROR"
      }
    }
    const file = stat(filename)
    if (typeof file !== "string" && file.isDirectory()) {
      return fail("IsDirectory", `the path is a directory (${sqliteMessage})`)
    }
    if (file === "EACCES" || file === "EPERM") {
      return fail("PermissionDenied", `${sqliteMessage} (no permission to reach the file)`)
    }
    if (file === "ENOENT") {
      const parent = stat(dirname(filename))
      if (typeof parent === "string" || !parent.isDirectory()) {
        return fail("NotFound", `directory ${JSON.stringify(dirname(filename))} does not exist (${sqliteMessage})`)
      }
      if (readonly) {
        return fail("NotFound", `the file does not exist and readonly mode cannot create it (${sqliteMessage})`)
      }
    }
    if (primary === 14) {
      return fail(
        "PermissionDenied",
        `${sqliteMessage} (check read${readonly ? "" : "/write"} permission on the file and its directory)`
      )
    }
  }
  return fail("CannotOpen", sqliteMessage)
}

// ---------------------------------------------------------------------------
// opening

/**
 * For a read-write open of an existing file: name the permission problem up front.
 * An unreadable file would only give SQLite's bare "unable to open database file",
 * and for a write-protected one SQLite quietly falls back to a read-only
 * connection, so the first write would fail much later. (A missing file is left
 * to SQLite, which creates it.)
 */
const checkAccess = (filename: string): void => {
  const denied = (mode: number) => {
    try {
      accessSync(filename, mode)
      return false
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code
      return code === "EACCES" || code === "EPERM" // ENOENT etc.: let SQLite create or report it
    }
  }
  if (denied(fsConstants.R_OK)) {
    throw new AccessDenied("permission denied reading the file (or a directory on its path)")
  }
  if (denied(fsConstants.W_OK)) {
    throw new AccessDenied("the file is not writable by this process (open it with readonly: true to read it)")
  }
}

class AccessDenied extends Error {}

/**
 * Opens and sets up the database, or fails with the connection already closed.
 * Order matters: the busy timeout first, so the checks wait on locks; then a read
 * of page 1 (`sqlite_master`), which rejects a file that is not a database before
 * anything could be written; then WAL and foreign keys.
 */
const openDatabase = (options: SqliteClientOptions): Effect.Effect<DatabaseSync, SqliteOpenError> =>
  Effect.try({
    try: () => {
      const readonly = options.readonly === true
      if (!readonly && !isMemory(options.filename)) checkAccess(options.filename)
      const db = new DatabaseSync(options.filename, { readOnly: readonly })
      try {
        db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`)
        db.prepare("SELECT count(*) AS n FROM sqlite_master").get()
        if (!readonly && !isMemory(options.filename)) {
          db.exec("PRAGMA journal_mode = WAL")
          if (options.synchronous !== undefined) db.exec(`PRAGMA synchronous = ${options.synchronous === "full" ? "FULL" : "NORMAL"}`)
        }
        db.exec("PRAGMA foreign_keys = ON")
        return db
      } catch (e) {
        db.close()
        throw e
      }
    },
    catch: (cause) => toOpenError(options.filename, options.readonly === true, cause)
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
