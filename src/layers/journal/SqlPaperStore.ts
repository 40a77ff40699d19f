/**
 * The dry run's paper store (`PaperStoreService`) over the journal's `SqlClient`:
 * the same portable SQL on SQLite and PostgreSQL. Three tables (migration 0004):
 *
 * - `orderops_paper_orders`: the paper exchange's orders by exchange id
 *   (`dry_run_<seq>`), amounts as exact decimal text. Written when placed, when it
 *   changes (a fill, a trigger firing: `triggered_at`, migration 0007) and when
 *   final; start-up reads only the open ones (a partial index holds just those).
 * - `orderops_paper_balances`: one row per asset, free and locked.
 * - `orderops_paper_prices`: one row per symbol.
 *
 * A change writes only the rows it touched, in one transaction when it touches
 * more than one table, so its cost does not grow with the history.
 *
 * A journal written by a release before this store keeps the whole book as one
 * JSON document in `orderops_state` (key `dry-run/book`). The first `load` decodes
 * it with `LegacyBook` (a Schema: nothing unvalidated gets in), writes it as rows and
 * deletes it, in one transaction; an unreadable one fails with a `JournalError`.
 */
import { Array as Arr, Clock, Effect, Option, Schema } from "effect"
import { type Migrator, SqlClient, type SqlError } from "effect/sql"
import { JournalError } from "../../errors/JournalError.ts"
import * as D from "../../services/Decimal.ts"
import { averageOf, hasLimitPrice, isTriggerType, type OrderRecord, OrderSide, OrderStatus, OrderType } from "../../services/OrderRecord.ts"
import {
  LEGACY_BOOK_KEY,
  PAPER_ORDER_ID_PREFIX,
  PAPER_VENUE,
  type PaperBook,
  type PaperChange,
  type PaperOrder,
  type PaperStoreService
} from "../../services/PaperStore.ts"
import type { Balance } from "../../services/Venue.ts"
import { DecimalText, FeesColumn, feesText } from "./SqlFees.ts"
import { insertTrades, selectTrades, tradeRow } from "./SqlTrades.ts"

/** Migration 0004: the paper store's tables. */
export const createPaperTables = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`CREATE TABLE orderops_paper_orders (
    order_id TEXT PRIMARY KEY NOT NULL,
    seq BIGINT NOT NULL,
    client_order_id TEXT NOT NULL,
    symbol TEXT NOT NULL,
    side TEXT NOT NULL,
    type TEXT NOT NULL,
    price TEXT NOT NULL,
    quantity TEXT NOT NULL,
    filled TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
  )`
  yield* sql`CREATE UNIQUE INDEX orderops_paper_orders_seq ON orderops_paper_orders (seq)`
  yield* sql`CREATE INDEX orderops_paper_orders_open ON orderops_paper_orders (seq) WHERE status = 'open'`
  yield* sql`CREATE INDEX orderops_paper_orders_client ON orderops_paper_orders (client_order_id, seq)`
  yield* sql`CREATE INDEX orderops_paper_orders_symbol_time ON orderops_paper_orders (symbol, created_at, seq)`
  yield* sql`CREATE TABLE orderops_paper_balances (
    asset TEXT PRIMARY KEY NOT NULL,
    free TEXT NOT NULL,
    used TEXT NOT NULL,
    updated_at BIGINT NOT NULL
  )`
  yield* sql`CREATE TABLE orderops_paper_prices (
    symbol TEXT PRIMARY KEY NOT NULL,
    price TEXT NOT NULL,
    updated_at BIGINT NOT NULL
  )`
})

// ---- rows -------------------------------------------------------------------

/** An integer column: SQLite gives a number, PostgreSQL's BIGINT may arrive as a string or bigint. */
const BigIntColumn = Schema.Union([Schema.Number, Schema.String, Schema.BigInt])

const OrderRow = Schema.Struct({
  order_id: Schema.String,
  seq: BigIntColumn,
  client_order_id: Schema.String,
  symbol: Schema.String,
  side: OrderSide,
  type: OrderType,
  price: DecimalText,
  quantity: DecimalText,
  filled: DecimalText,
  /** Null in rows written before migration 0006. */
  trigger_price: Schema.optional(Schema.NullOr(DecimalText)),
  cost: Schema.optional(Schema.NullOr(DecimalText)),
  fees: Schema.optional(FeesColumn),
  list_id: Schema.optional(Schema.NullOr(Schema.String)),
  /** When a trigger order's trigger fired; null while it waits, and in rows written before migration 0007. */
  triggered_at: Schema.optional(Schema.NullOr(BigIntColumn)),
  status: OrderStatus,
  created_at: BigIntColumn
})
type OrderRow = typeof OrderRow.Type

const decodeOrders = Schema.decodeUnknownEffect(Schema.Array(OrderRow))
const decodeBalances = Schema.decodeUnknownEffect(Schema.Array(Schema.Struct({ asset: Schema.String, free: DecimalText, used: DecimalText })))
const decodePrices = Schema.decodeUnknownEffect(Schema.Array(Schema.Struct({ symbol: Schema.String, price: DecimalText })))
const decodeMaxSeq = Schema.decodeUnknownEffect(Schema.Array(Schema.Struct({ seq: Schema.NullOr(BigIntColumn) })))

/** The paper book as releases before this store saved it (`SimulatorState`, version 1). */
const LegacyBook = Schema.Struct({
  version: Schema.Literal(1),
  seq: Schema.Number,
  balances: Schema.Record(Schema.String, Schema.Struct({ free: DecimalText, used: DecimalText })),
  prices: Schema.Record(Schema.String, DecimalText),
  orders: Schema.Array(Schema.Struct({
    id: Schema.String.pipe(Schema.check(Schema.isPattern(/^dry_run_\d+$/))),
    clientOrderId: Schema.String,
    symbol: Schema.String,
    side: OrderSide,
    type: OrderType,
    price: DecimalText,
    quantity: DecimalText,
    filled: DecimalText,
    status: OrderStatus,
    timestamp: Schema.Number
  }))
})
const decodeLegacyBook = Schema.decodeUnknownEffect(Schema.fromJsonString(LegacyBook))

/**
 * A row's record. A row from before migration 0006 has no cost: it is the stored
 * price times the quantity filled (a market order's stored price is its fill price,
 * a limit order's its limit, at which a resting order fills), and no fees.
 */
const toRecord = (row: OrderRow): OrderRecord => {
  const price = D.unsafe(row.price)
  const filled = D.unsafe(row.filled)
  const cost = row.cost == null ? D.mul(price, filled) : D.unsafe(row.cost)
  const fees: Record<string, D.Decimal> = {}
  for (const [asset, fee] of Object.entries(row.fees ?? {})) fees[asset] = D.unsafe(fee)
  return {
    id: row.order_id,
    clientOrderId: row.client_order_id,
    symbol: row.symbol,
    side: row.side,
    type: row.type,
    price: hasLimitPrice(row.type) ? Option.some(price) : Option.none(),
    triggerPrice: row.trigger_price == null ? Option.none() : Option.some(D.unsafe(row.trigger_price)),
    quantity: D.unsafe(row.quantity),
    filled,
    cost,
    averagePrice: averageOf(cost, filled),
    fees,
    listId: Option.fromNullishOr(row.list_id),
    status: row.status,
    // A stop-loss or take-profit order says whether its trigger fired, as the dry run reported it.
    ...(isTriggerType(row.type) ? { triggered: row.triggered_at != null } : {}),
    timestamp: Number(row.created_at)
  }
}

const toPaperOrder = (row: OrderRow): PaperOrder => ({
  record: toRecord(row),
  price: D.unsafe(row.price),
  quantity: D.unsafe(row.quantity),
  seq: Number(row.seq),
  triggeredAt: row.triggered_at == null ? undefined : Number(row.triggered_at)
})

/** A value of a column that may hold null. */
const nullable = <A>(a: A): A | null => a

const orderRow = (o: PaperOrder, now: number) => ({
  order_id: o.record.id,
  seq: o.seq,
  client_order_id: o.record.clientOrderId,
  symbol: o.record.symbol,
  side: o.record.side,
  type: o.record.type,
  price: D.format(o.price),
  quantity: D.format(o.quantity),
  filled: D.format(o.record.filled),
  trigger_price: Option.match(o.record.triggerPrice, { onNone: () => null, onSome: D.format }),
  // Null only in rows migrated from a saved book, which never recorded it.
  cost: nullable(D.format(o.record.cost)),
  fees: feesText(Object.fromEntries(Object.entries(o.record.fees).map(([asset, fee]) => [asset, D.format(fee)]))),
  list_id: Option.getOrNull(o.record.listId),
  triggered_at: nullable(o.triggeredAt ?? null),
  status: o.record.status,
  created_at: o.record.timestamp,
  updated_at: now
})

const balanceRow = (asset: string, b: Balance, now: number) => ({ asset, free: D.format(b.free), used: D.format(b.used), updated_at: now })

/** Rows per INSERT: well within SQLite's and PostgreSQL's bound-parameter limits. */
const CHUNK = 500

const chunks = <A>(rows: ReadonlyArray<A>): ReadonlyArray<ReadonlyArray<A>> => {
  if (rows.length <= CHUNK) return [rows]
  const out: Array<ReadonlyArray<A>> = []
  for (let i = 0; i < rows.length; i += CHUNK) out.push(rows.slice(i, i + CHUNK))
  return out
}

// ---- the store --------------------------------------------------------------

type Failure = SqlError.SqlError | Schema.SchemaError | Migrator.MigrationError

export interface SqlPaperStoreOptions {
  readonly sql: SqlClient.SqlClient
  /** Where the database lives, for error messages. */
  readonly location: string
  /** Turns a failure into the journal's `JournalError` for `operation`. */
  readonly guard: <A>(operation: string, effect: Effect.Effect<A, Failure>) => Effect.Effect<A, JournalError>
}

export const makeSqlPaperStore = ({ sql, location, guard }: SqlPaperStoreOptions): PaperStoreService => {
  /** `statement` for each chunk of `rows` (none when there are no rows). */
  const inChunks = <A extends Record<string, unknown>>(
    rows: ReadonlyArray<A>,
    statement: (chunk: Arr.NonEmptyReadonlyArray<A>) => Effect.Effect<unknown, SqlError.SqlError>
  ) => Effect.forEach(chunks(rows), (chunk) => (Arr.isReadonlyArrayNonEmpty(chunk) ? statement(chunk) : Effect.void), { discard: true })

  const upsertOrders = (rows: ReadonlyArray<ReturnType<typeof orderRow>>) =>
    inChunks(rows, (chunk) =>
      sql`INSERT INTO orderops_paper_orders ${sql.insert(chunk)}
          ON CONFLICT (order_id) DO UPDATE SET
            price = excluded.price, filled = excluded.filled, cost = excluded.cost, fees = excluded.fees,
            triggered_at = excluded.triggered_at, status = excluded.status, updated_at = excluded.updated_at`)
  const upsertBalances = (rows: ReadonlyArray<ReturnType<typeof balanceRow>>) =>
    inChunks(rows, (chunk) =>
      sql`INSERT INTO orderops_paper_balances ${sql.insert(chunk)}
          ON CONFLICT (asset) DO UPDATE SET free = excluded.free, used = excluded.used, updated_at = excluded.updated_at`)
  const upsertPrices = (rows: ReadonlyArray<{ symbol: string; price: string; updated_at: number }>) =>
    inChunks(rows, (chunk) =>
      sql`INSERT INTO orderops_paper_prices ${sql.insert(chunk)}
          ON CONFLICT (symbol) DO UPDATE SET price = excluded.price, updated_at = excluded.updated_at`)

  const write = (change: PaperChange, now: number) => {
    const statements: Array<Effect.Effect<unknown, SqlError.SqlError>> = []
    if (change.orders.length > 0) statements.push(upsertOrders(change.orders.map((o) => orderRow(o, now))))
    if (change.balances.length > 0) statements.push(upsertBalances(change.balances.map(([a, b]) => balanceRow(a, b, now))))
    if (change.prices.length > 0) {
      statements.push(upsertPrices(change.prices.map(([symbol, p]) => ({ symbol, price: D.format(p), updated_at: now }))))
    }
    if (change.trades !== undefined && change.trades.length > 0) {
      statements.push(insertTrades(sql, change.trades.map(([symbol, t]) => tradeRow(PAPER_VENUE, symbol, t, now))))
    }
    if (statements.length === 0) return Effect.void
    const all = Effect.all(statements, { discard: true })
    return guard("paper.write", statements.length === 1 && change.orders.length <= CHUNK ? all : sql.withTransaction(all))
  }

  /** Converts a saved JSON book of an older release into rows, once, and deletes it. */
  const migrateLegacyBook = Effect.gen(function*() {
    const saved = yield* guard(
      "paper.load",
      sql<{ readonly value: string }>`SELECT value FROM orderops_state WHERE key = ${LEGACY_BOOK_KEY}`
    )
    const json = saved[0]?.value
    if (json === undefined) return
    const book = yield* decodeLegacyBook(json).pipe(
      Effect.mapError((e) =>
        new JournalError({
          operation: "paper.load",
          location,
          detail: `the saved dry-run book (orderops_state '${LEGACY_BOOK_KEY}') is unreadable: ${e.message}`,
          cause: e
        })
      )
    )
    const now = yield* Clock.currentTimeMillis
    const orders = book.orders.map((o) => ({
      order_id: o.id,
      seq: Number(o.id.slice(PAPER_ORDER_ID_PREFIX.length)),
      client_order_id: o.clientOrderId,
      symbol: o.symbol,
      side: o.side,
      type: o.type,
      price: o.price,
      quantity: o.quantity,
      filled: o.filled,
      // Not kept by the saved book: derived on reading (see `toRecord`).
      trigger_price: null,
      cost: null,
      fees: null,
      list_id: null,
      triggered_at: null,
      status: o.status,
      created_at: o.timestamp,
      updated_at: o.timestamp
    }))
    const balances = Object.entries(book.balances).map(([asset, b]) => ({ asset, free: b.free, used: b.used, updated_at: now }))
    const prices = Object.entries(book.prices).map(([symbol, price]) => ({ symbol, price, updated_at: now }))
    yield* guard(
      "paper.migrate",
      sql.withTransaction(Effect.gen(function*() {
        yield* upsertOrders(orders)
        yield* upsertBalances(balances)
        yield* upsertPrices(prices)
        yield* sql`DELETE FROM orderops_state WHERE key = ${LEGACY_BOOK_KEY}`
      }))
    )
    yield* Effect.log(`Migrated the saved dry-run book of ${location} to rows: ${orders.length} orders`)
  })

  const load: Effect.Effect<PaperBook, JournalError> = Effect.gen(function*() {
    yield* migrateLegacyBook
    return yield* guard(
      "paper.load",
      Effect.gen(function*() {
        const balances = yield* Effect.flatMap(sql`SELECT asset, free, used FROM orderops_paper_balances`, decodeBalances)
        const prices = yield* Effect.flatMap(sql`SELECT symbol, price FROM orderops_paper_prices`, decodePrices)
        const open = yield* Effect.flatMap(sql`SELECT * FROM orderops_paper_orders WHERE status = 'open' ORDER BY seq`, decodeOrders)
        const [max] = yield* Effect.flatMap(sql`SELECT MAX(seq) AS seq FROM orderops_paper_orders`, decodeMaxSeq)
        const seq = max?.seq === null || max?.seq === undefined ? 0 : Number(max.seq)
        return {
          exists: balances.length > 0 || prices.length > 0 || seq > 0,
          seq,
          balances: new Map(balances.map((b) => [b.asset, { free: D.unsafe(b.free), used: D.unsafe(b.used) }])),
          prices: new Map(prices.map((p) => [p.symbol, D.unsafe(p.price)])),
          open: open.map(toPaperOrder)
        }
      })
    )
  })

  const oneOrder = (operation: string, statement: Effect.Effect<ReadonlyArray<unknown>, SqlError.SqlError>) =>
    guard(operation, Effect.flatMap(statement, decodeOrders)).pipe(
      Effect.map((rows) => Option.map(Option.fromNullishOr(rows[0]), toRecord))
    )

  return {
    load,
    write,
    order: (orderId) => oneOrder("paper.order", sql`SELECT * FROM orderops_paper_orders WHERE order_id = ${orderId}`),
    byClientOrderId: (clientOrderId) =>
      oneOrder(
        "paper.byClientOrderId",
        sql`SELECT * FROM orderops_paper_orders WHERE client_order_id = ${clientOrderId} ORDER BY seq DESC LIMIT 1`
      ),
    orders: (symbol, since, until) =>
      guard(
        "paper.orders",
        Effect.flatMap(
          sql`SELECT * FROM orderops_paper_orders
              WHERE symbol = ${symbol} AND created_at >= ${since ?? 0} AND created_at <= ${until ?? Number.MAX_SAFE_INTEGER}
              ORDER BY created_at, seq`,
          decodeOrders
        )
      ).pipe(Effect.map((rows) => rows.map(toRecord))),
    trades: (symbol, filter) => guard("paper.trades", selectTrades(sql, PAPER_VENUE, symbol, filter))
  }
}
