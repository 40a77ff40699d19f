/**
 * A trade: one fill of one order, as the exchange reports it (Binance's `myTrades`,
 * ccxt's `fetchMyTrades`, the dry run's own fills). Partial fills are first-class:
 * an order filled in three parts has three trades, and its `filled`, `cost` and
 * `fees` are their sums (`totalsOf`). A trade is identified by its id within its
 * venue and symbol, so seeing it twice (two overlapping reads) counts it once.
 */
import { Schema } from "effect"
import * as D from "./Decimal.ts"
import { addFee, averageOf, type Fees, OrderSide } from "./OrderRecord.ts"
import type { OrderRecord } from "./OrderRecord.ts"

export const Trade = Schema.Struct({
  /** The exchange's trade id (`dry_run_t_<n>` in a dry run). */
  id: Schema.String,
  /** The exchange id of the order that filled. */
  orderId: Schema.String,
  /** The order's client order id; `""` when neither the exchange nor the journal knows it. */
  clientOrderId: Schema.String,
  side: OrderSide,
  /** The fill price. */
  price: Schema.BigDecimal,
  /** The base quantity filled. */
  quantity: Schema.BigDecimal,
  /** The quote amount (price × quantity). */
  quoteQuantity: Schema.BigDecimal,
  /** The commission, in `feeAsset` (0 for a fee-free fill). */
  fee: Schema.BigDecimal,
  feeAsset: Schema.String,
  /** Whether the fill made liquidity (a resting order crossed later) rather than took it. */
  maker: Schema.Boolean,
  /** When it filled, epoch ms. */
  timestamp: Schema.Finite
})
export type Trade = typeof Trade.Type

/** What an order's trades add up to. */
export interface TradeTotals {
  readonly filled: D.Decimal
  readonly cost: D.Decimal
  readonly fees: Fees
}

/** `trades` (of one order) summed, each trade id counted once. */
export const totalsOf = (trades: ReadonlyArray<Trade>): TradeTotals => {
  const seen = new Set<string>()
  let filled = D.ZERO
  let cost = D.ZERO
  let fees: Fees = {}
  for (const t of trades) {
    if (seen.has(t.id)) continue
    seen.add(t.id)
    filled = D.add(filled, t.quantity)
    cost = D.add(cost, t.quoteQuantity)
    if (!D.isZero(t.fee)) fees = addFee(fees, t.feeAsset, t.fee)
  }
  return { filled, cost, fees }
}

/**
 * `record` with its fills taken from its trades, when they are all known: the
 * trades' quantities add up to what the exchange says filled. Otherwise (some of
 * its trades not fetched yet) the record is the exchange's view, as it came.
 */
export const withTrades = (record: OrderRecord, trades: ReadonlyArray<Trade>): OrderRecord => {
  if (trades.length === 0) return record
  const totals = totalsOf(trades)
  if (!D.eq(totals.filled, record.filled)) return record
  return { ...record, cost: totals.cost, averagePrice: averageOf(totals.cost, totals.filled), fees: totals.fees }
}

/** Trades without repeats (the first of each id), oldest first (by time, then id). */
export const uniqueTrades = (trades: ReadonlyArray<Trade>): ReadonlyArray<Trade> => {
  const byId = new Map<string, Trade>()
  for (const t of trades) if (!byId.has(t.id)) byId.set(t.id, t)
  return [...byId.values()].sort((a, b) => a.timestamp - b.timestamp || compareIds(a.id, b.id))
}

/** Numeric ids (Binance's) in number order, others as text. */
const compareIds = (a: string, b: string): number =>
  a.length !== b.length && /^\d+$/.test(a) && /^\d+$/.test(b) ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0


/** Which trades to read: a time window (epoch ms, inclusive) and/or some orders' only. */
export interface TradeFilter {
  readonly since?: number | undefined
  readonly until?: number | undefined
  readonly orderIds?: ReadonlyArray<string> | undefined
}

/** Whether trade `t` passes `filter`. */
export const inTradeFilter = (t: Trade, filter: TradeFilter = {}): boolean =>
  (filter.since === undefined || t.timestamp >= filter.since) && (filter.until === undefined || t.timestamp <= filter.until) &&
  (filter.orderIds === undefined || filter.orderIds.includes(t.orderId))

/**
 * Trades kept in memory by (venue, symbol) and id: the memory journal's, and the
 * memory paper store's. The first view of a trade id stays.
 */
export const makeMemoryTrades = () => {
  const byMarket = new Map<string, Map<string, Trade>>()
  const key = (venue: string, symbol: string) => `${venue}\u0000${symbol}`
  return {
    record: (venue: string, symbol: string, trades: ReadonlyArray<Trade>) => {
      let m = byMarket.get(key(venue, symbol))
      if (m === undefined) byMarket.set(key(venue, symbol), m = new Map())
      for (const t of trades) if (!m.has(t.id)) m.set(t.id, t)
    },
    list: (venue: string, symbol: string, filter?: TradeFilter): ReadonlyArray<Trade> =>
      uniqueTrades([...(byMarket.get(key(venue, symbol))?.values() ?? [])].filter((t) => inTradeFilter(t, filter)))
  }
}
