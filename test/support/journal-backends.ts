/**
 * The journal stores every journal test runs against: memory, a SQLite file in a
 * temporary directory and, when `DATABASE_URL` is set, PostgreSQL (each store in a
 * schema of its own, dropped afterwards).
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { PgClient } from "@effect/sql-pg"
import { Effect, Layer, Option, Redacted, type Scope } from "effect"
import { SqlClient } from "effect/sql"
import type { JournalError } from "../../src/errors/JournalError.ts"
import { PgJournalLayer, SqliteJournalLayer } from "../../src/layers/journal/Journal.ts"
import * as SqliteClient from "../../src/layers/journal/SqliteClient.ts"
import { OrderJournal } from "../../src/services/OrderJournal.ts"

/** A fresh, empty journal store for one test. */
export interface Store {
  /** Opens a journal on the store; providing it twice reopens the same store (if durable). */
  readonly journal: Layer.Layer<OrderJournal, JournalError>
  /** Raw SQL access to the store (durable stores only). */
  readonly client: Option.Option<Layer.Layer<SqlClient.SqlClient, unknown>>
  readonly durable: boolean
  /**
   * How a child process opens the same store (durable stores): `JOURNAL` is the
   * file or URL, `JOURNAL_PG_SCHEMA` the PostgreSQL schema. See test/support/crash-bot.ts.
   */
  readonly childEnv: Readonly<Record<string, string>>
}

export interface Backend {
  readonly name: string
  /** Why the backend is skipped here, if it is. */
  readonly skip: string | undefined
  readonly store: Effect.Effect<Store, never, Scope.Scope>
}

/** A temporary directory, removed when the scope closes. */
export const tempDir = Effect.acquireRelease(
  Effect.sync(() => mkdtempSync(join(tmpdir(), "orderops-journal-"))),
  (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
)

export const memory: Backend = {
  name: "memory",
  skip: undefined,
  store: Effect.succeed({ journal: OrderJournal.layerMemory, client: Option.none(), durable: false, childEnv: {} })
}

export const sqlite: Backend = {
  name: "sqlite",
  skip: undefined,
  store: Effect.map(tempDir, (dir) => {
    const filename = join(dir, "nested", "journal.sqlite")
    return {
      journal: SqliteJournalLayer(filename),
      client: Option.some(
        Layer.suspend(() => {
          mkdirSync(join(dir, "nested"), { recursive: true })
          return SqliteClient.layer({ filename })
        })
      ),
      durable: true,
      childEnv: { JOURNAL: filename }
    }
  })
}

const DATABASE_URL = process.env["DATABASE_URL"]
const pgSkip = DATABASE_URL === undefined || DATABASE_URL === ""
  ? "DATABASE_URL is not set (scripts/ci-postgres.sh start prints one when PostgreSQL is installed)"
  : undefined
if (pgSkip !== undefined) console.warn(`journal tests: skipping PostgreSQL: ${pgSkip}`)

/** Each PostgreSQL store is its own schema, dropped afterwards, so tests never see each other's rows. */
export const postgres: Backend = {
  name: "postgres",
  skip: pgSkip,
  store: Effect.gen(function*() {
    const url = Redacted.make(DATABASE_URL ?? "")
    const schema = `orderops_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`
    const admin = PgClient.layer({ url, maxConnections: 1 })
    const run = (statement: (sql: SqlClient.SqlClient) => Effect.Effect<unknown, unknown>) =>
      Effect.orDie(Effect.provide(Effect.flatMap(Effect.service(SqlClient.SqlClient), statement), admin))
    yield* Effect.acquireRelease(
      run((sql) => sql`CREATE SCHEMA ${sql(schema)}`),
      () => run((sql) => sql`DROP SCHEMA ${sql(schema)} CASCADE`)
    )
    const startupParameters = { search_path: schema }
    return {
      journal: PgJournalLayer(url, { startupParameters }),
      client: Option.some(PgClient.layer({ url, maxConnections: 1, startupParameters })),
      durable: true,
      childEnv: { JOURNAL: DATABASE_URL ?? "", JOURNAL_PG_SCHEMA: schema }
    }
  })
}

export const backends: ReadonlyArray<Backend> = [memory, sqlite, postgres]
