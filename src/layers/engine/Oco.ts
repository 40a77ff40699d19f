/**
 * OCO order lists: a limit-maker leg that takes the profit and a stop leg that cuts
 * the loss, one cancelling the other. Placed like a single order: validate and snap
 * both legs (Binance's price order included) → journal both legs' intents → send
 * with the list's client id → after a lost answer, look the list up by that id before
 * any second attempt → track both legs. A list is never sent twice.
 *
 * The legs' client ids are the list's with `_l` (limit) and `_s` (stop) appended, so
 * that journaling the legs journals the list: recovery finds a pending leg's list by
 * its client id (`listClientOrderIdOf`).
 */
import { Clock, Effect, Option, Result } from "effect"
import { ValidationError } from "../../errors/ValidationError.ts"
import * as D from "../../services/Decimal.ts"
import type { OcoOrders, OcoRequest } from "../../services/Exchange.ts"
import { type MarketRules, validateOrder } from "../../services/MarketRules.ts"
import { withRetry } from "../../services/Retry.ts"
import { validateOcoAllowed, validateOcoPrices } from "../../services/TriggerRules.ts"
import type { OcoRecord, OcoVenue, SubmitOco, VenueFailure } from "../../services/Venue.ts"
import { newClientOrderId } from "./ClientOrderId.ts"
import { type Engine, marketAnnotations, operation, orderAnnotations, read, whileSending } from "./Engine.ts"
import { isAmbiguous, mayExist } from "./Placement.ts"

const LIMIT_LEG = "_l"
const STOP_LEG = "_s"

/** The legs' client ids of the list with client id `listClientOrderId`. */
export const ocoLegClientIds = (listClientOrderId: string) => ({
  limit: `${listClientOrderId}${LIMIT_LEG}`,
  stop: `${listClientOrderId}${STOP_LEG}`
})

/** The list client id a leg's client id belongs to, when it is an OCO leg's. */
export const listClientOrderIdOf = (clientOrderId: string): Option.Option<string> =>
  clientOrderId.endsWith(LIMIT_LEG) || clientOrderId.endsWith(STOP_LEG)
    ? Option.some(clientOrderId.slice(0, -LIMIT_LEG.length))
    : Option.none()

export const makeOco = (engine: Engine) => {
  const { active, feed, journal, symbol, venue } = engine

  /** The venue's OCO requests, or the `ValidationError` saying it has none. */
  const ocoVenue = (op: string): Effect.Effect<OcoVenue, ValidationError> =>
    Option.match(venue.oco, {
      onSome: Effect.succeed,
      onNone: () =>
        Effect.fail(
          new ValidationError({ operation: op, symbol, rule: "OrderTypeNotAllowed", field: "type", value: "oco", limit: `no OCO on ${venue.id} here` })
        )
    })

  /**
   * Both legs checked and snapped as the orders they are (a limit-maker, and a
   * stop-loss or stop-loss-limit: each type must be one the market allows), then
   * Binance's price order between them and the last price.
   */
  const validate = (
    op: string,
    rules: MarketRules,
    request: OcoRequest,
    last: D.Decimal | undefined,
    openOrders: number
  ): Result.Result<Omit<SubmitOco, "listClientOrderId" | "limitClientOrderId" | "stopClientOrderId">, ValidationError> => {
    const ctx = { operation: op, symbol, referencePrice: last, openOrders }
    const allowed = validateOcoAllowed(rules, ctx)
    if (Result.isFailure(allowed)) return Result.fail(allowed.failure)
    const { quantity, side } = request
    const limitLeg = validateOrder(rules, { side, type: "limit-maker", price: request.price, quantity }, ctx)
    if (Result.isFailure(limitLeg)) return Result.fail(limitLeg.failure)
    const stopType = request.stopLimitPrice === undefined ? "stop-loss" : "stop-loss-limit"
    const stopLeg = validateOrder(rules, { side, type: stopType, price: request.stopLimitPrice, triggerPrice: request.triggerPrice, quantity }, {
      ...ctx,
      openOrders: openOrders + 1
    })
    if (Result.isFailure(stopLeg)) {
      const e = stopLeg.failure
      return Result.fail(e.field === "price" ? new ValidationError({ ...e, field: "stopLimitPrice" }) : e)
    }
    const price = Option.getOrThrow(limitLeg.success.price)
    const triggerPrice = Option.getOrThrow(stopLeg.success.triggerPrice)
    const ordered = validateOcoPrices(side, price, triggerPrice, { ...ctx, lastPrice: last })
    if (Result.isFailure(ordered)) return Result.fail(ordered.failure)
    return Result.succeed({ symbol, side, quantity: limitLeg.success.quantity, price, triggerPrice, stopLimitPrice: stopLeg.success.price })
  }

  /** After a lost answer: the list with this client id, if the exchange has it; else the failure stands. */
  const lookupAfterLostAnswer = (op: string, lists: OcoVenue, list: SubmitOco, e: VenueFailure) =>
    Effect.logWarning(`Outcome unknown (${e.message}); looking the list up by its client id`).pipe(
      Effect.andThen(read(engine, lists.lookup(op, symbol, list.listClientOrderId))),
      Effect.flatMap(Option.match({
        onSome: (found) => Effect.as(Effect.log(`OCO was accepted despite the lost answer`), found),
        onNone: () => Effect.fail(e)
      }))
    )

  /** Sends `list` until the exchange takes or refuses it; a refusal marks both legs failed, an unknown outcome leaves them pending. */
  const send = (op: string, lists: OcoVenue, list: SubmitOco) =>
    withRetry(
      Effect.catchIf(lists.submit(op, list), isAmbiguous, (e) => lookupAfterLostAnswer(op, lists, list, e)),
      engine.policy
    ).pipe(
      Effect.tapError((e) =>
        mayExist(e)
          ? Effect.logError(`OCO outcome unknown; its legs stay pending in the journal until sync or recovery settles them`)
          : Effect.flatMap(Clock.currentTimeMillis, (t) =>
            Effect.andThen(journal.markFailed(list.limitClientOrderId, e.message, t), journal.markFailed(list.stopClientOrderId, e.message, t)))
      )
    )

  const createOco = (request: OcoRequest): Effect.Effect<OcoOrders, ValidationError | VenueFailure> =>
    operation(
      engine,
      "createOco",
      Effect.gen(function*() {
        const op = "createOco"
        const lists = yield* ocoVenue(op)
        const rules = yield* venue.market(op, symbol)
        const last = Option.getOrUndefined(yield* read(engine, venue.referencePrice(op, symbol)))
        const tracked = yield* active.snapshot
        const valid = validate(op, rules, request, last, tracked.size)
        if (Result.isFailure(valid)) return yield* valid.failure
        const now = yield* Clock.currentTimeMillis
        const listClientOrderId = newClientOrderId(now)
        const legs = ocoLegClientIds(listClientOrderId)
        const list: SubmitOco = { ...valid.success, listClientOrderId, limitClientOrderId: legs.limit, stopClientOrderId: legs.stop }
        const common = { venue: venue.id, symbol, side: list.side, quantity: list.quantity, createdAt: now }
        yield* journal.recordIntent({ ...common, clientOrderId: legs.limit, type: "limit-maker", price: Option.some(list.price) })
        yield* journal.recordIntent({
          ...common,
          clientOrderId: legs.stop,
          type: Option.isSome(list.stopLimitPrice) ? "stop-loss-limit" : "stop-loss",
          price: list.stopLimitPrice,
          triggerPrice: Option.some(list.triggerPrice)
        })
        const placed: OcoRecord = yield* whileSending(
          engine,
          [legs.limit, legs.stop],
          send(op, lists, list).pipe(
            Effect.annotateLogs(orderAnnotations(engine, { clientOrderId: listClientOrderId })),
            Effect.tap((placed) => Effect.andThen(feed.placed(placed.limit), feed.placed(placed.stop)))
          )
        )
        yield* Effect.log(
          `Created OCO ${placed.listId}: ${list.side} ${D.format(list.quantity)} ${symbol}, limit ${D.format(list.price)}, stop at ${D.format(list.triggerPrice)}`
        ).pipe(Effect.annotateLogs(orderAnnotations(engine, { clientOrderId: listClientOrderId })))
        return { listId: placed.listId, limit: placed.limit, stop: placed.stop }
      })
    )

  /**
   * After a list cancel's answer was lost (or a resend found no running list), the
   * tracked legs decide: both final and one cancelled is success; else the failure stands.
   */
  const checkCancelled = (op: string, listId: string, e: VenueFailure) =>
    Effect.gen(function*() {
      const legs = [...(yield* active.snapshot).values()].filter((o) => Option.getOrUndefined(o.listId) === listId)
      if (legs.length !== 2) return yield* Effect.fail(e)
      const found = yield* Effect.forEach(legs, (o) => read(engine, venue.fetchOrder(op, symbol, o.id)))
      const limit = found.find((o) => o.type === "limit-maker")
      const stop = found.find((o) => o.type !== "limit-maker")
      if (limit === undefined || stop === undefined || found.some((o) => o.status === "open") || !found.some((o) => o.status === "canceled")) {
        return yield* Effect.fail(e)
      }
      const listClientOrderId = Option.getOrElse(listClientOrderIdOf(limit.clientOrderId), () => "")
      return { listId, listClientOrderId, limit, stop } satisfies OcoRecord
    })

  /** Cancels a running list (both legs), retried; a lost answer is settled by the legs' state. Gives both legs' final records. */
  const cancelList = (op: string, listId: string): Effect.Effect<OcoRecord, ValidationError | VenueFailure> =>
    Effect.gen(function*() {
      const lists = yield* ocoVenue(op)
      const attempt = Effect.catchIf(lists.cancel(op, symbol, listId), isAmbiguous, (e) => checkCancelled(op, listId, e))
      const placed = yield* withRetry(attempt, engine.policy).pipe(
        Effect.catchIf((e) => e._tag === "ExchangeError" && e.reason === "OrderNotFound", (e) => checkCancelled(op, listId, e))
      )
      yield* feed.observe(placed.limit)
      yield* feed.observe(placed.stop)
      yield* Effect.log(`Canceled OCO ${listId} on ${symbol}`)
      return placed
    }).pipe(Effect.annotateLogs(marketAnnotations(engine)))

  const cancelOco = (listId: string) => operation(engine, "cancelOco", Effect.asVoid(cancelList("cancelOco", listId)))

  return { createOco, cancelOco, cancelList }
}
