/**
 * The durable record of every order orderops sends. An order's intent is written
 * before its request leaves; the exchange's answer and each later status change
 * update the same entry (keyed by client order id). Amounts are decimal text.
 * Layers: `OrderJournal.layerMemory` (tests), SQLite (default), PostgreSQL.
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

export interface JournalEntry {
  readonly clientOrderId: string
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
  /** Upserts the entry for `record.clientOrderId` with the exchange's view of the order. */
  recordOrder(record: OrderRecord, now: number): Effect.Effect<void, JournalError>
  markFailed(clientOrderId: string, detail: string, now: number): Effect.Effect<void, JournalError>
  /** The symbol's entries that are not final (`pending` or `open`), oldest first. */
  unsettled(symbol: string): Effect.Effect<ReadonlyArray<JournalEntry>, JournalError>
  /** Entries, newest first, optionally for one symbol. */
  entries(options?: { readonly symbol?: string; readonly limit?: number }): Effect.Effect<ReadonlyArray<JournalEntry>, JournalError>
  /** Opaque state blobs (the dry-run exchange keeps its simulated book here). */
  loadState(key: string): Effect.Effect<Option.Option<string>, JournalError>
  saveState(key: string, value: string): Effect.Effect<void, JournalError>
}

/** Entry fields derived from an order record: exact decimal text for every amount. */
export const entryFromRecord = (record: OrderRecord, now: number, previous?: JournalEntry): JournalEntry => ({
  clientOrderId: record.clientOrderId,
  orderId: record.id,
  symbol: record.symbol,
  side: record.side,
  type: record.type,
  price: record.type === "market" && record.price === 0 ? (previous?.price ?? null) : D.format(D.unsafe(record.price)),
  quantity: D.format(D.unsafe(record.quantity)),
  filled: D.format(D.unsafe(record.filled)),
  status: record.status,
  createdAt: previous?.createdAt ?? record.timestamp,
  updatedAt: now,
  detail: previous?.detail ?? null
})

export const entryFromIntent = (intent: OrderIntent): JournalEntry => ({
  clientOrderId: intent.clientOrderId,
  orderId: null,
  symbol: intent.symbol,
  side: intent.side,
  type: intent.type,
  price: Option.match(intent.price, { onNone: () => null, onSome: D.format }),
  quantity: D.format(intent.quantity),
  filled: "0",
  status: "pending",
  createdAt: intent.createdAt,
  updatedAt: intent.createdAt,
  detail: null
})

/**
 * An in-memory journal: same contract, nothing survives the process. For tests and
 * benchmarks. Each call is one synchronous step, so concurrent fibers never interleave inside it.
 */
export const makeMemoryJournal: Effect.Effect<OrderJournalService> = Effect.sync(() => {
  const entries = new Map<string, JournalEntry>()
  const state = new Map<string, string>()
  const list = (p: (e: JournalEntry) => boolean) => [...entries.values()].filter(p)
  return {
    location: ":memory:",
    durable: false,
    recordIntent: (intent) =>
      Effect.sync(() => {
        if (!entries.has(intent.clientOrderId)) entries.set(intent.clientOrderId, entryFromIntent(intent))
      }),
    recordOrder: (record, now) =>
      Effect.sync(() => {
        const previous = entries.get(record.clientOrderId)
        if (previous === undefined || acceptsExchangeView(previous.status)) {
          entries.set(record.clientOrderId, entryFromRecord(record, now, previous))
        }
      }),
    markFailed: (clientOrderId, detail, now) =>
      Effect.sync(() => {
        const e = entries.get(clientOrderId)
        if (e !== undefined && isOpenJournalStatus(e.status)) {
          entries.set(clientOrderId, { ...e, status: "failed", detail, updatedAt: now })
        }
      }),
    unsettled: (symbol) =>
      Effect.sync(() =>
        list((e) => e.symbol === symbol && isOpenJournalStatus(e.status)).sort((a, b) => a.createdAt - b.createdAt)
      ),
    entries: (options) =>
      Effect.sync(() =>
        list((e) => options?.symbol === undefined || e.symbol === options.symbol)
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
