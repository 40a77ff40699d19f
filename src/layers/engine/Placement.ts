/**
 * Placing orders. A create goes: validate and snap → check the funds the venue knows
 * without a request (`FundsCheck.ts`) → journal the intent → send
 * with a fresh client order id → on an ambiguous failure (timeout, dropped
 * connection, 5xx), look the client order id up before any second attempt, and
 * resend with the same id only when the exchange does not have it → journal and
 * track the result. An order is never sent twice.
 */
import { Clock, Effect, Option, Result } from "effect"
import type { ExchangeFailure } from "../../errors/index.ts"
import type { ValidationError } from "../../errors/ValidationError.ts"
import * as D from "../../services/Decimal.ts"
import { decodeOrderRequest } from "../../services/Inputs.ts"
import { type MarketRules, type OrderRequest, sellableQuantity, validateOrder } from "../../services/MarketRules.ts"
import { describeAmounts, isTriggerType, type OrderRecord, type OrderSide } from "../../services/OrderRecord.ts"
import { withRetry } from "../../services/Retry.ts"
import { logLazily } from "../../services/LogLevels.ts"
import type { SubmitOrder, VenueFailure } from "../../services/Venue.ts"
import { newClientOrderId } from "./ClientOrderId.ts"
import { checkFunds } from "./FundsCheck.ts"
import { type Engine, marketAnnotations, operation, orderAnnotations, read, whileSending, withInputs } from "./Engine.ts"

/** A failure after which the order may or may not exist on the exchange: worth a look-up, and a resend. */
export const isAmbiguous = (e: VenueFailure): boolean =>
  e._tag === "NetworkError" || (e._tag === "ExchangeError" && e.reason === "ExchangeUnavailable")

/**
 * A create failure that does not prove the order was refused: an ambiguous one, an
 * answer orderops could not read, or a failure it could not classify. Its journal
 * entry stays `pending` for `sync` and recovery to settle, rather than being marked failed.
 */
export const mayExist = (e: ExchangeFailure): boolean =>
  e._tag === "NetworkError" ||
  (e._tag === "ExchangeError" && (e.reason === "ExchangeUnavailable" || e.reason === "UnreadableAnswer" || e.reason === "Unknown"))

export const makePlacement = (engine: Engine) => {
  const { active, feed, journal, symbol, venue } = engine

  /** After a lost answer: the order with the client order id, if the exchange has it; else the failure stands. */
  const lookupAfterLostAnswer = (op: string, order: SubmitOrder, e: VenueFailure) =>
    Effect.logWarning(`Outcome unknown (${e.message}); looking the order up by client order id`).pipe(
      Effect.andThen(read(engine, venue.lookup(op, order.symbol, order.clientOrderId))),
      Effect.flatMap(Option.match({
        onSome: (found) => Effect.as(Effect.log(`Order was accepted despite the lost answer`), found),
        onNone: () => Effect.fail(e)
      }))
    )

  /**
   * Sends `order` (its intent journaled at `now`) until the exchange takes or refuses
   * it, under the retry policy: each attempt after a lost answer is a look-up by
   * client order id, then a resend with the same id. Once it has failed for good the
   * journal gets the verdict: `failed` when the order was refused, or when a defect
   * stopped an attempt before its request left (every earlier attempt was refused or
   * looked up and not found, so the order is nowhere); otherwise it stays `pending`.
   */
  const send = (op: string, order: SubmitOrder, now: number) => {
    const sent = Effect.tapDefect(venue.submit(op, order), (defect) =>
      journal.markFailed(order.clientOrderId, `not sent: a defect before the request left: ${String(defect)}`, now))
    const attempt = Effect.catchIf(sent, isAmbiguous, (e) => lookupAfterLostAnswer(op, order, e))
    return Effect.tapError(withRetry(attempt, engine.policy), (e) =>
      mayExist(e)
        ? Effect.logError(`Order outcome unknown; it stays pending in the journal until sync or recovery settles it`)
        : Effect.flatMap(Clock.currentTimeMillis, (t) => journal.markFailed(order.clientOrderId, e.message, t)))
  }

  /** Validates and snaps `request` against `rules`, journals the intent and sends it with a fresh client order id. */
  const place = (
    op: string,
    rules: MarketRules,
    request: OrderRequest,
    referencePrice: D.Decimal | undefined
  ): Effect.Effect<OrderRecord, ValidationError | VenueFailure> =>
    Effect.flatMap(active.snapshot, (tracked): Effect.Effect<OrderRecord, ValidationError | VenueFailure> => {
      const valid = validateOrder(rules, request, { operation: op, symbol, referencePrice, openOrders: tracked.size })
      if (Result.isFailure(valid)) return Effect.fail(valid.failure)
      return Effect.flatMap(Clock.currentTimeMillis, (now) => {
        const clientOrderId = newClientOrderId(now)
        const order: SubmitOrder = { clientOrderId, symbol, ...valid.success }
        const sent = Effect.annotateLogs(send(op, order, now), orderAnnotations(engine, { clientOrderId }))
        const placed = checkFunds(venue, op, order, rules).pipe(
          Effect.andThen(journal.recordIntent({ ...order, venue: venue.id, createdAt: now })),
          Effect.andThen(sent)
        )
        const tracked = Effect.tap(placed, (record) =>
          Effect.andThen(
            feed.placed(record),
            logLazily(
              "Info",
              () => `Created ${order.type} ${order.side} order: ${symbol} ${describeAmounts(record)}`,
              () => orderAnnotations(engine, { clientOrderId, orderId: record.id })
            )
          ))
        return whileSending(engine, [clientOrderId], tracked)
      })
    })

  /**
   * Places `request` under the market's current rules and, for a market order (its
   * notional) or a trigger order (the side its trigger must lie on), its last price.
   */
  const placeWith = (op: string, request: OrderRequest) =>
    Effect.flatMap(venue.market(op, symbol), (rules) =>
      request.type === "market" || isTriggerType(request.type)
        ? Effect.flatMap(read(engine, venue.referencePrice(op, symbol)), (p) => place(op, rules, request, Option.getOrUndefined(p)))
        : place(op, rules, request, undefined))

  /** The public operation `op`: places an order, its request decoded first (`Inputs.ts`). */
  const placeOrderAs = (op: string) => (request: OrderRequest) =>
    withInputs(engine, op, (ctx) => decodeOrderRequest(ctx, request), (valid) => operation(engine, op, placeWith(op, valid)))

  const sellAllAssets = () =>
    operation(
      engine,
      "sellAllAssets",
      Effect.gen(function*() {
        const op = "sellAllAssets"
        const rules = yield* venue.market(op, symbol)
        const balances = yield* read(engine, venue.balances(op))
        const free = balances.get(rules.base)?.free ?? D.ZERO
        const price = Option.getOrUndefined(yield* read(engine, venue.referencePrice(op, symbol)))
        const quantity = sellableQuantity(rules, free, price)
        if (Option.isNone(quantity)) {
          yield* Effect.logInfo(`Nothing to sell: ${D.format(free)} ${rules.base} is dust on ${symbol}`).pipe(
            Effect.annotateLogs(marketAnnotations(engine))
          )
          return Option.none<string>()
        }
        const record = yield* placeWith(op, { side: "sell", type: "market", quantity: D.toNumber(quantity.value) })
        return Option.some(record.id)
      })
    )

  /** The stop-loss and take-profit shorthands of `placeOrder`; side defaults to sell. */
  const triggerOrder = (type: "stop-loss" | "take-profit") => {
    const placeAs = placeOrderAs(type === "stop-loss" ? "createStopLoss" : "createTakeProfit")
    return (triggerPrice: D.Amount, quantity: D.Amount, side: OrderSide = "sell") => placeAs({ type, side, triggerPrice, quantity })
  }
  const triggerLimitOrder = (type: "stop-loss-limit" | "take-profit-limit") => {
    const placeAs = placeOrderAs(type === "stop-loss-limit" ? "createStopLossLimit" : "createTakeProfitLimit")
    return (triggerPrice: D.Amount, price: D.Amount, quantity: D.Amount, side: OrderSide = "sell") =>
      placeAs({ type, side, triggerPrice, price, quantity })
  }
  const triggerOrders = {
    createStopLoss: triggerOrder("stop-loss"),
    createStopLossLimit: triggerLimitOrder("stop-loss-limit"),
    createTakeProfit: triggerOrder("take-profit"),
    createTakeProfitLimit: triggerLimitOrder("take-profit-limit")
  }

  return { placeOrderAs, sellAllAssets, triggerOrders }
}
