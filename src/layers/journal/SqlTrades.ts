/**
 * The journal's trades: every fill orderops has seen, live or on the paper
 * exchange, one row per (venue, symbol, trade id), so a trade seen twice is
 * stored once. An order's fees are the sum of its trades' fees.
 */
import { Array as Arr, Effect, Schema } from "effect"
import { SqlClient, type SqlError } from "effect/sql"
import * as D from "../../services/Decimal.ts"
import type { TradeFilter } from "../../services/Trade.ts"
import { OrderSide } from "../../services/OrderRecord.ts"
import type { Trade } from "../../services/Trade.ts"
import { DecimalText } from "./SqlFees.ts"

/** Part of migration 0006: the trades table and its indexes. */
export const createTradesTable = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`CREATE TABLE orderops_trades (
    venue TEXT NOT NULL,
    symbol TEXT NOT NULL,
    trade_id TEXT NOT NULL,
    order_id TEXT NOT NULL,
    client_order_id TEXT,
    side TEXT NOT NULL,
    price TEXT NOT NULL,
    quantity TEXT NOT NULL,
    quote_quantity TEXT NOT NULL,
    fee TEXT NOT NULL,
    fee_asset TEXT NOT NULL,
    maker BIGINT NOT NULL,
    traded_at BIGINT NOT NULL,
    recorded_at BIGINT NOT NULL,
    PRIMARY KEY (venue, symbol, trade_id)
  )`
  yield* sql`CREATE INDEX orderops_trades_order ON orderops_trades (venue, symbol, order_id)`
  yield* sql`CREATE INDEX orderops_trades_time ON orderops_trades (venue, symbol, traded_at)`
})

// ---- rows -------------------------------------------------------------------

/** An integer column: SQLite gives a number, PostgreSQL's BIGINT may arrive as a string or bigint. */
const BigIntColumn = Schema.Union([Schema.Number, Schema.String, Schema.BigInt])

const TradeRow = Schema.Struct({
  trade_id: Schema.String,
  order_id: Schema.String,
  client_order_id: Schema.NullOr(Schema.String),
  side: OrderSide,
  price: DecimalText,
  quantity: DecimalText,
  quote_quantity: DecimalText,
  fee: DecimalText,
  fee_asset: Schema.String,
  maker: BigIntColumn,
  traded_at: BigIntColumn
})
const decodeRows = Schema.decodeUnknownEffect(Schema.Array(TradeRow))

const toTrade = (row: typeof TradeRow.Type): Trade => ({
  id: row.trade_id,
  orderId: row.order_id,
  clientOrderId: row.client_order_id ?? "",
  side: row.side,
  price: D.unsafe(row.price),
  quantity: D.unsafe(row.quantity),
  quoteQuantity: D.unsafe(row.quote_quantity),
  fee: D.unsafe(row.fee),
  feeAsset: row.fee_asset,
  maker: Number(row.maker) !== 0,
  timestamp: Number(row.traded_at)
})

/** A trade's row. */
export const tradeRow = (venue: string, symbol: string, t: Trade, now: number) => ({
  venue,
  symbol,
  trade_id: t.id,
  order_id: t.orderId,
  client_order_id: t.clientOrderId === "" ? null : t.clientOrderId,
  side: t.side,
  price: D.format(t.price),
  quantity: D.format(t.quantity),
  quote_quantity: D.format(t.quoteQuantity),
  fee: D.format(t.fee),
  fee_asset: t.feeAsset,
  maker: t.maker ? 1 : 0,
  traded_at: t.timestamp,
  recorded_at: now
})

/** Rows per INSERT: well within SQLite's and PostgreSQL's bound-parameter limits (14 columns). */
const CHUNK = 500

/**
 * Inserts trades it has not seen, by (venue, symbol, trade id); a trade already
 * stored stays as it is (a trade never changes on the exchange).
 */
export const insertTrades = (
  sql: SqlClient.SqlClient,
  rows: ReadonlyArray<ReturnType<typeof tradeRow>>
): Effect.Effect<void, SqlError.SqlError> => {
  const chunks: Array<ReadonlyArray<ReturnType<typeof tradeRow>>> = []
  for (let i = 0; i < rows.length; i += CHUNK) chunks.push(rows.slice(i, i + CHUNK))
  return Effect.forEach(chunks, (chunk) =>
    Arr.isReadonlyArrayNonEmpty(chunk)
      ? Effect.asVoid(sql`INSERT INTO orderops_trades ${sql.insert(chunk)} ON CONFLICT (venue, symbol, trade_id) DO NOTHING`)
      : Effect.void, { discard: true })
}

/** The venue's stored trades on `symbol`, oldest first, within the filter. */
export const selectTrades = (sql: SqlClient.SqlClient, venue: string, symbol: string, filter: TradeFilter = {}) => {
  const conditions = [
    sql`venue = ${venue}`,
    sql`symbol = ${symbol}`,
    ...(filter.since === undefined ? [] : [sql`traded_at >= ${filter.since}`]),
    ...(filter.until === undefined ? [] : [sql`traded_at <= ${filter.until}`]),
    ...(filter.orderIds === undefined ? [] : [sql.in("order_id", [...filter.orderIds])])
  ]
  if (filter.orderIds !== undefined && filter.orderIds.length === 0) return Effect.succeed<ReadonlyArray<Trade>>([])
  return Effect.flatMap(
    sql`SELECT * FROM orderops_trades WHERE ${sql.and(conditions)} ORDER BY traded_at, trade_id`,
    decodeRows
  ).pipe(Effect.map((rows) => rows.map(toTrade)))
}
