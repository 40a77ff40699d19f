/**
 * The journal's trades: every fill orderops has seen, live or on the paper
 * exchange, one row per (venue, symbol, trade id), so a trade seen twice is
 * stored once. An order's fees are the sum of its trades' fees.
 */
import { Effect } from "effect"
import { SqlClient } from "effect/sql"

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
