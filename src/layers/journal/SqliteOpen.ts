/**
 * Opening a SQLite database file for the journal, through Node's `node:sqlite`:
 * the options, and the one way opening fails (`SqliteOpenError`, with a reason read
 * from the file and its folder). Opening sets `busy_timeout = 5000`,
 * `foreign_keys = ON` and, for files opened read-write, `journal_mode = WAL` and the
 * `synchronous` level asked for, after checking that the file really is a SQLite
 * database, and that its write lock can be taken (a lock another process keeps is
 * `Locked`, naming the holder where the system says: `FileLockHolders.ts`). It never deletes, truncates or replaces an existing file.
 * `SqliteClient.ts` builds the `effect/sql` client over the opened database.
 */
import { accessSync, constants as fsConstants, statSync } from "node:fs"
import { dirname } from "node:path"
import { DatabaseSync } from "node:sqlite"
import { Effect, Schema } from "effect"
import { describeHolders, writeLockHolders } from "./FileLockHolders.ts"

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

/** How long a statement waits for another connection's lock, in milliseconds. */
const BUSY_TIMEOUT_MS = 5000

/** What node:sqlite errors carry. */
interface NodeSqliteError {
  readonly message?: unknown
  readonly code?: unknown
  readonly errcode?: unknown
  readonly errstr?: unknown
  errno?: unknown
}

export const asSqliteError = (cause: unknown): NodeSqliteError | undefined =>
  typeof cause === "object" && cause !== null ? (cause as NodeSqliteError) : undefined

export const errorMessage = (cause: unknown): string => {
  const e = asSqliteError(cause)
  return typeof e?.message === "string" ? e.message : String(cause)
}

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
    case 6: { // SQLITE_LOCKED
      const holders = isMemory(filename) ? [] : writeLockHolders([filename, `${filename}-shm`])
      const by = holders.length === 0 ? "another connection holds its write lock" : `its write lock is held by ${describeHolders(holders)}`
      return fail("Locked", `${sqliteMessage}: ${by} (waited ${BUSY_TIMEOUT_MS} ms)`)
    }
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
 * Takes the write lock once and lets it go. In WAL mode readers never wait, so a
 * write lock another process keeps (a long transaction, a shell left in `BEGIN`)
 * would otherwise show only at the first write, and every write would wait out the
 * busy timeout in turn: this makes it one failure at start.
 */
const checkWriteLock = (db: DatabaseSync): void => {
  db.exec("BEGIN IMMEDIATE")
  db.exec("ROLLBACK")
}

/**
 * Opens and sets up the database, or fails with the connection already closed.
 * Order matters: the busy timeout first, so the checks wait on locks; then a read
 * of page 1 (`sqlite_master`), which rejects a file that is not a database before
 * anything could be written; then WAL, the write-lock check and foreign keys.
 */
export const openDatabase = (options: SqliteClientOptions): Effect.Effect<DatabaseSync, SqliteOpenError> =>
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
          checkWriteLock(db)
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
