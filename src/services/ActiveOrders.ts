/**
 * The `Ref` of orders this process placed (or adopted at recovery) that are still
 * open, keyed by exchange order id, and kept in step with the journal: every change
 * of an order's state is journaled, then applied to the `Ref`.
 *
 * Updates are monotonic. A view less filled than the tracked one is ignored. Once an
 * order is seen final (filled, cancelled, expired, rejected) it leaves the `Ref` and a
 * later stale "open" view of it is ignored, even when the fill is observed before the
 * create that placed it has been tracked.
 *
 * It serves one venue (`Venue.id`), whose id it journals with every order it
 * records: build it with `ActiveOrders.layerFor(venue.id)`. The order engine checks
 * that the two agree.
 */
import { BigDecimal, Clock, Context, Effect, Layer, Option, Ref } from "effect"
import type { JournalError } from "../errors/JournalError.ts"
import { OrderJournal } from "./OrderJournal.ts"
import { makeRecentIds } from "./RecentIds.ts"
import { isFinalStatus, type OrderRecord, sameFees } from "./OrderRecord.ts"

export interface ActiveOrdersService {
  /** The venue whose orders these are (`Venue.id`); journal entries it creates are stamped with it. */
  readonly venue: string
  /** The live `Ref`. Read it with `Ref.get`; change it only through this service. */
  readonly ref: Ref.Ref<ReadonlyMap<string, OrderRecord>>
  readonly snapshot: Effect.Effect<ReadonlyMap<string, OrderRecord>>
  /** Journals an order this process owns and adds it to the `Ref` if it is open. */
  track(record: OrderRecord): Effect.Effect<void, JournalError>
  /**
   * Journals a new view of an order and applies it to the `Ref` if the order is tracked
   * (or final). A view the same as the tracked one changes nothing and writes nothing,
   * so polling open orders costs no journal writes.
   */
  observe(record: OrderRecord): Effect.Effect<void, JournalError>
  /** Whether the order was seen final lately (among the last few thousand finished): a later view of it is stale. */
  wasFinished(orderId: string): boolean
}

const sameAmount = Option.makeEquivalence(BigDecimal.Equivalence)

/** Whether two views of an order say the same (amounts compared exactly, whatever their scale). */
const sameView = (a: OrderRecord, b: OrderRecord): boolean =>
  a.status === b.status && BigDecimal.equals(a.filled, b.filled) && BigDecimal.equals(a.cost, b.cost) &&
  sameAmount(a.price, b.price) && sameAmount(a.triggerPrice, b.triggerPrice) && BigDecimal.equals(a.quantity, b.quantity) &&
  sameFees(a.fees, b.fees) && Option.getOrUndefined(a.listId) === Option.getOrUndefined(b.listId) &&
  a.clientOrderId === b.clientOrderId && a.symbol === b.symbol && a.side === b.side && a.type === b.type &&
  a.timestamp === b.timestamp

/** Whether `record` says less than the `current` view (less filled): a late answer or stream frame. */
const isLate = (record: OrderRecord, current: OrderRecord): boolean => BigDecimal.isLessThan(record.filled, current.filled)

/** How many recently finished order ids are remembered to reject stale views. */
const FINISHED_MEMORY = 4096

export const makeActiveOrders = (venue: string) => Effect.gen(function*() {
  const journal = yield* OrderJournal
  const ref = yield* Ref.make<ReadonlyMap<string, OrderRecord>>(new Map())
  const finished = makeRecentIds(FINISHED_MEMORY)

  const apply = (record: OrderRecord, addIfMissing: boolean) =>
    Ref.update(ref, (m) => {
      if (isFinalStatus(record.status)) {
        finished.remember(record.id)
        if (!m.has(record.id)) return m
        const next = new Map(m)
        next.delete(record.id)
        return next
      }
      const current = m.get(record.id)
      if (finished.has(record.id) || (current === undefined && !addIfMissing)) return m
      // A late view (less filled than the one applied) changes nothing: views may race (a stream and a read).
      if (current !== undefined && isLate(record, current)) return m
      return new Map(m).set(record.id, record)
    })

  /** Journals `record` (stamped with the clock's time), then applies it to the `Ref`. */
  const write = (record: OrderRecord, addIfMissing: boolean) =>
    Effect.andThen(
      Effect.flatMap(Clock.currentTimeMillis, (now) => journal.recordOrder(record, now, venue)),
      apply(record, addIfMissing)
    )

  return {
    venue,
    ref,
    snapshot: Ref.get(ref),
    track: (record) => write(record, true),
    observe: (record) =>
      Effect.flatMap(Ref.get(ref), (tracked) => {
        const current = tracked.get(record.id)
        // Untracked: only a final view is news (a stray order's end), and only the first one.
        // Tracked: a different view, unless it is late (less filled): neither journaled nor applied.
        const news = current === undefined
          ? isFinalStatus(record.status) && !finished.has(record.id)
          : !sameView(current, record) && !isLate(record, current)
        return news ? write(record, false) : Effect.void
      }),
    wasFinished: (orderId) => finished.has(orderId)
  } satisfies ActiveOrdersService
})

export class ActiveOrders extends Context.Service<ActiveOrders, ActiveOrdersService>()("orderops/ActiveOrders") {
  /** The active orders of the venue with id `venue` (`"dry-run"`, or the ccxt exchange id). */
  static readonly layerFor = (venue: string): Layer.Layer<ActiveOrders, never, OrderJournal> =>
    Layer.effect(ActiveOrders, makeActiveOrders(venue))
}
