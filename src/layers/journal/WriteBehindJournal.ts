/**
 * A write-behind order journal: wraps any `OrderJournalService` so that only the
 * write an order's safety depends on waits for the database.
 *
 * Why: each order costs three journal commits (its intent, the exchange's answer,
 * the cancel's final state). With all three on the request's path the live layer on
 * SQLite measured 1.22x raw ccxt in bench (i), against 1.08x with the last two written
 * behind (one run of `npm run bench`). Only the intent must be durable
 * before its request leaves: without it, a crash could leave an order on the exchange
 * that orderops never heard of. Every later write (`recordOrder`, `markFailed`) moves
 * an entry on from `pending` or `open` (or corrects a `failed` one the exchange turned
 * out to have), and start-up recovery settles every entry still `pending` or `open`
 * against the exchange by client order id and adopts every open `oo_` order the
 * journal lacks (`Reconciliation.ts`). So a later write that a crash cuts short is
 * learned again from the exchange: it may be deferred without an order being lost.
 *
 * What it does:
 * - `recordIntent` goes straight to the journal and returns once it is committed.
 * - `recordOrder` and `markFailed` are queued and written, in the order they were
 *   made, by one background fiber: a batch's first write waits `lingerMillis` (20) for
 *   others to join it, and the batch is one transaction (group commit).
 * - `recordTrades` writes at once, like `recordIntent`.
 * - Every read (`unsettled`, `entries`, `trades`) first waits until everything queued before it
 *   is written, by this journal or another on the same store in this process (`peers`):
 *   a program always reads its own writes.
 * - A write that fails is logged (with its operation and client order id) and never
 *   swallowed: the next call to the journal, whatever it is, fails with that
 *   `JournalError`, once. The entry keeps its previous state; when that is `pending`
 *   or `open` (all but a rare case), recovery settles it at the next start. (A failed
 *   batch is retried write by write, so one bad write costs no other its place.)
 * - At most `capacity` writes wait; a write beyond that waits for the queue to drain.
 * - Closing the layer's scope writes everything queued before the journal closes.
 * - The paper store (`paper`) is passed through untouched: the dry run's exchange side
 *   is written synchronously, as an exchange would.
 */
import { Cause, Deferred, Effect, Exit, Latch, type Scope } from "effect"
import { JournalError } from "../../errors/JournalError.ts"
import type { OrderJournalService } from "../../services/OrderJournal.ts"

export interface WriteBehindOptions {
  /**
   * Runs a batch of writes as one transaction (the SQL journals pass their client's
   * `withTransaction`). Without it each write commits on its own.
   */
  readonly transaction?: <A, E>(effect: Effect.Effect<A, E>) => Effect.Effect<A, E | JournalError>
  /** The most writes one transaction takes. Default 256. */
  readonly maxBatch?: number
  /**
   * How long the first write of a batch waits for others to join it, in ms, unless a
   * reader (or closing) waits for it. Default 20: shorter lingers make smaller batches,
   * whose commits cost more per write (bench (i): 1 ms cost 0.13x more than 20 ms).
   */
  readonly lingerMillis?: number
  /** The most writes waiting at once; a write beyond it waits for the queue to drain. Default 4096. */
  readonly capacity?: number
}

/** A queued write, with what its log line names when it fails. */
interface QueuedWrite {
  readonly operation: "recordOrder" | "markFailed"
  readonly clientOrderId: string
  readonly orderId: string | undefined
  readonly write: Effect.Effect<void, JournalError>
}

/**
 * The drains of the write-behind journals open in this process, by location (file or
 * database). A read waits for them all, so it sees every write made before it in this
 * process on the same store, through whichever journal layer (one program may build
 * two layers on one file: an exchange's and one to inspect it). Another process may
 * see the queued writes up to a linger late.
 */
const peers = new Map<string, Set<Effect.Effect<void>>>()

const join = (location: string, drain: Effect.Effect<void>) => {
  const set = peers.get(location) ?? new Set()
  set.add(drain)
  peers.set(location, set)
}

const leave = (location: string, drain: Effect.Effect<void>) => {
  const set = peers.get(location)
  set?.delete(drain)
  if (set?.size === 0) peers.delete(location)
}

/** The `JournalError` a write's failure (or defect) amounts to. */
const asJournalError = (inner: OrderJournalService, queued: QueuedWrite, cause: Cause.Cause<JournalError>): JournalError => {
  const failure = cause.reasons.find(Cause.isFailReason)
  return failure !== undefined
    ? failure.error
    : new JournalError({ operation: queued.operation, location: inner.location, detail: Cause.pretty(cause), cause: Cause.squash(cause) })
}

/**
 * `inner` with its later writes made in the background (see the header). Needs a
 * scope: the writer fiber lives in it, and closing it drains the queue first.
 */
export const makeWriteBehindJournal = (
  inner: OrderJournalService,
  options: WriteBehindOptions = {}
): Effect.Effect<OrderJournalService, never, Scope.Scope> =>
  Effect.gen(function*() {
    const maxBatch = Math.max(1, options.maxBatch ?? 256)
    const capacity = Math.max(1, options.capacity ?? 4096)
    const linger = options.lingerMillis ?? 20
    const transaction = options.transaction
    const queue: Array<QueuedWrite> = []
    /** Writes queued and written so far: a reader waits until `written` reaches the `queued` it saw. */
    let queued = 0
    let written = 0
    const waiters: Array<{ readonly upTo: number; readonly done: Deferred.Deferred<void> }> = []
    /** A failed write not yet reported to a caller. */
    let failure: JournalError | undefined
    /** Open while writes are queued; `urgent` also while someone waits for them. */
    const wake = yield* Latch.make(false)
    const urgent = yield* Latch.make(false)
    /** The first write of a batch waits this long for others to join it, unless someone waits for it. */
    const lingering = linger <= 0 ? Effect.void : Effect.raceFirst(Effect.sleep(linger), urgent.await)

    const writeOne = (w: QueuedWrite) =>
      Effect.catchCause(w.write, (cause) => {
        const error = asJournalError(inner, w, cause)
        failure ??= error
        return Effect.logError(`Journal write failed; the entry keeps its previous state until recovery settles it: ${error.message}`).pipe(
          Effect.annotateLogs({ operation: w.operation, clientOrderId: w.clientOrderId, ...(w.orderId === undefined ? {} : { orderId: w.orderId }) })
        )
      })

    /** Writes `batch` in one transaction; if that fails, each write on its own. Never fails; never interrupted halfway. */
    const writeBatch = (batch: ReadonlyArray<QueuedWrite>) =>
      Effect.uninterruptible(
        batch.length === 1 || transaction === undefined
          ? Effect.forEach(batch, writeOne, { discard: true })
          : Effect.catchCause(
            transaction(Effect.forEach(batch, (w) => w.write, { discard: true })),
            () => Effect.forEach(batch, writeOne, { discard: true })
          )
      )

    const settleWaiters = () => {
      for (let i = waiters.length - 1; i >= 0; i--) {
        const waiter = waiters[i]!
        if (waiter.upTo <= written) {
          waiters.splice(i, 1)
          Deferred.doneUnsafe(waiter.done, Exit.void)
        }
      }
    }

    const writer = Effect.forever(
      Effect.andThen(Effect.andThen(wake.await, lingering), () => {
        wake.closeUnsafe()
        urgent.closeUnsafe()
        return Effect.whileLoop({
          while: () => queue.length > 0,
          body: () => {
            const batch = queue.splice(0, maxBatch)
            return Effect.map(writeBatch(batch), () => batch.length)
          },
          step: (n) => {
            written += n
            settleWaiters()
          }
        })
      })
    )
    yield* Effect.forkScoped(writer)

    /** Waits until everything queued so far is written (or has failed and been logged). */
    const drain = Effect.suspend(() => {
      if (written === queued) return Effect.void
      const done = Deferred.makeUnsafe<void>()
      waiters.push({ upTo: queued, done })
      urgent.openUnsafe()
      return Deferred.await(done)
    })
    // Added after the writer was forked, so it runs before the writer is interrupted.
    yield* Effect.addFinalizer(() => Effect.andThen(drain, Effect.sync(() => leave(inner.location, drain))))
    join(inner.location, drain)
    /** Waits for every write queued so far in this process on this journal's location. */
    const drainAll = Effect.suspend(() => Effect.forEach([...(peers.get(inner.location) ?? [drain])], (d) => d, { discard: true }))

    /** Fails with a failed write not yet reported, once; else runs `effect`. */
    const checked = <A>(effect: () => Effect.Effect<A, JournalError>): Effect.Effect<A, JournalError> =>
      Effect.suspend(() => {
        if (failure === undefined) return effect()
        const error = failure
        failure = undefined
        return Effect.fail(error)
      })

    const enqueue = (w: QueuedWrite): Effect.Effect<void, JournalError> =>
      checked(() => {
        if (queue.length >= capacity) return Effect.andThen(drain, enqueue(w))
        queue.push(w)
        queued++
        wake.openUnsafe()
        return Effect.void
      })

    return {
      location: inner.location,
      durable: inner.durable,
      recordIntent: (intent) => checked(() => inner.recordIntent(intent)),
      recordOrder: (record, now, venue) =>
        enqueue({
          operation: "recordOrder",
          clientOrderId: record.clientOrderId,
          orderId: record.id,
          write: inner.recordOrder(record, now, venue)
        }),
      markFailed: (clientOrderId, detail, now) =>
        enqueue({ operation: "markFailed", clientOrderId, orderId: undefined, write: inner.markFailed(clientOrderId, detail, now) }),
      // Drained first, then checked: a reader whose own write failed learns it rather than reading around it.
      unsettled: (venue, symbol) => Effect.andThen(drainAll, checked(() => inner.unsettled(venue, symbol))),
      entries: (opts) => Effect.andThen(drainAll, checked(() => inner.entries(opts))),
      // Trades are facts the exchange reported, each kept once: written at once, like the intent.
      recordTrades: (venue, symbol, trades, now) => checked(() => inner.recordTrades(venue, symbol, trades, now)),
      trades: (venue, symbol, filter) => Effect.andThen(drainAll, checked(() => inner.trades(venue, symbol, filter))),
      paper: inner.paper
    } satisfies OrderJournalService
  })
