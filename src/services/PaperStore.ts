/**
 * The paper exchange's own records, kept by the order journal
 * (`OrderJournalService.paper`): its orders by exchange id, its balances and its
 * prices. They are the dry run's "exchange side": what the exchange knows, apart
 * from what orderops journaled about it (`orderops_orders`), so that recovery can
 * reconcile the two after a crash exactly as it does against a real exchange.
 *
 * Why it exists: the dry run keeps only its open orders in memory. A finished
 * order lives here and is read back when asked for (`order`, `byClientOrderId`,
 * `orders`), so memory stays flat however long a paper session runs; and each
 * change writes only the rows it touched (`PaperChange`), so its cost does not grow
 * with the history. Start-up (`load`) reads only open orders, balances and prices.
 *
 * This module holds the port and the memory store (the memory journal's); the SQL
 * store is `src/layers/journal/SqlPaperStore.ts`.
 */
import { Effect, Option } from "effect"
import type { JournalError } from "../errors/JournalError.ts"
import type * as D from "./Decimal.ts"
import type { OrderRecord } from "./OrderRecord.ts"
import { makeMemoryTrades, type Trade, type TradeFilter } from "./Trade.ts"
import type { Balance } from "./Venue.ts"

/**
 * The `orderops_state` key under which releases before the paper store saved the
 * whole book as one JSON document. The SQL store migrates such a book to rows
 * the first time it loads, then deletes it.
 */
export const LEGACY_BOOK_KEY = "dry-run/book"

/** The paper exchange's order ids: `dry_run_<seq>`. */
export const PAPER_ORDER_ID_PREFIX = "dry_run_"

export const paperOrderId = (seq: number): string => `${PAPER_ORDER_ID_PREFIX}${seq}`

/** An order as the paper exchange keeps it: its current view, and its amounts as exact decimals. */
export interface PaperOrder {
  readonly record: OrderRecord
  /** The exact limit price; a market order's fill price (0 until it fills). */
  readonly price: D.Decimal
  readonly quantity: D.Decimal
  /** The order's number in the book's id sequence (`dry_run_<seq>`). */
  readonly seq: number
  /**
   * When a stop-loss or take-profit order's trigger fired (epoch ms); absent while
   * it waits. A fired limit one works at its limit, and a later session resumes it
   * as working, not waiting (Binance's `isWorking`).
   */
  readonly triggeredAt?: number | undefined
}

/** What start-up reads: the book's small, current part. */
export interface PaperBook {
  /** Whether the store holds a book at all; when not, the dry run seeds one from its options. */
  readonly exists: boolean
  /** The highest order sequence number given out so far (0 for none). */
  readonly seq: number
  readonly balances: ReadonlyMap<string, Balance>
  readonly prices: ReadonlyMap<string, D.Decimal>
  /** The open orders, in sequence order. */
  readonly open: ReadonlyArray<PaperOrder>
}

/** The rows one change of the book touched, each with its new value. */
export interface PaperChange {
  readonly orders: ReadonlyArray<PaperOrder>
  readonly balances: ReadonlyArray<readonly [asset: string, balance: Balance]>
  readonly prices: ReadonlyArray<readonly [symbol: string, price: D.Decimal]>
  /** The fills made, each a trade on its symbol. */
  readonly trades?: ReadonlyArray<readonly [symbol: string, trade: Trade]> | undefined
}

export interface PaperStoreService {
  /** The open orders, balances, prices and sequence number; migrates an older journal's saved book first. */
  readonly load: Effect.Effect<PaperBook, JournalError>
  /** Writes the change's rows, all or none, stamped `now` (epoch ms). */
  write(change: PaperChange, now: number): Effect.Effect<void, JournalError>
  /** An order by exchange id, open or finished. */
  order(orderId: string): Effect.Effect<Option.Option<OrderRecord>, JournalError>
  /** The latest order with this client order id, open or finished. */
  byClientOrderId(clientOrderId: string): Effect.Effect<Option.Option<OrderRecord>, JournalError>
  /** Orders on `symbol` placed in `[since, until]` (epoch ms, either end optional), oldest first. */
  orders(symbol: string, since?: number, until?: number): Effect.Effect<ReadonlyArray<OrderRecord>, JournalError>
  /** The paper exchange's trades (its fills) on `symbol`, oldest first, within `filter`. */
  trades(symbol: string, filter?: TradeFilter): Effect.Effect<ReadonlyArray<Trade>, JournalError>
}

/** The venue id the paper exchange's trades are kept under, next to the live venues' (`DRY_RUN_VENUE_ID`). */
export const PAPER_VENUE = "dry-run"

/**
 * The paper store of the memory journal: the same contract, nothing survives the
 * process. A finished order keeps its `OrderRecord` only; exact decimals are kept
 * for open orders, which a later `load` hands back.
 */
export const makeMemoryPaperStore = (): PaperStoreService => {
  /** Every order's latest view by id, in sequence order (Map keeps insertion order). */
  const records = new Map<string, OrderRecord>()
  const open = new Map<string, PaperOrder>()
  const latestByClientId = new Map<string, string>()
  const balances = new Map<string, Balance>()
  const prices = new Map<string, D.Decimal>()
  let seq = 0
  let exists = false
  const trades = makeMemoryTrades()

  const apply = (change: PaperChange) => {
    for (const o of change.orders) {
      const { record } = o
      if (!records.has(record.id)) latestByClientId.set(record.clientOrderId, record.id)
      records.set(record.id, record)
      if (record.status === "open") open.set(record.id, o)
      else open.delete(record.id)
      if (o.seq > seq) seq = o.seq
    }
    for (const [asset, balance] of change.balances) balances.set(asset, balance)
    for (const [symbol, price] of change.prices) prices.set(symbol, price)
    for (const [symbol, trade] of change.trades ?? []) trades.record(PAPER_VENUE, symbol, [trade])
    exists = true
  }

  return {
    load: Effect.sync(() => ({
      exists,
      seq,
      balances: new Map(balances),
      prices: new Map(prices),
      open: [...open.values()]
    })),
    write: (change) => Effect.sync(() => apply(change)),
    order: (orderId) => Effect.sync(() => Option.fromNullishOr(records.get(orderId))),
    byClientOrderId: (clientOrderId) =>
      Effect.sync(() => {
        const id = latestByClientId.get(clientOrderId)
        return Option.fromNullishOr(id === undefined ? undefined : records.get(id))
      }),
    orders: (symbol, since, until) =>
      Effect.sync(() => {
        const out: Array<OrderRecord> = []
        for (const o of records.values()) {
          if (o.symbol === symbol && (since === undefined || o.timestamp >= since) && (until === undefined || o.timestamp <= until)) {
            out.push(o)
          }
        }
        return out
      }),
    trades: (symbol, filter) => Effect.sync(() => trades.list(PAPER_VENUE, symbol, filter))
  }
}
