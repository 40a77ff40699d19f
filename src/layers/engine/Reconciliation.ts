/**
 * Keeping the active orders and the journal in step with the exchange: settling
 * tracked orders the exchange no longer lists as open, `sync`, and start-up
 * recovery of the journal's unsettled entries.
 */
import { Clock, Effect, Option } from "effect"
import { type JournalEntry, UNATTRIBUTED_VENUE } from "../../services/OrderJournal.ts"
import type { OrderRecord } from "../../services/OrderRecord.ts"
import { isOwnClientOrderId } from "./ClientOrderId.ts"
import { type Engine, marketAnnotations, observeAll, operation, orderAnnotations, read } from "./Engine.ts"

export const makeReconciliation = (engine: Engine) => {
  const { active, feed, journal, symbol, venue } = engine

  /**
   * Settles every order of `tracked` that the exchange's open orders `open` no longer
   * list: its final state is looked up by id, journaled, and it leaves the `Ref`.
   */
  const settleMissing = (op: string, tracked: ReadonlyMap<string, OrderRecord>, open: ReadonlyArray<OrderRecord>) => {
    const openIds = new Set(open.map((o) => o.id))
    const gone = [...tracked.keys()].filter((id) => !openIds.has(id))
    // Orders whose final events are still to be published count as tracked too.
    for (const id of feed.watching()) if (!openIds.has(id) && !tracked.has(id)) gone.push(id)
    // Usually nothing has gone: no concurrent look-ups to set up.
    if (gone.length === 0) return Effect.void
    return Effect.forEach(gone, (id) => Effect.flatMap(read(engine, venue.fetchOrder(op, symbol, id)), (o) => feed.observe(o)), {
      concurrency: engine.concurrency,
      discard: true
    })
  }

  /**
   * Applies the exchange's open orders to the `Ref`: final states applied, own unknown
   * open orders adopted (at start-up as they stand; later as new orders, with events).
   */
  const reconcile = (op: string, open: ReadonlyArray<OrderRecord>) =>
    Effect.gen(function*() {
      const tracked = yield* active.snapshot
      yield* observeAll(engine, open)
      for (const o of open) {
        if (!tracked.has(o.id) && isOwnClientOrderId(o.clientOrderId) && !engine.sending.has(o.clientOrderId)) {
          yield* (op === "recover" ? feed.adopted(o) : feed.placed(o))
          yield* Effect.logWarning(`Adopted open order ${o.id} (${o.clientOrderId}) found on the exchange`).pipe(
            Effect.annotateLogs(orderAnnotations(engine, { orderId: o.id, clientOrderId: o.clientOrderId }))
          )
        }
      }
      yield* settleMissing(op, tracked, open)
      return yield* active.snapshot
    })

  const sync = operation(
    engine,
    "sync",
    Effect.flatMap(read(engine, venue.openOrders("sync", symbol)), (open) => Effect.tap(reconcile("sync", open), feed.settlePending("sync")))
  )

  /**
   * The watcher's REST pass (after a (re)connect, a gap, or on a poll): the open orders,
   * then each tracked order that left them, then the trades of fills that wait for them.
   */
  const pass = (op: string) =>
    Effect.flatMap(read(engine, venue.openOrders(op, symbol)), (open) => Effect.andThen(reconcile(op, open), feed.settlePending(op)))

  /** The exchange's view of a journal entry: among the open orders, else by client order id, else by exchange id. */
  const settle = (op: string, entry: JournalEntry, openByClientId: ReadonlyMap<string, OrderRecord>) =>
    Effect.gen(function*() {
      const open = openByClientId.get(entry.clientOrderId)
      if (open !== undefined) return Option.some(open)
      const byClientId = yield* read(engine, venue.lookup(op, symbol, entry.clientOrderId))
      // An entry with no venue recorded may hold another venue's exchange id: only its client order id is safe to ask for.
      if (Option.isSome(byClientId) || entry.orderId === null || entry.venue === UNATTRIBUTED_VENUE) return byClientId
      return yield* read(engine, venue.fetchOrder(op, symbol, entry.orderId)).pipe(
        Effect.map(Option.some),
        Effect.catchIf((e) => e._tag === "ExchangeError" && e.reason === "OrderNotFound", () => Effect.succeed(Option.none()))
      )
    })

  /** Recovers one unsettled journal entry: tracked if the exchange has it, marked failed if it never got there. */
  const recoverEntry = (op: string, entry: JournalEntry, openByClientId: ReadonlyMap<string, OrderRecord>) =>
    Effect.gen(function*() {
      const found = yield* settle(op, entry, openByClientId)
      if (Option.isSome(found)) {
        yield* feed.adopted(found.value)
        yield* Effect.log(`Recovered order ${found.value.id} (${entry.clientOrderId}): ${found.value.status}`)
      } else if (entry.venue === UNATTRIBUTED_VENUE) {
        // Journaled before entries named their venue: it may be another venue's order, so it is not ours to fail.
        yield* Effect.log(`Journal entry ${entry.clientOrderId} (no venue recorded) is not on ${venue.id}; left as it is`)
      } else {
        const now = yield* Clock.currentTimeMillis
        const detail = entry.status === "pending" ? "never reached the exchange" : "not found on the exchange"
        yield* journal.markFailed(entry.clientOrderId, detail, now)
        yield* Effect.logWarning(`Journal entry ${entry.clientOrderId} ${detail}; marked failed`)
      }
    })

  /**
   * Start-up recovery: settle this venue's unsettled journal entries against the exchange
   * (one open-orders request, then a look-up only for entries not open there), mark
   * intents that never reached it failed, then adopt own open orders the journal lacks.
   * Entries with no venue recorded (older journals) are claimed if found, else left alone.
   */
  const recover = Effect.gen(function*() {
    const op = "recover"
    const unsettled = yield* journal.unsettled(venue.id, symbol)
    const open = yield* read(engine, venue.openOrders(op, symbol))
    const openByClientId = new Map(open.map((o) => [o.clientOrderId, o]))
    for (const entry of unsettled) yield* recoverEntry(op, entry, openByClientId)
    yield* reconcile(op, open)
  }).pipe(Effect.annotateLogs(marketAnnotations(engine)))

  return { settleMissing, sync, recover, pass }
}
