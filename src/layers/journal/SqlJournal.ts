/**
 * The order journal over any `effect/sql` `SqlClient`: the same SQL runs on SQLite
 * (`node:sqlite`, the embedded default) and PostgreSQL (`@effect/sql-pg`). Only
 * portable SQL is used: `INSERT ... ON CONFLICT (key) DO UPDATE ... WHERE`, TEXT
 * and BIGINT columns, `LIMIT`. Amounts are exact decimal text; times are epoch ms.
 *
 * The schema is versioned with `Migrator` (table `orderops_migrations`), applied
 * when the journal is made. Tables:
 * - `orderops_orders`: one row per client order id (the intent, then the exchange's view);
 * - `orderops_state`: state blobs by key (releases before the paper store kept the
 *   dry run's book here; see `SqlPaperStore.ts`, which migrates it);
 * - `orderops_paper_*`: the dry run's paper exchange (`SqlPaperStore.ts`).
 *
 * Status changes are monotonic (see `acceptsExchangeView`); the guard sits in the
 * statements themselves, so two writers cannot race a final status back to open.
 * Each row names its venue (`venue`, `''` for rows older than migration 0003); recovery
 * reads the unsettled rows by (venue, symbol) at start-up, through a partial index
 * that holds only them (migrations 0005 and 0008 explain why).
 */
import { Effect, Schema } from "effect"
import { Migrator, SqlClient, type SqlError, type Statement } from "effect/sql"
import { JournalError } from "../../errors/JournalError.ts"
import {
  entryFromIntent,
  entryFromRecord,
  type JournalEntry,
  type OrderJournalService
} from "../../services/OrderJournal.ts"
import { OrderSide, OrderStatus, OrderType } from "../../services/OrderRecord.ts"
import { FeesColumn, feesText } from "./SqlFees.ts"
import { createPaperTables, makeSqlPaperStore } from "./SqlPaperStore.ts"
import { createTradesTable, insertTrades, selectTrades, tradeRow } from "./SqlTrades.ts"

/** The table `Migrator` records applied migrations in. */
export const MIGRATIONS_TABLE = "orderops_migrations"

/** 0001: the first schema. Kept as it shipped, so upgrades from it stay tested. */
const createOrders = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`CREATE TABLE orderops_orders (
    client_order_id TEXT PRIMARY KEY NOT NULL,
    order_id TEXT,
    symbol TEXT NOT NULL,
    side TEXT NOT NULL,
    type TEXT NOT NULL,
    price TEXT,
    quantity TEXT NOT NULL,
    filled TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
  )`
})

/** 0002: why an entry failed (`detail`), the state table, and the index recovery reads by. */
const addStateAndDetail = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`ALTER TABLE orderops_orders ADD COLUMN detail TEXT`
  yield* sql`CREATE TABLE orderops_state (
    key TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL,
    updated_at BIGINT NOT NULL
  )`
  yield* sql`CREATE INDEX orderops_orders_symbol_status ON orderops_orders (symbol, status)`
})

/**
 * 0003: the venue each order was sent to, so the dry-run and live layers can share a
 * journal. Existing rows get `''` (unattributed: see `UNATTRIBUTED_VENUE`).
 */
const addVenue = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`ALTER TABLE orderops_orders ADD COLUMN venue TEXT NOT NULL DEFAULT ''`
  yield* sql`CREATE INDEX orderops_orders_venue_symbol_status ON orderops_orders (venue, symbol, status)`
})

/**
 * 0005: no index on status. The two status indexes were rewritten by every status
 * change of every order: three more pages for SQLite to write per order, on the hot
 * path, for the benefit of recovery, which reads the unsettled rows once at start-up.
 * Recovery now scans the table instead: about 8 ms per 100,000 orders (measured by
 * `npm run bench`, (h)), and each order's writes cost the same however many orders
 * came before.
 */
const dropStatusIndexes = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`DROP INDEX orderops_orders_symbol_status`
  yield* sql`DROP INDEX orderops_orders_venue_symbol_status`
})

/**
 * 0006: the order model's exact fields (issue 14), as decimal text: the quote
 * filled (`cost`), the fees by asset (`fees`, a JSON object of decimal text), the
 * trigger price and the OCO list id, on the journal's and the paper store's orders;
 * and the trades table (`SqlTrades.ts`). Existing rows keep null: their cost and
 * fees were never recorded (the next exchange view fills them in).
 */
const addOrderAmounts = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`ALTER TABLE orderops_orders ADD COLUMN cost TEXT`
  yield* sql`ALTER TABLE orderops_orders ADD COLUMN fees TEXT`
  yield* sql`ALTER TABLE orderops_orders ADD COLUMN trigger_price TEXT`
  yield* sql`ALTER TABLE orderops_orders ADD COLUMN list_id TEXT`
  yield* sql`ALTER TABLE orderops_paper_orders ADD COLUMN cost TEXT`
  yield* sql`ALTER TABLE orderops_paper_orders ADD COLUMN fees TEXT`
  yield* sql`ALTER TABLE orderops_paper_orders ADD COLUMN trigger_price TEXT`
  yield* sql`ALTER TABLE orderops_paper_orders ADD COLUMN list_id TEXT`
  yield* createTradesTable
})

/**
 * 0007: when a paper trigger order's trigger fired (`triggered_at`, epoch ms; null
 * while it waits), so that a later session resumes a fired stop-limit order as a
 * working limit order rather than waiting for its trigger again. Existing rows keep
 * null: they were all resumed as waiting before.
 */
const addPaperTriggeredAt = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`ALTER TABLE orderops_paper_orders ADD COLUMN triggered_at BIGINT`
})

/**
 * 0008: a partial index on the unsettled rows (pending or open), by venue and
 * symbol: recovery reads them at start-up without scanning the history (issue #21:
 * start-up with 200 open among 100,000 orders was 5x start-up among 6,000). Unlike
 * the status indexes 0005 dropped, a row is in it only while unsettled: written when
 * the intent is inserted and when the order settles, not at every status change.
 */
const addUnsettledIndex = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`CREATE INDEX orderops_orders_unsettled ON orderops_orders (venue, symbol) WHERE status IN ('pending', 'open')`
})

/** Every migration, by `<id>_<name>`. Append new ones; never edit a shipped one. */
export const journalMigrations = {
  "0001_create_orders": createOrders,
  "0002_add_state_and_detail": addStateAndDetail,
  "0003_add_venue": addVenue,
  "0004_create_paper_tables": createPaperTables,
  "0005_drop_status_indexes": dropStatusIndexes,
  "0006_add_order_amounts_and_trades": addOrderAmounts,
  "0007_add_paper_triggered_at": addPaperTriggeredAt,
  "0008_add_unsettled_index": addUnsettledIndex
} as const

/**
 * Applies the journal's migrations that the database lacks (all of them, or those
 * up to `upTo`); gives the ids applied. `makeSqlJournal` runs it; `upTo` exists so
 * tests can build an older schema.
 */
export const migrateJournal = (upTo?: number) =>
  Migrator.make({})({
    table: MIGRATIONS_TABLE,
    loader: Effect.map(
      Migrator.fromRecord(journalMigrations),
      (all) => all.filter(([id]) => upTo === undefined || id <= upTo)
    )
  }).pipe(Effect.map((applied) => applied.map(([id]) => id)))

// ---- rows -------------------------------------------------------------------

/** Epoch ms: SQLite gives a number, PostgreSQL's BIGINT may arrive as a string or bigint. */
const EpochMillis = Schema.Union([Schema.Number, Schema.String, Schema.BigInt])

const OrderRow = Schema.Struct({
  client_order_id: Schema.String,
  venue: Schema.String,
  order_id: Schema.NullOr(Schema.String),
  symbol: Schema.String,
  side: OrderSide,
  type: OrderType,
  price: Schema.NullOr(Schema.String),
  trigger_price: Schema.NullOr(Schema.String),
  quantity: Schema.String,
  filled: Schema.String,
  cost: Schema.NullOr(Schema.String),
  fees: FeesColumn,
  list_id: Schema.NullOr(Schema.String),
  status: Schema.Union([OrderStatus, Schema.Literals(["pending", "failed"])]),
  detail: Schema.NullOr(Schema.String),
  created_at: EpochMillis,
  updated_at: EpochMillis
})

const decodeRows = Schema.decodeUnknownEffect(Schema.Array(OrderRow))

const toMillis = (v: number | string | bigint): number => Number(v)

const toEntry = (row: typeof OrderRow.Type): JournalEntry => ({
  clientOrderId: row.client_order_id,
  venue: row.venue,
  orderId: row.order_id,
  symbol: row.symbol,
  side: row.side,
  type: row.type,
  price: row.price,
  triggerPrice: row.trigger_price,
  quantity: row.quantity,
  filled: row.filled,
  cost: row.cost,
  fees: row.fees ?? {},
  listId: row.list_id,
  status: row.status,
  detail: row.detail,
  createdAt: toMillis(row.created_at),
  updatedAt: toMillis(row.updated_at)
})

type OrderRowInput = ReturnType<typeof toRow>

/** Any entry: `writer` compiles a statement's text from its row once. */
const SAMPLE_ENTRY: JournalEntry = {
  clientOrderId: "",
  venue: "",
  orderId: null,
  symbol: "",
  side: "buy",
  type: "limit",
  price: null,
  triggerPrice: null,
  quantity: "0",
  filled: "0",
  cost: null,
  fees: {},
  listId: null,
  status: "pending",
  createdAt: 0,
  updatedAt: 0,
  detail: null
}

const toRow = (e: JournalEntry) => ({
  client_order_id: e.clientOrderId,
  venue: e.venue,
  order_id: e.orderId,
  symbol: e.symbol,
  side: e.side,
  type: e.type,
  price: e.price,
  trigger_price: e.triggerPrice,
  quantity: e.quantity,
  filled: e.filled,
  cost: e.cost,
  fees: feesText(e.fees),
  list_id: e.listId,
  status: e.status,
  detail: e.detail,
  created_at: e.createdAt,
  updated_at: e.updatedAt
})

// ---- the service ------------------------------------------------------------

export interface SqlJournalOptions {
  /** Where the database lives, for error messages: a file path or a URL without its password. */
  readonly location: string
  /**
   * Runs an SQL text with its parameters on the client's connection, without
   * `effect/sql`'s per-statement span and scope (`SqliteClient.makeWithExecutor`).
   * When given, the writes every order makes (the intent, each exchange view) are
   * compiled once and run through it.
   */
  readonly executeRaw?: (sql: string, params: ReadonlyArray<unknown>) => Effect.Effect<void, SqlError.SqlError>
}

/** The messages down an error's cause chain, deduplicated: "Failed to connect: connect ECONNREFUSED ...". */
const describeCause = (cause: unknown): string => {
  const parts: Array<string> = []
  let current: unknown = cause
  for (let depth = 0; depth < 5 && current !== undefined && current !== null; depth++) {
    const e = current as { readonly message?: unknown; readonly cause?: unknown; readonly reason?: unknown }
    const message = typeof e.message === "string" ? e.message : String(current)
    if (message !== "" && !parts.some((p) => p.includes(message))) parts.push(message)
    current = typeof current === "object" ? (e.cause ?? (typeof e.reason === "object" ? e.reason : undefined)) : undefined
  }
  return parts.join(": ")
}

/**
 * An `OrderJournalService` over the `SqlClient` in context. Applies pending
 * migrations first; every failure (SQL, migration, an unreadable row) is a
 * `JournalError` naming `options.location` and the operation.
 */
export const makeSqlJournal = (
  options: SqlJournalOptions
): Effect.Effect<OrderJournalService, JournalError, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const { location } = options
    const fail = (operation: string) => (cause: unknown) =>
      new JournalError({ operation, location, detail: describeCause(cause), cause })
    const guard = <A>(operation: string, effect: Effect.Effect<A, SqlError.SqlError | Schema.SchemaError | Migrator.MigrationError>) =>
      Effect.mapError(effect, fail(operation))

    yield* guard("migrate", Effect.provideService(migrateJournal(), SqlClient.SqlClient, sql))

    const selectEntries = (operation: string, statement: Effect.Effect<ReadonlyArray<unknown>, SqlError.SqlError>) =>
      guard(operation, Effect.flatMap(statement, decodeRows)).pipe(Effect.map((rows) => rows.map(toEntry)))

    const insertIntent = (row: OrderRowInput) =>
      sql`INSERT INTO orderops_orders ${sql.insert(row)} ON CONFLICT (client_order_id) DO NOTHING`
    // A view without a limit or trigger price keeps the intent's (null → COALESCE).
    // An existing row keeps its venue unless it is unattributed ('', UNATTRIBUTED_VENUE): the reporting venue claims it.
    const upsertView = (row: OrderRowInput) =>
      sql`INSERT INTO orderops_orders ${sql.insert(row)}
          ON CONFLICT (client_order_id) DO UPDATE SET
            venue = CASE WHEN orderops_orders.venue = '' THEN excluded.venue ELSE orderops_orders.venue END,
            order_id = excluded.order_id,
            price = COALESCE(excluded.price, orderops_orders.price),
            trigger_price = COALESCE(excluded.trigger_price, orderops_orders.trigger_price),
            quantity = excluded.quantity,
            filled = excluded.filled,
            cost = excluded.cost,
            fees = excluded.fees,
            list_id = excluded.list_id,
            status = excluded.status,
            updated_at = excluded.updated_at
          WHERE orderops_orders.status IN ('pending', 'open', 'failed')`
    /**
     * A write of one row: through `executeRaw` with the statement's text compiled once
     * (every row has the same columns, in the same order), else as a statement.
     */
    const writer = (statement: (row: OrderRowInput) => Statement.Statement<unknown>) => {
      const { executeRaw } = options
      if (executeRaw === undefined) return (row: OrderRowInput) => Effect.asVoid(statement(row))
      const [text] = statement(toRow(SAMPLE_ENTRY)).compile()
      return (row: OrderRowInput) => executeRaw(text, Object.values(row))
    }
    const writeIntent = writer(insertIntent)
    const writeView = writer(upsertView)

    return {
      location,
      durable: true,
      recordIntent: (intent) => guard("recordIntent", writeIntent(toRow(entryFromIntent(intent)))),

      recordOrder: (record, now, venue) => guard("recordOrder", writeView(toRow(entryFromRecord(record, now, venue)))),

      markFailed: (clientOrderId, detail, now) =>
        guard(
          "markFailed",
          sql`UPDATE orderops_orders SET status = 'failed', detail = ${detail}, updated_at = ${now}
              WHERE client_order_id = ${clientOrderId} AND status IN ('pending', 'open')`
        ).pipe(Effect.asVoid),

      unsettled: (venue, symbol) =>
        selectEntries(
          "unsettled",
          sql`SELECT * FROM orderops_orders
              WHERE venue IN (${venue}, '') AND symbol = ${symbol} AND status IN ('pending', 'open')
              ORDER BY created_at, client_order_id`
        ),

      entries: (opts) => {
        const conditions = [
          ...(opts?.symbol === undefined ? [] : [sql`symbol = ${opts.symbol}`]),
          ...(opts?.venue === undefined ? [] : [sql`venue = ${opts.venue}`])
        ]
        const where = conditions.length === 0 ? sql`` : sql`WHERE ${sql.and(conditions)}`
        const limit = opts?.limit === undefined ? sql`` : sql`LIMIT ${Math.max(0, Math.floor(opts.limit))}`
        return selectEntries(
          "entries",
          sql`SELECT * FROM orderops_orders ${where} ORDER BY created_at DESC, client_order_id DESC ${limit}`
        )
      },

      recordTrades: (venue, symbol, trades, now) =>
        trades.length === 0
          ? Effect.void
          : guard("recordTrades", insertTrades(sql, trades.map((t) => tradeRow(venue, symbol, t, now)))),
      trades: (venue, symbol, filter) => guard("trades", selectTrades(sql, venue, symbol, filter)),

      paper: makeSqlPaperStore({ sql, location, guard })
    } satisfies OrderJournalService
  })
