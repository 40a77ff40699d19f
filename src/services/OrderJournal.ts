/**
 * The durable record of every order orderops sends. An order's intent is written
 * before its request leaves; the exchange's answer and each later status change
 * update the same entry (keyed by client order id). Amounts are decimal text.
 * Layers: `OrderJournal.layerMemory` (tests), SQLite (default), PostgreSQL.
 *
 * Entries are scoped by venue (`Venue.id`: `dry-run` or the ccxt exchange id), so the
 * dry-run and live layers can share one journal: each recovers only its own entries.
 * Entries written before the journal recorded venues have venue `""` (unattributed):
 * `unsettled` offers them to every venue, and the first venue that reports the order
 * claims it (`recordOrder` stamps its id). See `UNATTRIBUTED_VENUE`.
 */
import { Context, Effect, Layer, Option } from "effect"
import type { JournalError } from "../errors/JournalError.ts"
import * as D from "./Decimal.ts"
import type { OrderRecord, OrderSide, OrderStatus, OrderType } from "./OrderRecord.ts"

/** `pending`: intent written, answer not yet seen. `failed`: the exchange never took it. */
export type JournalStatus = "pending" | "failed" | OrderStatus

export const isOpenJournalStatus = (s: JournalStatus): boolean => s === "pending" || s === "open"

/**
 * The monotonic rule every journal layer applies (the SQL layers in their `WHERE`
 * clauses). An exchange view (`recordOrder`) replaces an entry that is `pending`,
 * `open` or `failed`, never one the exchange already reported final (`closed`,
 * `canceled`, `expired`, `rejected`), so a stale "open" cannot resurrect a filled
 * order. `failed` yields to the exchange: an intent marked failed that recovery
 * later finds on the exchange (adopted as a stray `oo_` order) takes the exchange's
 * status. `markFailed` applies only to `pending` or `open`; `recordIntent` never
 * replaces an existing entry.
 */
export const acceptsExchangeView = (s: JournalStatus): boolean => s === "pending" || s === "open" || s === "failed"

/**
 * The venue of entries journaled before entries recorded one (SQL migration
 * `0003_add_venue`). Such an entry may belong to any venue: `unsettled` returns it
 * for every venue, and `recordOrder` stamps the reporting venue on it. No venue may
 * have this id.
 */
export const UNATTRIBUTED_VENUE = ""

export interface JournalEntry {
  readonly clientOrderId: string
  /** The venue the order was sent to (`Venue.id`); `""` for an entry older than venues in the journal. */
  readonly venue: string
  readonly orderId: string | null
  readonly symbol: string
  readonly side: OrderSide
  readonly type: OrderType
  /** Decimal text; null for a market order that has not filled. */
  readonly price: string | null
  readonly quantity: string
  readonly filled: string
  readonly status: JournalStatus
  readonly createdAt: number
  readonly updatedAt: number
  readonly detail: string | null
}

export interface OrderIntent {
  readonly clientOrderId: string
  /** The venue the order is sent to (`Venue.id`). */
  readonly venue: string
  readonly symbol: string
  readonly side: OrderSide
  readonly type: OrderType
  readonly price: Option.Option<D.Decimal>
  readonly quantity: D.Decimal
  readonly createdAt: number
}

export interface OrderJournalService {
  /** Where the journal lives, for messages. */
  readonly location: string
  /** Whether entries survive the process. */
  readonly durable: boolean
  recordIntent(intent: OrderIntent): Effect.Effect<void, JournalError>
  /**
   * Upserts the entry for `record.clientOrderId` with `venue`'s view of the order.
   * A new entry (an adopted stray order) gets `venue`; an existing one keeps its
   * venue, unless it is unattributed (`""`), which `venue` then claims.
   */
  recordOrder(record: OrderRecord, now: number, venue: string): Effect.Effect<void, JournalError>
  markFailed(clientOrderId: string, detail: string, now: number): Effect.Effect<void, JournalError>
  /**
   * The venue's entries on the symbol that are not final (`pending` or `open`),
   * oldest first, together with unattributed ones (venue `""`), which may be the venue's.
   */
  unsettled(venue: string, symbol: string): Effect.Effect<ReadonlyArray<JournalEntry>, JournalError>
  /** Entries, newest first, optionally for one symbol and/or one venue (exact match). */
  entries(
    options?: { readonly symbol?: string; readonly venue?: string; readonly limit?: number }
  ): Effect.Effect<ReadonlyArray<JournalEntry>, JournalError>
  /** Opaque state blobs (the dry-run exchange keeps its simulated book here). */
  loadState(key: string): Effect.Effect<Option.Option<string>, JournalError>
  saveState(key: string, value: string): Effect.Effect<void, JournalError>
}

/**
 * Entry fields derived from `venue`'s view of an order: exact decimal text for every
 * amount. The venue is `previous`'s unless that is unattributed.
 */
export const entryFromRecord = (record: OrderRecord, now: number, venue: string, previous?: JournalEntry): JournalEntry => ({
  clientOrderId: record.clientOrderId,
  venue: previous === undefined || previous.venue === UNATTRIBUTED_VENUE ? venue : previous.venue,
  orderId: record.id,
  symbol: record.symbol,
  side: record.side,
  type: record.type,
  price: record.type === "market" && record.price === 0 ? (previous?.price ?? null) : D.formatNumber(record.price),
  quantity: D.formatNumber(record.quantity),
  filled: D.formatNumber(record.filled),
  status: record.status,
  createdAt: previous?.createdAt ?? record.timestamp,
  updatedAt: now,
  detail: previous?.detail ?? null
})

export const entryFromIntent = (intent: OrderIntent): JournalEntry => ({
  clientOrderId: intent.clientOrderId,
  venue: intent.venue,
  orderId: null,
  symbol: intent.symbol,
  side: intent.side,
  type: intent.type,
  price: Option.isSome(intent.price) ? D.format(intent.price.value) : null,
  quantity: D.format(intent.quantity),
  filled: "0",
  status: "pending",
  createdAt: intent.createdAt,
  updatedAt: intent.createdAt,
  detail: null
})

/**
 * An entry as the memory journal keeps it: updated in place, with amounts kept as the
 * decimals or exact numbers they arrived as and formatted only when read, so that a
 * bot's hot path pays for neither new entries nor decimal text.
 */
interface MemoryEntry {
  readonly clientOrderId: string
  venue: string
  orderId: string | null
  readonly symbol: string
  readonly side: OrderSide
  readonly type: OrderType
  price: D.Decimal | number | null
  quantity: D.Decimal | number
  filled: number
  status: JournalStatus
  readonly createdAt: number
  updatedAt: number
  detail: string | null
}

const amountText = (a: D.Decimal | number): string => (typeof a === "number" ? D.formatNumber(a) : D.format(a))

const fromMemory = (e: MemoryEntry): JournalEntry => ({
  clientOrderId: e.clientOrderId,
  venue: e.venue,
  orderId: e.orderId,
  symbol: e.symbol,
  side: e.side,
  type: e.type,
  price: e.price === null ? null : amountText(e.price),
  quantity: amountText(e.quantity),
  filled: D.formatNumber(e.filled),
  status: e.status,
  createdAt: e.createdAt,
  updatedAt: e.updatedAt,
  detail: e.detail
})

/**
 * An in-memory journal: same contract, nothing survives the process. The default of
 * the dry-run layer, and for tests and benchmarks. Each call is one synchronous step,
 * so concurrent fibers never interleave inside it.
 */
export const makeMemoryJournal: Effect.Effect<OrderJournalService> = Effect.sync(() => {
  const entries = new Map<string, MemoryEntry>()
  const state = new Map<string, string>()
  const list = (p: (e: MemoryEntry) => boolean) => {
    const out: Array<JournalEntry> = []
    for (const e of entries.values()) if (p(e)) out.push(fromMemory(e))
    return out
  }
  return {
    location: ":memory:",
    durable: false,
    recordIntent: (intent) =>
      Effect.sync(() => {
        if (entries.has(intent.clientOrderId)) return
        entries.set(intent.clientOrderId, {
          clientOrderId: intent.clientOrderId,
          venue: intent.venue,
          orderId: null,
          symbol: intent.symbol,
          side: intent.side,
          type: intent.type,
          price: Option.isSome(intent.price) ? intent.price.value : null,
          quantity: intent.quantity,
          filled: 0,
          status: "pending",
          createdAt: intent.createdAt,
          updatedAt: intent.createdAt,
          detail: null
        })
      }),
    recordOrder: (record, now, venue) =>
      Effect.sync(() => {
        const e = entries.get(record.clientOrderId)
        // The same fields as `entryFromRecord`, written in place.
        const price = record.type === "market" && record.price === 0 ? (e?.price ?? null) : record.price
        if (e === undefined) {
          entries.set(record.clientOrderId, {
            clientOrderId: record.clientOrderId,
            venue,
            orderId: record.id,
            symbol: record.symbol,
            side: record.side,
            type: record.type,
            price,
            quantity: record.quantity,
            filled: record.filled,
            status: record.status,
            createdAt: record.timestamp,
            updatedAt: now,
            detail: null
          })
        } else if (acceptsExchangeView(e.status)) {
          if (e.venue === UNATTRIBUTED_VENUE) e.venue = venue
          e.orderId = record.id
          e.price = price
          e.quantity = record.quantity
          e.filled = record.filled
          e.status = record.status
          e.updatedAt = now
        }
      }),
    markFailed: (clientOrderId, detail, now) =>
      Effect.sync(() => {
        const e = entries.get(clientOrderId)
        if (e !== undefined && isOpenJournalStatus(e.status)) {
          e.status = "failed"
          e.detail = detail
          e.updatedAt = now
        }
      }),
    unsettled: (venue, symbol) =>
      Effect.sync(() =>
        list((e) =>
          (e.venue === venue || e.venue === UNATTRIBUTED_VENUE) && e.symbol === symbol && isOpenJournalStatus(e.status)
        ).sort((a, b) => a.createdAt - b.createdAt)
      ),
    entries: (options) =>
      Effect.sync(() =>
        list((e) =>
          (options?.symbol === undefined || e.symbol === options.symbol) &&
          (options?.venue === undefined || e.venue === options.venue)
        )
          .sort((a, b) => b.createdAt - a.createdAt)
          .slice(0, options?.limit ?? Number.MAX_SAFE_INTEGER)
      ),
    loadState: (key) => Effect.sync(() => Option.fromNullishOr(state.get(key))),
    saveState: (key, value) => Effect.sync(() => void state.set(key, value))
  } satisfies OrderJournalService
})

export class OrderJournal extends Context.Service<OrderJournal, OrderJournalService>()("orderops/OrderJournal") {
  /** A fresh in-memory journal per layer build. */
  static readonly layerMemory: Layer.Layer<OrderJournal> = Layer.effect(OrderJournal, makeMemoryJournal)
}
