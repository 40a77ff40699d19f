/**
 * The durable record of every order orderops sends. An order's intent is written
 * before its request leaves; the exchange's answer and each later status change
 * update the same entry (keyed by client order id). Amounts are decimal text.
 * Layers: `OrderJournal.layerMemory` (tests), SQLite (default), PostgreSQL. Each
 * also keeps the dry run's paper book (`paper`, see `PaperStore.ts`).
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
import type { Fees, OrderRecord, OrderSide, OrderStatus, OrderType } from "./OrderRecord.ts"
import { makeMemoryPaperStore, type PaperStoreService } from "./PaperStore.ts"
import { makeMemoryTrades, type Trade, type TradeFilter } from "./Trade.ts"

export type { TradeFilter } from "./Trade.ts"

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

/** A journal entry with its amounts kept as `Amount`: decimal text in a `JournalEntry`. */
export interface EntryOf<Amount> {
  readonly clientOrderId: string
  /** The venue the order was sent to (`Venue.id`); `""` for an entry older than venues in the journal. */
  readonly venue: string
  readonly orderId: string | null
  readonly symbol: string
  readonly side: OrderSide
  readonly type: OrderType
  /** The limit price; null for an order without one (market, stop-loss, take-profit). */
  readonly price: Amount | null
  /** The trigger price of a stop-loss or take-profit order; null for others. */
  readonly triggerPrice: Amount | null
  readonly quantity: Amount
  readonly filled: Amount
  /** The quote filled so far; null in an entry written before the journal kept it (migration 0006). */
  readonly cost: Amount | null
  /** Fees paid so far, by asset. */
  readonly fees: Readonly<Record<string, Amount>>
  /** The order list (OCO) the order is in; null for none. */
  readonly listId: string | null
  readonly status: JournalStatus
  readonly createdAt: number
  readonly updatedAt: number
  readonly detail: string | null
}

/** A journal entry, every amount as exact decimal text. */
export interface JournalEntry extends EntryOf<string> {}

export interface OrderIntent {
  readonly clientOrderId: string
  /** The venue the order is sent to (`Venue.id`). */
  readonly venue: string
  readonly symbol: string
  readonly side: OrderSide
  readonly type: OrderType
  readonly price: Option.Option<D.Decimal>
  /** The trigger price of a stop-loss or take-profit order. */
  readonly triggerPrice?: Option.Option<D.Decimal> | undefined
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
  /**
   * Journals trades seen on `venue`'s `symbol`. A trade is kept once, by its id: one
   * already journaled is left as it is, however often it is seen again.
   */
  recordTrades(venue: string, symbol: string, trades: ReadonlyArray<Trade>, now: number): Effect.Effect<void, JournalError>
  /** The venue's journaled trades on `symbol`, oldest first, within `filter`. */
  trades(venue: string, symbol: string, filter?: TradeFilter): Effect.Effect<ReadonlyArray<Trade>, JournalError>
  /** The dry-run exchange's own orders, balances and prices, in the same store. */
  readonly paper: PaperStoreService
}

/** `fees` with each amount written by `amount`. */
const mapFees = <A>(fees: Fees, amount: (d: D.Decimal) => A): Record<string, A> => {
  const out: Record<string, A> = {}
  for (const asset of Object.keys(fees)) out[asset] = amount(fees[asset]!)
  return out
}


/**
 * The entry `venue`'s view of an order makes of `previous` (or a new one), amounts
 * written by `amount`. The venue is `previous`'s unless that is unattributed; an
 * order the view gives no limit price keeps the one the intent journaled.
 */
const fromRecord = <Amount>(
  record: OrderRecord,
  now: number,
  venue: string,
  previous: EntryOf<Amount> | undefined,
  amount: (d: D.Decimal) => Amount
): EntryOf<Amount> => ({
  clientOrderId: record.clientOrderId,
  venue: previous === undefined || previous.venue === UNATTRIBUTED_VENUE ? venue : previous.venue,
  orderId: record.id,
  symbol: record.symbol,
  side: record.side,
  type: record.type,
  price: Option.isSome(record.price) ? amount(record.price.value) : (previous?.price ?? null),
  triggerPrice: Option.isSome(record.triggerPrice) ? amount(record.triggerPrice.value) : (previous?.triggerPrice ?? null),
  quantity: amount(record.quantity),
  filled: amount(record.filled),
  cost: amount(record.cost),
  fees: mapFees(record.fees, amount),
  listId: Option.getOrNull(record.listId),
  status: record.status,
  createdAt: previous?.createdAt ?? record.timestamp,
  updatedAt: now,
  detail: previous?.detail ?? null
})

/** The `pending` entry an intent makes, amounts written by `amount`. */
const fromIntent = <Amount>(intent: OrderIntent, amount: (d: D.Decimal) => Amount, zero: Amount): EntryOf<Amount> => ({
  clientOrderId: intent.clientOrderId,
  venue: intent.venue,
  orderId: null,
  symbol: intent.symbol,
  side: intent.side,
  type: intent.type,
  price: Option.isSome(intent.price) ? amount(intent.price.value) : null,
  triggerPrice: intent.triggerPrice !== undefined && Option.isSome(intent.triggerPrice) ? amount(intent.triggerPrice.value) : null,
  quantity: amount(intent.quantity),
  filled: zero,
  cost: zero,
  fees: {},
  listId: null,
  status: "pending",
  createdAt: intent.createdAt,
  updatedAt: intent.createdAt,
  detail: null
})

/** Entry fields derived from `venue`'s view of an order: exact decimal text for every amount. */
export const entryFromRecord = (record: OrderRecord, now: number, venue: string, previous?: JournalEntry): JournalEntry =>
  fromRecord(record, now, venue, previous, D.format)

export const entryFromIntent = (intent: OrderIntent): JournalEntry => fromIntent(intent, D.format, "0")

/**
 * An entry as the memory journal keeps it: amounts as the decimals they arrived as,
 * formatted only when read, so a bot's hot path pays for no decimal text.
 */
type MemoryEntry = EntryOf<D.Decimal>

const fromMemory = (e: MemoryEntry): JournalEntry => ({
  ...e,
  price: e.price === null ? null : D.format(e.price),
  triggerPrice: e.triggerPrice === null ? null : D.format(e.triggerPrice),
  quantity: D.format(e.quantity),
  filled: D.format(e.filled),
  cost: e.cost === null ? null : D.format(e.cost),
  fees: mapFees(e.fees, D.format)
})

const asIs = <A>(a: A): A => a

/**
 * An in-memory journal: same contract, nothing survives the process. The default of
 * the dry-run layer, and for tests and benchmarks. Each call is one synchronous step,
 * so concurrent fibers never interleave inside it.
 */
export const makeMemoryJournal: Effect.Effect<OrderJournalService> = Effect.sync(() => {
  const entries = new Map<string, MemoryEntry>()
  const trades = makeMemoryTrades()
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
        if (!entries.has(intent.clientOrderId)) entries.set(intent.clientOrderId, fromIntent<D.Decimal>(intent, asIs, D.ZERO))
      }),
    recordOrder: (record, now, venue) =>
      Effect.sync(() => {
        const previous = entries.get(record.clientOrderId)
        if (previous === undefined || acceptsExchangeView(previous.status)) {
          entries.set(record.clientOrderId, fromRecord<D.Decimal>(record, now, venue, previous, asIs))
        }
      }),
    markFailed: (clientOrderId, detail, now) =>
      Effect.sync(() => {
        const e = entries.get(clientOrderId)
        if (e !== undefined && isOpenJournalStatus(e.status)) {
          entries.set(clientOrderId, { ...e, status: "failed", detail, updatedAt: now })
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
    recordTrades: (venue, symbol, list) => Effect.sync(() => trades.record(venue, symbol, list)),
    trades: (venue, symbol, filter) => Effect.sync(() => trades.list(venue, symbol, filter)),
    paper: makeMemoryPaperStore()
  } satisfies OrderJournalService
})

export class OrderJournal extends Context.Service<OrderJournal, OrderJournalService>()("orderops/OrderJournal") {
  /** A fresh in-memory journal per layer build. */
  static readonly layerMemory: Layer.Layer<OrderJournal> = Layer.effect(OrderJournal, makeMemoryJournal)
}
