/**
 * The one place where views of orders become order events. Every part of the engine
 * (placement, cancels, reads, reconciliation) and every event source (the exchange's
 * stream, the dry run's simulator) hands its views here. For each:
 * 1. the trades it brings are journaled;
 * 2. the view is journaled and applied to the active orders (`ActiveOrders`);
 * 3. the events from what is published of the order to this view are derived
 *    (`OrderChanges.ts`) and handed to the subscribers (`EventHub.ts`), in one
 *    synchronous step: views of an order may arrive concurrently (the stream and a
 *    read), but derivations never interleave, and a view older than what is
 *    published derives nothing, so events never repeat or go back.
 *
 * A fill whose trade is not known yet (a REST view, which carries no trades) waits:
 * the order is `pending` until `settlePending` reads its trades, which the watcher
 * runs at once (`wake`) and every `TRADE_READ_EVERY` while fills wait. The read
 * starts before the order's first unseen fill: at its newest published trade, else
 * its creation (`Published.tradesFrom`), or, for an order resting long, a margin
 * before the last time a view showed what is published of it (later fills came
 * after that), never at the waiting view's own time (a cancel answer's, after the
 * fill). A trade is published only once the exchange
 * lists it; a fill it has not listed after `tradeWait` is published without a trade
 * (`trade: none`), with a WARN. Nothing is made up.
 */
import { Clock, Duration, Effect, Option, Queue } from "effect"
import type { JournalError } from "../../errors/JournalError.ts"
import * as D from "../../services/Decimal.ts"
import { isFinalStatus, type OrderRecord } from "../../services/OrderRecord.ts"
import { isFill, type OrderEvent } from "../../services/OrderEvent.ts"
import type { Trade } from "../../services/Trade.ts"
import type { VenueFailure } from "../../services/Venue.ts"
import { isOwnClientOrderId } from "./ClientOrderId.ts"
import { type EngineCore, type Feed, read } from "./Engine.ts"
import type { EventHub } from "./EventHub.ts"
import { changes, type Published, publishedAsIs } from "./OrderChanges.ts"

/**
 * How far before the last view that showed an order's published fills its trade read
 * may start: covers the request's latency and the local clock running ahead of the
 * exchange's. Only bounds the read for an order that rested long.
 */
const SEEN_MARGIN_MS = 60_000

/** How long a fill waits for the exchange to list its trade before it is published without one, by default. */
export const DEFAULT_TRADE_WAIT: Duration.Input = "10 seconds"

/** Journals `trades` seen on the engine's market, stamped with the clock's time. */
const journalTrades = ({ journal, symbol, venue }: EngineCore, trades: ReadonlyArray<Trade>) =>
  trades.length === 0 ? Effect.void : Effect.flatMap(Clock.currentTimeMillis, (now) => journal.recordTrades(venue.id, symbol, trades, now))

export const makeFeed = (engine: EngineCore, hub: EventHub, tradeWait: Duration.Input = DEFAULT_TRADE_WAIT) =>
  Effect.gen(function*() {
    const { active, journal, symbol, venue } = engine
    const tradeWaitMs = Duration.toMillis(Duration.fromInputUnsafe(tradeWait))
    const wake = yield* Queue.dropping<void>(1)
    /** What was last published of each order not finished yet, by id. */
    const published = new Map<string, Published>()
    /** The newest view of each order whose fills wait for their trades, by id. */
    const pending = new Map<string, OrderRecord>()
    /** When each waiting order started waiting (epoch ms), by id. */
    const waitingSince = new Map<string, number>()
    /** When a view last showed what is published of each order (local epoch ms), by id: its later fills came after. */
    const seenAt = new Map<string, number>()

    /** A view that says less than what is known of the order already (a late answer or stream frame). */
    const isLate = (view: OrderRecord, known: OrderRecord) => D.lt(view.filled, known.filled)

    /** Records what is published of an order now: kept while it is open (a final one the active orders remember). */
    const settle = (id: string, now: Published, at: number) => {
      if (!isFinalStatus(now.record.status)) {
        published.set(id, now)
        seenAt.set(id, at)
        return
      }
      published.delete(id)
      seenAt.delete(id)
    }

    /** Whether `view`'s new fills need the journal's trades: the trades given do not cover them. */
    const needsJournaledTrades = (view: OrderRecord, given: ReadonlyArray<Trade>, from: OrderRecord | undefined) => {
      if (!D.gt(view.filled, from?.filled ?? D.ZERO)) return false
      const covered = given.reduce((sum, t) => (t.orderId === view.id ? D.add(sum, t.quantity) : sum), from?.filled ?? D.ZERO)
      return D.lt(covered, view.filled)
    }

    /**
     * Derives and publishes `view`'s events (the view is applied already), from what is
     * published of the order when it runs. With no one subscribed (and none of its fills
     * waiting) nothing is derived: what is published of it just moves forward to the
     * view, so that a later subscriber starts from there.
     */
    const publish = (view: OrderRecord, trades: ReadonlyArray<Trade>): Effect.Effect<void, JournalError> =>
      Effect.clockWith((clock) => {
        const from = published.get(view.id)
        if (!hub.listening() && !pending.has(view.id)) {
          if (from === undefined || !isLate(view, from.record)) {
            settle(view.id, publishedAsIs(view, from?.tradesFrom), clock.currentTimeMillisUnsafe())
          }
          return Effect.void
        }
        if (!needsJournaledTrades(view, trades, from?.record)) return Effect.asVoid(emit(view, trades))
        return Effect.flatMap(journal.trades(venue.id, symbol, { orderIds: [view.id] }), (journaled) => Effect.asVoid(emit(view, [...journaled, ...trades])))
      })

    /**
     * Publishes the events from what is published of the order to `view`, given its known
     * trades (with `untradedAllowed`, fills they do not explain go without a trade).
     * Synchronous, so no other view of the order interleaves: a view older than what is
     * published derives nothing. Gives the events published.
     */
    const emit = (view: OrderRecord, trades: ReadonlyArray<Trade>, untradedAllowed = false) =>
      Effect.clockWith((clock) => {
        const next = changes(Option.fromUndefinedOr(published.get(view.id)), view, trades, untradedAllowed)
        if (!next.complete) {
          // Its status waits for its fills: it stays published (and looked up by polls) until they are read.
          pending.set(view.id, view)
          published.set(view.id, next.published)
          if (!waitingSince.has(view.id)) {
            waitingSince.set(view.id, clock.currentTimeMillisUnsafe())
            Queue.offerUnsafe(wake, undefined)
          }
        } else {
          pending.delete(view.id)
          waitingSince.delete(view.id)
          settle(view.id, next.published, clock.currentTimeMillisUnsafe())
        }
        return Effect.as(hub.publish(next.events), next.events)
      })

    /**
     * Whether a view of an order not published starts its events: an own order, open,
     * or final while its create is on its way (the stream was quicker than the answer).
     * A finished own order read from history (`fetchAllOrders`) starts nothing.
     */
    const isNewOwn = (view: OrderRecord) =>
      isOwnClientOrderId(view.clientOrderId) && (view.status === "open" || engine.sending.has(view.clientOrderId))

    const recordTrades = (trades: ReadonlyArray<Trade>) => journalTrades(engine, trades)

    /** `then`, after journaling `trades` when there are any. */
    const withTrades = <A>(trades: ReadonlyArray<Trade>, then: Effect.Effect<A, JournalError>) =>
      trades.length === 0 ? then : Effect.andThen(recordTrades(trades), then)

    /**
     * A view of an order: journaled and applied to the active orders, then published.
     * Views of other orders (not own, or read from history) are only journaled; a view
     * older than what is known of the order changes nothing.
     */
    const observe = (view: OrderRecord, trades: ReadonlyArray<Trade> = []) =>
      Effect.suspend(() => {
        const from = published.get(view.id)
        // The very view published already (a source echoing the answer the engine applied): nothing new.
        if (from !== undefined && from.record === view && trades.length === 0) return Effect.void
        if (from === undefined && (active.wasFinished(view.id) || !isNewOwn(view))) return withTrades(trades, active.observe(view))
        if (from !== undefined && isLate(view, pending.get(view.id) ?? from.record)) return recordTrades(trades)
        const waiting = pending.get(view.id)
        // No further than the view that waits for its trades (the stream's late report of a fill, after the
        // cancel's answer): only its trades are news, and they go to the waiting view.
        if (waiting !== undefined && !D.gt(view.filled, waiting.filled) && (isFinalStatus(waiting.status) || !isFinalStatus(view.status))) {
          return withTrades(trades, publish(waiting, trades))
        }
        // An own order not published yet: placed now, or seen before its create's answer (a stream can be that quick).
        const applied = from === undefined ? active.track(view) : active.observe(view)
        return Effect.andThen(withTrades(trades, applied), publish(view, trades))
      })

    // A create's answer is a view like any other: an own open order not published yet starts its
    // events (`isNewOwn`), and one the stream already brought is one more view of it.
    const placed = (record: OrderRecord) => observe(record)

    const adopted = (record: OrderRecord) =>
      Effect.andThen(active.track(record), Effect.clockWith((clock) => Effect.sync(() => {
        if (!isFinalStatus(record.status) && !published.has(record.id)) {
          published.set(record.id, publishedAsIs(record))
          seenAt.set(record.id, clock.currentTimeMillisUnsafe())
        }
      })))

    /**
     * Where the read of one waiting order's trades starts: its `tradesFrom` (its newest
     * published trade, else its creation), or a margin before a view last showed what is
     * published of it, whichever is later.
     */
    const tradesSinceOf = (id: string, view: OrderRecord) => {
      const from = Math.min(published.get(id)?.tradesFrom ?? view.timestamp, view.timestamp)
      const seen = seenAt.get(id)
      return seen === undefined ? from : Math.max(from, seen - SEEN_MARGIN_MS)
    }

    /** Where the read of the waiting orders' trades starts: the earliest of theirs. */
    const tradesSince = () => Math.min(...[...pending].map(([id, view]) => tradesSinceOf(id, view)))

    /** Says that `order`'s fill went out without a trade, and why. */
    const warnUntraded = (order: OrderRecord, events: ReadonlyArray<OrderEvent>) => {
      const untraded = events.filter((e) => isFill(e) && Option.isNone(e.trade))
      if (untraded.length === 0) return Effect.void
      return Effect.logWarning(
        `Order ${order.id}: the exchange has not listed the trade of its fill up to ${D.format(order.filled)} within ` +
          `${Duration.format(Duration.millis(tradeWaitMs))}; the fill is published without a trade, none is made up`
      ).pipe(Effect.annotateLogs({ ...engine.annotations, orderId: order.id, clientOrderId: order.clientOrderId }))
    }

    /**
     * The waiting orders, given what a trade read found: each publishes the trades found.
     * One that has waited `tradeWait` (its exchange has not listed the trade) is published
     * with the rest of its fill without a trade.
     */
    const afterTradeRead = (found: ReadonlyArray<Trade>) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        for (const [id, view] of [...pending]) {
          const own = found.filter((t) => t.orderId === id).map((t) => (t.clientOrderId === "" ? { ...t, clientOrderId: view.clientOrderId } : t))
          yield* recordTrades(own)
          if (now - (waitingSince.get(id) ?? now) >= tradeWaitMs && published.has(id)) {
            const journaled = yield* journal.trades(venue.id, symbol, { orderIds: [id] })
            yield* warnUntraded(view, yield* emit(view, [...journaled, ...own], true))
          } else {
            yield* publish(view, own)
          }
        }
      })

    const settlePending = (op: string) =>
      Effect.gen(function*() {
        if (pending.size === 0) return
        const found = yield* Effect.tapError(read(engine, venue.trades(op, symbol, tradesSince())), () => afterTradeRead([]))
        yield* afterTradeRead(found)
      })

    return {
      placed,
      adopted,
      observe,
      settlePending,
      wake,
      waitingForTrades: () => pending.size > 0,
      watching: () => [...published.keys()]
    } satisfies Feed
  })

/** The feed with events off: views go to the active orders and the journal, and nothing is derived or kept. */
export const makePassthroughFeed = (engine: EngineCore) =>
  Effect.map(Queue.dropping<void>(1), (wake): Feed => {
    const { active } = engine
    return {
      placed: active.track,
      adopted: active.track,
      observe: (record, trades = []) => (trades.length === 0 ? active.observe(record) : Effect.andThen(journalTrades(engine, trades), active.observe(record))),
      settlePending: () => Effect.void,
      wake,
      waitingForTrades: () => false,
      watching: () => []
    }
  })
