import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber, Stream } from "effect"
import * as Reactivity from "effect/reactivity/Reactivity"
import { Migrator, SqlClient } from "effect/sql"
import * as SqliteClient from "../src/layers/journal/SqliteClient.ts"

/** A fresh temp directory, removed when the test's scope closes. */
const tempDir = Effect.acquireRelease(
  Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "orderops-sqlite-"))),
  (dir) => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true }))
)

/** Runs `effect` against a client on `filename`, closing the database afterwards. */
const withDb = <A, E>(filename: string, effect: Effect.Effect<A, E, SqlClient.SqlClient>) =>
  effect.pipe(Effect.provide(SqliteClient.layer({ filename })))

/** Opens with `make` directly (not the layer) and returns the failure. */
const openError = (filename: string) =>
  SqliteClient.make({ filename }).pipe(Effect.scoped, Effect.provide(Reactivity.layer), Effect.flip)

const createOrders = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`CREATE TABLE orders (
    id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    qty REAL NOT NULL,
    filled INTEGER NOT NULL DEFAULT 0,
    created_at TEXT
  )`
})

const countOrders = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const rows = yield* sql<{ n: number }>`SELECT count(*) AS n FROM orders`
  return rows[0]!.n
})

describe("SqliteClient (node:sqlite)", () => {
  it.effect("round trip: sql template, sql.insert, values, stream, typed constraint errors", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      yield* withDb(
        path.join(dir, "orders.sqlite"),
        Effect.gen(function*() {
          const sql = yield* SqlClient.SqlClient
          assert.strictEqual(sql.driver, "sqlite-node")
          yield* createOrders
          yield* sql`INSERT INTO orders ${
            sql.insert({ id: "o-1", status: "open", qty: 1.5, filled: true, created_at: new Date(0) })
          }`
          yield* sql`INSERT INTO orders ${
            sql.insert([
              { id: "o-2", status: "closed", qty: 2, filled: false, created_at: undefined },
              { id: "o-3", status: "open", qty: 3, filled: false, created_at: null }
            ])
          }`

          const open = yield* sql<{
            id: string
            status: string
            qty: number
            filled: number
            created_at: string | null
          }>`SELECT * FROM orders WHERE status = ${"open"} ORDER BY id`
          assert.deepStrictEqual(open, [
            { id: "o-1", status: "open", qty: 1.5, filled: 1, created_at: "1970-01-01T00:00:00.000Z" },
            { id: "o-3", status: "open", qty: 3, filled: 0, created_at: null }
          ])

          const closed = yield* sql<{ id: string; created_at: null }>`SELECT id, created_at FROM orders
            WHERE ${sql.in("id", ["o-2", "o-9"])}`
          assert.deepStrictEqual(closed, [{ id: "o-2", created_at: null }])

          const values = yield* sql`SELECT id, qty FROM orders ORDER BY id`.values
          assert.deepStrictEqual(values, [["o-1", 1.5], ["o-2", 2], ["o-3", 3]])

          const streamed = yield* Stream.runCollect(sql<{ id: string }>`SELECT id FROM orders ORDER BY id`.stream)
          assert.deepStrictEqual(streamed.map((r) => r.id), ["o-1", "o-2", "o-3"])

          const raw = yield* sql`UPDATE orders SET status = ${"canceled"} WHERE status = ${"open"}`.raw
          assert.strictEqual((raw as { changes: number }).changes, 2)

          // Constraint failures are typed SqlErrors, classified from node:sqlite's errcode.
          // effect's classifySqliteError maps only SQLITE_CONSTRAINT_UNIQUE (2067) to UniqueViolation;
          // a duplicate PRIMARY KEY is SQLITE_CONSTRAINT_PRIMARYKEY (1555), so it is a ConstraintError.
          const dupKey = yield* Effect.flip(sql`INSERT INTO orders ${sql.insert({ id: "o-1", status: "open", qty: 1 })}`)
          assert.strictEqual(dupKey._tag, "SqlError")
          assert.strictEqual(dupKey.reason._tag, "ConstraintError")
          assert.include(dupKey.message, "UNIQUE constraint failed: orders.id")
          yield* sql`CREATE UNIQUE INDEX orders_qty ON orders (qty)`
          const dup = yield* Effect.flip(sql`INSERT INTO orders ${sql.insert({ id: "o-9", status: "open", qty: 2 })}`)
          assert.strictEqual(dup.reason._tag, "UniqueViolation")
          assert.strictEqual(dup.reason._tag === "UniqueViolation" && dup.reason.constraint, "orders.qty")
          assert.strictEqual(dup.isRetryable, false)

          const syntax = yield* Effect.flip(sql`SELEC 1`)
          assert.strictEqual(syntax._tag, "SqlError")
          assert.include(syntax.message, "syntax error")
        })
      )
    }))

  it.effect("data survives reopening the file; WAL, busy_timeout and foreign_keys are set", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const filename = path.join(dir, "orders.sqlite")
      yield* withDb(
        filename,
        Effect.gen(function*() {
          const sql = yield* SqlClient.SqlClient
          yield* createOrders
          yield* sql`INSERT INTO orders ${sql.insert({ id: "o-1", status: "open", qty: 1 })}`
        })
      )
      assert.isTrue(fs.statSync(filename).size > 0)
      // Closing the last WAL connection checkpoints and deletes the -wal file: the layer closed the database.
      assert.isFalse(fs.existsSync(`${filename}-wal`))

      const [rows, journal, busy, fk] = yield* withDb(
        filename,
        Effect.gen(function*() {
          const sql = yield* SqlClient.SqlClient
          return yield* Effect.all([
            sql<{ id: string; status: string }>`SELECT id, status FROM orders`,
            sql<{ journal_mode: string }>`PRAGMA journal_mode`,
            sql<{ timeout: number }>`PRAGMA busy_timeout`,
            sql<{ foreign_keys: number }>`PRAGMA foreign_keys`
          ])
        })
      )
      assert.deepStrictEqual(rows, [{ id: "o-1", status: "open" }])
      assert.deepStrictEqual(journal, [{ journal_mode: "wal" }])
      assert.deepStrictEqual(busy, [{ timeout: 5000 }])
      assert.deepStrictEqual(fk, [{ foreign_keys: 1 }])
    }))

  it.effect("synchronous: NORMAL or FULL as asked, SQLite's FULL when not", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const level = (synchronous?: SqliteClient.SqliteSynchronous) =>
        Effect.flatMap(Effect.service(SqlClient.SqlClient), (sql) => sql<{ synchronous: number }>`PRAGMA synchronous`).pipe(
          Effect.provide(SqliteClient.layer({ filename: path.join(dir, "sync.sqlite"), synchronous })),
          Effect.map((rows) => rows[0]!.synchronous)
        )
      assert.strictEqual(yield* level("normal"), 1)
      assert.strictEqual(yield* level("full"), 2)
      assert.strictEqual(yield* level(), 2)
    }))

  it.effect(":memory: works and stays out of WAL mode", () =>
    withDb(
      ":memory:",
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const journal = yield* sql<{ journal_mode: string }>`PRAGMA journal_mode`
        assert.deepStrictEqual(journal, [{ journal_mode: "memory" }])
        yield* createOrders
        assert.strictEqual(yield* countOrders, 0)
      })
    ))

  it.effect("executeRaw waits for another fiber's transaction and never lands inside it", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const { client, executeRaw } = yield* SqliteClient.makeWithExecutor({ filename: path.join(dir, "raw.sqlite") })
      yield* Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        yield* createOrders
        const inTransaction = yield* Deferred.make<void>()
        const release = yield* Deferred.make<void>()
        const transaction = yield* Effect.forkChild(Effect.exit(sql.withTransaction(Effect.gen(function*() {
          yield* sql`INSERT INTO orders ${sql.insert({ id: "in-tx", status: "open", qty: 1 })}`
          yield* Deferred.succeed(inTransaction, undefined)
          yield* Deferred.await(release)
          return yield* Effect.fail("rolled back" as const)
        }))))
        yield* Deferred.await(inTransaction)
        const raw = yield* Effect.forkChild(executeRaw("INSERT INTO orders (id, status, qty) VALUES (?, ?, ?)", ["raw", "open", 2]))
        yield* Effect.yieldNow
        assert.isUndefined(raw.pollUnsafe(), "the raw write waits while the transaction holds the connection")
        yield* Deferred.succeed(release, undefined)
        assert.deepStrictEqual(yield* Fiber.join(transaction), Exit.fail("rolled back" as const))
        yield* Fiber.join(raw)
        const ids = yield* sql<{ id: string }>`SELECT id FROM orders ORDER BY id`
        assert.deepStrictEqual(ids, [{ id: "raw" }], "the rollback took the transaction's row, not the raw write")
      }).pipe(Effect.provideService(SqlClient.SqlClient, client))
    }).pipe(Effect.provide(Reactivity.layer)))

  it.effect("executeRaw inside its own fiber's transaction runs in it: committed or rolled back with it", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const { client, executeRaw } = yield* SqliteClient.makeWithExecutor({ filename: path.join(dir, "raw-tx.sqlite") })
      yield* Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        yield* createOrders
        const insert = (id: string) => executeRaw("INSERT INTO orders (id, status, qty) VALUES (?, ?, ?)", [id, "open", 1])
        yield* sql.withTransaction(Effect.andThen(insert("kept-1"), insert("kept-2")))
        const failed = yield* Effect.exit(sql.withTransaction(Effect.andThen(insert("gone"), Effect.fail("boom" as const))))
        assert.deepStrictEqual(failed, Exit.fail("boom" as const))
        const ids = yield* sql<{ id: string }>`SELECT id FROM orders ORDER BY id`
        assert.deepStrictEqual(ids, [{ id: "kept-1" }, { id: "kept-2" }])
      }).pipe(Effect.provideService(SqlClient.SqlClient, client))
    }).pipe(Effect.provide(Reactivity.layer)))

  it.effect("transaction: executeRaw and sql statements inside it commit together, or roll back together on failure", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const { client, executeRaw, transaction } = yield* SqliteClient.makeWithExecutor({ filename: path.join(dir, "lean-tx.sqlite") })
      yield* Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        yield* createOrders
        const raw = (id: string) => executeRaw("INSERT INTO orders (id, status, qty) VALUES (?, ?, ?)", [id, "open", 1])
        const viaSql = (id: string) => sql`INSERT INTO orders ${sql.insert({ id, status: "open", qty: 1 })}`
        assert.strictEqual(yield* transaction(Effect.as(Effect.andThen(raw("kept-1"), viaSql("kept-2")), "done")), "done")
        const failed = yield* Effect.exit(transaction(Effect.andThen(Effect.andThen(raw("gone-1"), viaSql("gone-2")), Effect.fail("boom" as const))))
        assert.deepStrictEqual(failed, Exit.fail("boom" as const))
        // A failing statement fails the transaction with its SqlError, and rolls back what came before it.
        const duplicate = yield* Effect.exit(transaction(Effect.andThen(raw("gone-3"), raw("kept-1"))))
        assert.isTrue(Exit.isFailure(duplicate))
        const ids = yield* sql<{ id: string }>`SELECT id FROM orders ORDER BY id`
        assert.deepStrictEqual(ids, [{ id: "kept-1" }, { id: "kept-2" }])
        // The connection is usable afterwards, outside any transaction.
        yield* raw("after")
        assert.strictEqual(yield* countOrders, 3)
      }).pipe(Effect.provideService(SqlClient.SqlClient, client))
    }).pipe(Effect.provide(Reactivity.layer)))

  it.effect("withTransaction commits on success and rolls back on failure (nested: savepoint)", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      yield* withDb(
        path.join(dir, "tx.sqlite"),
        Effect.gen(function*() {
          const sql = yield* SqlClient.SqlClient
          yield* createOrders
          const insert = (id: string) => sql`INSERT INTO orders ${sql.insert({ id, status: "open", qty: 1 })}`

          const failed = yield* Effect.exit(sql.withTransaction(
            Effect.gen(function*() {
              yield* insert("o-1")
              yield* insert("o-2")
              assert.strictEqual(yield* countOrders, 2) // visible inside the transaction
              return yield* Effect.fail("boom" as const)
            })
          ))
          assert.deepStrictEqual(failed, Exit.fail("boom"))
          assert.strictEqual(yield* countOrders, 0)

          // A failing statement (duplicate key) rolls back the earlier insert too.
          const dup = yield* Effect.exit(sql.withTransaction(Effect.andThen(insert("o-3"), insert("o-3"))))
          assert.isTrue(Exit.isFailure(dup))
          assert.strictEqual(yield* countOrders, 0)

          // Nested: the inner failure rolls back to its savepoint, the outer commits.
          yield* sql.withTransaction(Effect.gen(function*() {
            yield* insert("o-4")
            yield* Effect.ignore(sql.withTransaction(Effect.andThen(insert("o-5"), Effect.fail("inner"))))
          }))
          const ids = yield* sql<{ id: string }>`SELECT id FROM orders ORDER BY id`
          assert.deepStrictEqual(ids, [{ id: "o-4" }])
        })
      )
    }))

  it.effect("Migrator runs each migration once and records it in effect_sql_migrations", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const filename = path.join(dir, "migrate.sqlite")
      let runs = 0
      const migrate = Migrator.make({})({
        loader: Migrator.fromRecord({
          "0001_create_orders": Effect.andThen(Effect.sync(() => runs++), createOrders),
          "0002_index_status": Effect.gen(function*() {
            runs++
            const sql = yield* SqlClient.SqlClient
            yield* sql`CREATE INDEX orders_status ON orders (status)`
          })
        })
      })

      const first = yield* withDb(filename, migrate)
      assert.deepStrictEqual(first, [[1, "create_orders"], [2, "index_status"]])
      assert.strictEqual(runs, 2)

      const second = yield* withDb(filename, migrate)
      assert.deepStrictEqual(second, [])
      assert.strictEqual(runs, 2)

      const [recorded, indexes] = yield* withDb(
        filename,
        Effect.gen(function*() {
          const sql = yield* SqlClient.SqlClient
          return yield* Effect.all([
            sql<{ migration_id: number; name: string }>`SELECT migration_id, name FROM effect_sql_migrations
              ORDER BY migration_id`,
            sql<{ name: string }>`SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'orders_status'`
          ])
        })
      )
      assert.deepStrictEqual(recorded, [{ migration_id: 1, name: "create_orders" }, {
        migration_id: 2,
        name: "index_status"
      }])
      assert.deepStrictEqual(indexes, [{ name: "orders_status" }])
    }))

  it.effect("a failing migration is rolled back and not recorded", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const filename = path.join(dir, "migrate-fail.sqlite")
      const result = yield* withDb(
        filename,
        Effect.flip(Migrator.make({})({
          loader: Migrator.fromRecord({
            "0001_create_orders": createOrders,
            "0002_broken": Effect.gen(function*() {
              const sql = yield* SqlClient.SqlClient
              yield* sql`CREATE TABLE nope (`
            })
          })
        }))
      )
      assert.strictEqual(result._tag, "MigrationError")
      const tables = yield* withDb(
        filename,
        Effect.gen(function*() {
          const sql = yield* SqlClient.SqlClient
          return yield* sql<{ name: string }>`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`
        })
      )
      // The migrations table exists (created before the transaction), but 0001 was rolled back with 0002.
      assert.deepStrictEqual(tables, [{ name: "effect_sql_migrations" }])
    }))

  it.effect("two concurrent fibers writing 100 rows each all land", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      yield* withDb(
        path.join(dir, "concurrent.sqlite"),
        Effect.gen(function*() {
          const sql = yield* SqlClient.SqlClient
          yield* createOrders
          const writer = (prefix: string) =>
            Effect.forEach(
              Array.from({ length: 100 }, (_, i) => i),
              (i) =>
                Effect.andThen(
                  sql`INSERT INTO orders ${sql.insert({ id: `${prefix}-${i}`, status: "open", qty: i })}`,
                  Effect.yieldNow
                ),
              { discard: true }
            )
          yield* Effect.all([writer("a"), writer("b")], { concurrency: 2 })
          assert.strictEqual(yield* countOrders, 200)

          // Each fiber in its own transaction: the transaction holds the connection,
          // so the other fiber's BEGIN waits instead of nesting ("cannot start a transaction within a transaction").
          yield* Effect.all([sql.withTransaction(writer("c")), sql.withTransaction(writer("d"))], { concurrency: 2 })
          const perPrefix = yield* sql<{ p: string; n: number }>`SELECT substr(id, 1, 1) AS p, count(*) AS n
            FROM orders GROUP BY p ORDER BY p`
          assert.deepStrictEqual(perPrefix, [
            { p: "a", n: 100 },
            { p: "b", n: 100 },
            { p: "c", n: 100 },
            { p: "d", n: 100 }
          ])
        })
      )
    }))

  it.effect("a corrupt file fails with SqliteOpenError naming it, and is left byte-for-byte unchanged", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const filename = path.join(dir, "corrupt.sqlite")
      const alphabet = "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789\n"
      const text = Array.from({ length: 8192 }, () => alphabet[Math.floor(Math.random() * alphabet.length)]).join("")
      fs.writeFileSync(filename, text)
      const before = fs.readFileSync(filename)

      const error = yield* Effect.flip(withDb(filename, Effect.void))
      assert.strictEqual(error._tag, "SqliteOpenError")
      assert.strictEqual(error.filename, filename)
      assert.strictEqual(error.reason, "NotADatabase")
      assert.include(error.message, filename)
      assert.include(error.message, "file is not a database")

      // Same through `make`, and a read-only open.
      const viaMake = yield* openError(filename)
      assert.strictEqual(viaMake.reason, "NotADatabase")
      const readonly = yield* SqliteClient.make({ filename, readonly: true }).pipe(
        Effect.scoped,
        Effect.provide(Reactivity.layer),
        Effect.flip
      )
      assert.strictEqual(readonly.reason, "NotADatabase")

      assert.isTrue(fs.readFileSync(filename).equals(before))
      assert.deepStrictEqual(fs.readdirSync(dir), ["corrupt.sqlite"]) // no -wal / -shm / journal left behind
    }))

  it.effect("a directory fails with SqliteOpenError naming it", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const target = path.join(dir, "a-directory")
      fs.mkdirSync(target)
      const error = yield* openError(target)
      assert.strictEqual(error._tag, "SqliteOpenError")
      assert.strictEqual(error.reason, "IsDirectory")
      assert.strictEqual(error.filename, target)
      assert.include(error.message, target)
      assert.isTrue(fs.statSync(target).isDirectory())
      assert.deepStrictEqual(fs.readdirSync(target), [])
    }))

  it.effect("a missing parent directory, or a missing file opened read-only, fails as NotFound without creating anything", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const nested = path.join(dir, "no-such-dir", "db.sqlite")
      const error = yield* openError(nested)
      assert.strictEqual(error.reason, "NotFound")
      assert.include(error.message, nested)

      const missing = path.join(dir, "missing.sqlite")
      const readonly = yield* SqliteClient.make({ filename: missing, readonly: true }).pipe(
        Effect.scoped,
        Effect.provide(Reactivity.layer),
        Effect.flip
      )
      assert.strictEqual(readonly.reason, "NotFound")
      assert.include(readonly.message, missing)
      assert.deepStrictEqual(fs.readdirSync(dir), [])
    }))

  // root bypasses file permissions, so this only runs as an ordinary user
  // (checked with `runuser -u nobody -- vitest run --configLoader runner test/sqlite-client.test.ts`).
  it.effect.skipIf(process.getuid?.() === 0)("unreadable or write-protected files fail with PermissionDenied naming them", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const filename = path.join(dir, "locked.sqlite")
      yield* withDb(filename, createOrders)

      fs.chmodSync(filename, 0o000)
      const unreadable = yield* openError(filename)
      assert.strictEqual(unreadable.reason, "PermissionDenied")
      assert.include(unreadable.message, filename)

      // SQLite would silently open a write-protected file read-only; a read-write open refuses instead.
      fs.chmodSync(filename, 0o400)
      const writeProtected = yield* openError(filename)
      assert.strictEqual(writeProtected.reason, "PermissionDenied")
      assert.include(writeProtected.message, filename)
      assert.include(writeProtected.message, "readonly: true")
      const n = yield* countOrders.pipe(Effect.provide(SqliteClient.layer({ filename, readonly: true })))
      assert.strictEqual(n, 0)
      fs.chmodSync(filename, 0o600)
    }))

  it.effect("a read-only client reads but cannot write", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const filename = path.join(dir, "ro.sqlite")
      yield* withDb(
        filename,
        Effect.gen(function*() {
          const sql = yield* SqlClient.SqlClient
          yield* createOrders
          yield* sql`INSERT INTO orders ${sql.insert({ id: "o-1", status: "open", qty: 1 })}`
        })
      )
      yield* Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        assert.strictEqual(yield* countOrders, 1)
        const error = yield* Effect.flip(sql`DELETE FROM orders`)
        assert.strictEqual(error._tag, "SqlError")
        assert.include(error.message, "readonly")
      }).pipe(Effect.provide(SqliteClient.layer({ filename, readonly: true })))
    }))
})
