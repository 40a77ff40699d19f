/**
 * Trades: `fetchTrades`, and the fills of orders taken from them. Every trade the
 * exchange reports is journaled once, by (venue, symbol, trade id), and named with
 * its order's client order id where orderops knows the order (the exchange's trade
 * lists do not carry it).
 *
 * An order's `filled`, `cost` and `fees` are the sums of its trades. The exchange
 * states `filled` and `cost` on the order itself; its fees it states only per trade
 * (Binance: in `myTrades`, or a create answer's fills). So a read of an order that
 * has filled takes its fees from the trades journaled for it, once they add up to
 * what it filled; before its trades have been fetched (`fetchTrades`), the order
 * shows the fees its own answer stated, which on Binance's order queries is none.
 * An answer that states fees (the dry run's orders) is taken as it is.
 */
import { Clock, Effect, Result } from "effect"
import { ValidationError } from "../../errors/ValidationError.ts"
import * as D from "../../services/Decimal.ts"
import type { OrderRecord } from "../../services/OrderRecord.ts"
import { type Trade, uniqueTrades, withTrades } from "../../services/Trade.ts"
import { type Engine, operation, read } from "./Engine.ts"

/** A time bound that is not an epoch-ms time. */
const badBound = (symbol: string, field: string, value: number | undefined) =>
  value !== undefined && (!Number.isFinite(value) || value < 0)
    ? Result.fail(new ValidationError({ operation: "fetchTrades", symbol, rule: "InvalidArgument", field, value: String(value) }))
    : Result.succeed(value)

/** How many order ids one look-up of journaled trades names. */
const ORDER_IDS_PER_QUERY = 500

export const makeTrades = (engine: Engine) => {
  const { active, journal, symbol, venue } = engine

  /** `trades` with the client order ids orderops knows filled in (tracked orders first, then the journal). */
  const named = (trades: ReadonlyArray<Trade>) =>
    Effect.gen(function*() {
      if (trades.every((t) => t.clientOrderId !== "")) return trades
      const known = new Map<string, string>()
      for (const o of (yield* active.snapshot).values()) known.set(o.id, o.clientOrderId)
      if (trades.some((t) => t.clientOrderId === "" && !known.has(t.orderId))) {
        for (const e of yield* journal.entries({ symbol, venue: venue.id })) {
          if (e.orderId !== null && !known.has(e.orderId)) known.set(e.orderId, e.clientOrderId)
        }
      }
      return trades.map((t) => (t.clientOrderId === "" && known.has(t.orderId) ? { ...t, clientOrderId: known.get(t.orderId)! } : t))
    })

  /** The symbol's trades in `[startTime, endTime]` (epoch ms), each once, oldest first; journaled. */
  const fetchTrades = (startTime?: number, endTime?: number) =>
    operation(
      engine,
      "fetchTrades",
      Effect.gen(function*() {
        yield* Effect.fromResult(badBound(symbol, "startTime", startTime))
        yield* Effect.fromResult(badBound(symbol, "endTime", endTime))
        const trades = uniqueTrades(yield* named(yield* read(engine, venue.trades("fetchTrades", symbol, startTime, endTime))))
        yield* journal.recordTrades(venue.id, symbol, trades, yield* Clock.currentTimeMillis)
        return trades
      })
    )

  /**
   * `records` with the fills of those that filled without stating fees taken from
   * their journaled trades (see the header). An order whose answer states its fees
   * (the dry run's, a Binance FULL answer's) is left as it is.
   */
  const withJournaledTrades = (records: ReadonlyArray<OrderRecord>) =>
    Effect.gen(function*() {
      const ids = records.filter((o) => D.isPositive(o.filled) && Object.keys(o.fees).length === 0).map((o) => o.id)
      if (ids.length === 0) return records
      const trades: Array<Trade> = []
      // A bounded number of ids per query, well within SQL's bound-parameter limits.
      for (let i = 0; i < ids.length; i += ORDER_IDS_PER_QUERY) {
        trades.push(...(yield* journal.trades(venue.id, symbol, { orderIds: ids.slice(i, i + ORDER_IDS_PER_QUERY) })))
      }
      if (trades.length === 0) return records
      const byOrder = new Map<string, Array<Trade>>()
      for (const t of trades) {
        const list = byOrder.get(t.orderId)
        if (list === undefined) byOrder.set(t.orderId, [t])
        else list.push(t)
      }
      return records.map((o) => withTrades(o, byOrder.get(o.id) ?? []))
    })

  return { fetchTrades, withJournaledTrades }
}
