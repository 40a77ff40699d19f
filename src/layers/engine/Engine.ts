/**
 * What every part of the order engine works with: the venue, the journal, the
 * active orders and the retry policy, bound to one symbol. `OrderEngine.ts` builds
 * it once; placement, cancellation, reads and reconciliation each take it.
 */
import { Effect, type Queue, Result } from "effect"
import type { ExchangeFailure } from "../../errors/index.ts"
import type { ValidationError } from "../../errors/ValidationError.ts"
import type { JournalError } from "../../errors/JournalError.ts"
import type { ActiveOrdersService } from "../../services/ActiveOrders.ts"
import type { OrderJournalService } from "../../services/OrderJournal.ts"
import type { OrderRecord } from "../../services/OrderRecord.ts"
import { type RetryPolicy, withRetry } from "../../services/Retry.ts"
import type { Trade } from "../../services/Trade.ts"
import type { VenueFailure, VenueService } from "../../services/Venue.ts"

/** The engine's shared parts, before the feed (which is built over them). */
export interface EngineCore {
  readonly venue: VenueService
  readonly journal: OrderJournalService
  readonly active: ActiveOrdersService
  readonly policy: RetryPolicy
  /** The market the engine trades. */
  readonly symbol: string
  /** How many cancels or look-ups run at once. */
  readonly concurrency: number
  /** The annotations of every line about the engine's market (`marketAnnotations`). */
  readonly annotations: Readonly<Record<string, string>>
  /**
   * The client order ids of creates on their way (sent, answer not yet tracked): a
   * reconciliation that meets one open on the exchange leaves it to its create.
   */
  readonly sending: Set<string>
}

/**
 * Where every view of an order goes: journal, active orders, order events. Declared
 * here, beside the engine that holds one; `Feed.ts` builds it over the `EngineCore`.
 */
export interface Feed {
  /** An order this process placed: tracked, and published from `Accepted` on. */
  placed(record: OrderRecord): Effect.Effect<void, JournalError>
  /** An order taken over at start-up recovery: tracked as it stands, without events for its past. */
  adopted(record: OrderRecord): Effect.Effect<void, JournalError>
  /** A new view of an order, with the trades that came with it (a stream's fill). */
  observe(record: OrderRecord, trades?: ReadonlyArray<Trade>): Effect.Effect<void, JournalError>
  /** Reads the trades of orders whose fills wait for them, and publishes those fills. */
  settlePending(op: string): Effect.Effect<void, VenueFailure>
  /** Offered a value whenever an order starts waiting for its trades (the watcher takes it). */
  readonly wake: Queue.Dequeue<void>
  /** Whether fills wait for their trades: the watcher reads them again every `TRADE_READ_EVERY` meanwhile. */
  waitingForTrades(): boolean
  /** The ids of orders whose events are not finished (a poll looks up those no longer open). */
  watching(): ReadonlyArray<string>
}

export interface Engine extends EngineCore {
  /** Where every view of an order goes: journal, active orders, order events (`Feed.ts`). */
  readonly feed: Feed
}

/** The annotations of every line about the engine's market. */
export const marketAnnotations = (engine: Pick<Engine, "symbol" | "venue">) => ({ symbol: engine.symbol, venue: engine.venue.id })

/** The annotations of a line about one order. */
export const orderAnnotations = (
  engine: Engine,
  ids: { readonly orderId?: string | undefined; readonly clientOrderId?: string | undefined }
) => ({
  ...marketAnnotations(engine),
  ...(ids.orderId === undefined ? {} : { orderId: ids.orderId }),
  ...(ids.clientOrderId === undefined ? {} : { clientOrderId: ids.clientOrderId })
})

/** Runs a create of `clientOrderIds` (sending it and tracking its answer), marking them as being sent meanwhile. */
export const whileSending = <A, E, R>(engine: EngineCore, clientOrderIds: ReadonlyArray<string>, create: Effect.Effect<A, E, R>) =>
  Effect.suspend(() => {
    for (const id of clientOrderIds) engine.sending.add(id)
    return Effect.ensuring(create, Effect.sync(() => clientOrderIds.forEach((id) => engine.sending.delete(id))))
  })

/** A read: idempotent, so retried on network failures and rate limits. */
export const read = <A>(engine: Pick<Engine, "policy">, effect: Effect.Effect<A, VenueFailure>) => withRetry(effect, engine.policy)

/**
 * A public operation: its lines (the venue's request lines included) carry the
 * market's annotations, and a failure writes one error line.
 */
export const operation = <A, E extends ExchangeFailure, R>(engine: Engine, op: string, effect: Effect.Effect<A, E, R>) =>
  Effect.annotateLogs(Effect.tapError(effect, (e) => Effect.logError(`${op} failed: ${e.message}`)), engine.annotations)

/**
 * The public operation `op` on inputs decoded at the boundary (`services/Inputs.ts`):
 * `decode` runs when the operation runs, and a refused input fails it, logged like
 * any failure, before anything is journaled or sent.
 */
export const withInputs = <I, A, E extends ExchangeFailure, R>(
  engine: Engine,
  op: string,
  decode: (ctx: { readonly operation: string; readonly symbol: string }) => Result.Result<I, ValidationError>,
  run: (inputs: I) => Effect.Effect<A, E, R>
): Effect.Effect<A, E | ValidationError, R> =>
  Effect.suspend((): Effect.Effect<A, E | ValidationError, R> => {
    const decoded = decode({ operation: op, symbol: engine.symbol })
    return Result.isFailure(decoded) ? operation(engine, op, Effect.fail(decoded.failure)) : run(decoded.success)
  })

/** Hands each view of an order to the feed (journal, active orders, order events). */
export const observeAll = (engine: Engine, records: ReadonlyArray<OrderRecord>): Effect.Effect<void, JournalError> =>
  records.length === 1 ? engine.feed.observe(records[0]!) : Effect.forEach(records, (r) => engine.feed.observe(r), { discard: true })
