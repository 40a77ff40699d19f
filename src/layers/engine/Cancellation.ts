/**
 * Cancelling orders: one by id, or every open order on one side. A cancel is safe
 * to repeat, so it is retried; after a lost answer the order's state decides
 * (cancelled is success), and an "unknown order" refusal is explained by a look-up
 * (never there, or no longer open).
 */
import { Effect, Option, Result } from "effect"
import { ExchangeError } from "../../errors/ExchangeError.ts"
import type { ExchangeFailure } from "../../errors/index.ts"
import type { OrderRecord, OrderSide } from "../../services/OrderRecord.ts"
import { withRetry } from "../../services/Retry.ts"
import { logLazily } from "../../services/LogLevels.ts"
import type { ValidationError } from "../../errors/ValidationError.ts"
import type { OcoRecord, VenueFailure } from "../../services/Venue.ts"
import { type Engine, marketAnnotations, observeAll, operation, orderAnnotations, read } from "./Engine.ts"
import { isAmbiguous } from "./Placement.ts"

/** An order that filled or vanished while cancel-all ran: not a failure of cancel-all. */
const isGone = (e: ExchangeFailure) => e._tag === "ExchangeError" && (e.reason === "OrderNotOpen" || e.reason === "OrderNotFound")

/** Cancels a running OCO list by its id (see `Oco.ts`). */
export type CancelList = (op: string, listId: string) => Effect.Effect<OcoRecord, ValidationError | VenueFailure>

/** The list an order is a leg of, when the venue cancels lists as a whole. */
const listOf = (engine: Engine, o: OrderRecord): Option.Option<string> => (Option.isSome(engine.venue.oco) ? o.listId : Option.none())

export const makeCancellation = (engine: Engine, cancelList: CancelList) => {
  const { active, feed, symbol, venue } = engine

  /**
   * Binance answers "unknown order" both for ids it never had and for orders no
   * longer open. Looks the order up to say which; the look-up only explains, so if
   * it fails the original error stands.
   */
  const explainRefusedCancel = (op: string, orderId: string, e: ExchangeError) =>
    Effect.gen(function*() {
      const found = yield* Effect.result(read(engine, venue.fetchOrder(op, symbol, orderId)))
      if (Result.isFailure(found) || found.success.status === "open") return yield* Effect.fail(e)
      const record = found.success
      yield* feed.observe(record)
      return yield* new ExchangeError({
        operation: op,
        symbol,
        orderId,
        clientOrderId: record.clientOrderId,
        reason: "OrderNotOpen",
        detail: `order is ${record.status}, not open`
      })
    })

  /** After a cancel's answer was lost, the order's state decides: cancelled is success. */
  const checkCanceled = (op: string, orderId: string, e: VenueFailure) =>
    Effect.gen(function*() {
      const found = yield* Effect.result(read(engine, venue.fetchOrder(op, symbol, orderId)))
      if (Result.isSuccess(found) && found.success.status === "canceled") return found.success
      return yield* Effect.fail(e)
    })

  /** Cancels one order (retried, checked after a lost answer, explained when refused) and applies its final record. */
  const cancelRecord = (op: string, orderId: string): Effect.Effect<OrderRecord, VenueFailure> => {
    const attempt = Effect.catchIf(venue.cancel(op, symbol, orderId), isAmbiguous, (e) => checkCanceled(op, orderId, e))
    const explained = Effect.catchIf(
      withRetry(attempt, engine.policy),
      (e): e is ExchangeError => e._tag === "ExchangeError" && e.reason === "OrderNotFound",
      (e) => explainRefusedCancel(op, orderId, e)
    )
    const canceled = Effect.tap(explained, (record) =>
      Effect.andThen(
        feed.observe(record),
        logLazily(
          "Info",
          () => `Canceled ${record.type} ${record.side} order: ${symbol} ${orderId}`,
          () => orderAnnotations(engine, { orderId, clientOrderId: record.clientOrderId })
        )
      ))
    return Effect.annotateLogs(canceled, orderAnnotations(engine, { orderId }))
  }

  /**
   * Cancels one order. A leg of an OCO cancels its whole list, as the exchange does:
   * a tracked leg through the list, an untracked one by itself, after which the
   * legs tracked with it are looked up so that both leave the `Ref`.
   */
  const cancelOrder = (orderId: string) =>
    operation(
      engine,
      "cancelOrder",
      Effect.gen(function*() {
        const op = "cancelOrder"
        const tracked = (yield* active.snapshot).get(orderId)
        const list = tracked === undefined ? Option.none<string>() : listOf(engine, tracked)
        if (Option.isSome(list)) return yield* Effect.asVoid(cancelList(op, list.value))
        const record = yield* cancelRecord(op, orderId)
        if (Option.isSome(record.listId)) yield* settleOtherLegs(op, record)
      })
    )

  /** The other tracked legs of `leg`'s list, looked up and applied (the exchange ended them with it). */
  const settleOtherLegs = (op: string, leg: OrderRecord) =>
    Effect.flatMap(active.snapshot, (tracked) =>
      Effect.forEach(
        [...tracked.values()].filter((o) => o.id !== leg.id && Option.getOrUndefined(o.listId) === Option.getOrUndefined(leg.listId)),
        (o) => Effect.flatMap(read(engine, venue.fetchOrder(op, symbol, o.id)), feed.observe),
        { discard: true }
      ))

  /** One cancel-all request, when the exchange has one and every open order is on the side. */
  const cancelAllAtOnce = (op: string, side: OrderSide, cancelAll: (op: string, symbol: string) => Effect.Effect<ReadonlyArray<OrderRecord>, VenueFailure>) =>
    Effect.gen(function*() {
      const cancelled = yield* read(engine, cancelAll(op, symbol))
      yield* observeAll(engine, cancelled)
      yield* Effect.log(`Canceled all ${side} orders on ${symbol}: ${cancelled.length}`).pipe(Effect.annotateLogs(marketAnnotations(engine)))
      return cancelled.map((o) => o.id)
    })

  /**
   * Cancels `targets` one by one, `concurrency` at a time, an OCO's two legs as one
   * list; the first real failure, if any, is the result.
   */
  const cancelEach = (op: string, targets: ReadonlyArray<OrderRecord>) =>
    Effect.gen(function*() {
      const lists = new Set<string>()
      const singles: Array<OrderRecord> = []
      for (const o of targets) {
        const list = listOf(engine, o)
        if (Option.isSome(list)) lists.add(list.value)
        else singles.push(o)
      }
      const cancels: Array<Effect.Effect<ReadonlyArray<OrderRecord>, ValidationError | VenueFailure>> = [
        ...singles.map((o) => Effect.map(cancelRecord(op, o.id), (r) => [r])),
        ...[...lists].map((listId) => Effect.map(cancelList(op, listId), (l) => [l.stop, l.limit]))
      ]
      const results = yield* Effect.forEach(cancels, Effect.result, { concurrency: engine.concurrency })
      const ids: Array<string> = []
      for (const r of results) {
        if (Result.isSuccess(r)) ids.push(...r.success.map((o) => o.id))
        else if (r.failure._tag === "ValidationError" || !isGone(r.failure)) return yield* Effect.fail(r.failure)
      }
      return ids
    })

  const cancelAllOn = (side: OrderSide) => {
    const op = side === "buy" ? "cancelAllBuyOrders" : "cancelAllSellOrders"
    return operation(
      engine,
      op,
      Effect.gen(function*() {
        const open = yield* read(engine, venue.openOrders(op, symbol))
        const targets = open.filter((o) => o.side === side)
        if (targets.length === 0) return []
        if (Option.isSome(venue.cancelAll) && targets.length === open.length) return yield* cancelAllAtOnce(op, side, venue.cancelAll.value)
        return yield* cancelEach(op, targets)
      })
    )
  }

  return { cancelOrder, cancelAllOn }
}
