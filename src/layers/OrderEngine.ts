/**
 * The order engine: the one implementation of the `Exchange` service, over any
 * `Venue`. The dry-run and live layers differ only in the venue they plug in, so
 * validation, client order ids, write-ahead journaling, the active-orders `Ref`,
 * retries, recovery and logging are the same code for both.
 *
 * A create goes: validate and snap → journal the intent → send with a fresh
 * client order id → on an ambiguous failure (timeout, dropped connection, 5xx),
 * look the client order id up before any second attempt, and resend with the
 * same id only when the exchange does not have it → journal and track the result.
 */
import { randomFillSync } from "node:crypto"
import { Clock, Effect, Layer, Option, Ref, References, Result } from "effect"
import { ExchangeError } from "../errors/ExchangeError.ts"
import type { JournalError } from "../errors/JournalError.ts"
import { ValidationError } from "../errors/ValidationError.ts"
import type { ExchangeFailure } from "../errors/index.ts"
import { ActiveOrders } from "../services/ActiveOrders.ts"
import { debugOn, passes } from "../services/LogLevels.ts"
import * as D from "../services/Decimal.ts"
import type { ExchangeService } from "../services/Exchange.ts"
import { type MarketRules, type OrderRequest, sellableQuantity, validateOrder } from "../services/MarketRules.ts"
import { type JournalEntry, OrderJournal, UNATTRIBUTED_VENUE } from "../services/OrderJournal.ts"
import type { OrderRecord, OrderSide } from "../services/OrderRecord.ts"
import { defaultRetryPolicy, makeRetryPolicy, type RetryOptions, type RetryPolicy, isRetryable, retryAfter, withRetry } from "../services/Retry.ts"
import { type SubmitOrder, Venue, type VenueFailure } from "../services/Venue.ts"

/** Client order ids orderops generates start with this, so recovery can recognise its own orders. */
export const CLIENT_ORDER_ID_PREFIX = "oo_"

/** Random hex digits for client order ids, drawn from the OS in batches (one `randomFillSync` per 512 ids). */
const entropy = Buffer.allocUnsafe(8 * 512)
let hexPool = ""
let hexOffset = 0

/**
 * A fresh client order id: `oo_` + base-36 time + 16 random hex digits (at most 31
 * characters of `[a-z0-9_]`, within Binance's 36 of `[.A-Z:/a-z0-9_-]`).
 */
export const newClientOrderId = (now: number): string => {
  if (hexOffset === hexPool.length) {
    randomFillSync(entropy)
    hexPool = entropy.toString("hex")
    hexOffset = 0
  }
  const hex = hexPool.slice(hexOffset, hexOffset + 16)
  hexOffset += 16
  return `${CLIENT_ORDER_ID_PREFIX}${now.toString(36)}_${hex}`
}

export const isOwnClientOrderId = (id: string): boolean => id.startsWith(CLIENT_ORDER_ID_PREFIX)

export interface EngineOptions {
  /** The market to trade. Default `HBAR/USDT`. */
  readonly symbol?: string
  /** Retry schedule for reads, cancels and create re-sends. */
  readonly retry?: RetryOptions | RetryPolicy
  /** How many cancels `cancelAll*` runs at once. Default 10. */
  readonly cancelConcurrency?: number
  /** Reconcile the journal's unsettled orders with the exchange at start-up. Default true. */
  readonly recover?: boolean
}

/**
 * With `debug`, lowers the minimum log level to Debug both while `layer` is built and
 * for the program it is provided to (one line per request); otherwise `layer` as is.
 */
export const withDebugLogging = <A, E, R>(layer: Layer.Layer<A, E, R>, debug: boolean | undefined) => {
  if (debug !== true) return layer
  const level = Layer.succeed(References.MinimumLogLevel, "Debug")
  return Layer.merge(layer.pipe(Layer.provide(level)), level)
}

const isPolicy = (r: RetryOptions | RetryPolicy): r is RetryPolicy => "schedule" in r

/** A failure after which the order may or may not exist on the exchange: worth a look-up, and a resend. */
const isAmbiguous = (e: VenueFailure): boolean =>
  e._tag === "NetworkError" || (e._tag === "ExchangeError" && e.reason === "ExchangeUnavailable")

/**
 * A create failure that does not prove the order was refused: an ambiguous one, an
 * answer orderops could not read, or a failure it could not classify. Its journal
 * entry stays `pending` for `sync` and recovery to settle, rather than being marked failed.
 */
const mayExist = (e: ExchangeFailure): boolean =>
  (e._tag === "NetworkError") ||
  (e._tag === "ExchangeError" && (e.reason === "ExchangeUnavailable" || e.reason === "UnreadableAnswer" || e.reason === "Unknown"))

/** Builds the `Exchange` service over the `Venue`, `OrderJournal` and `ActiveOrders` in context. */
export const makeExchange = Effect.fnUntraced(function*(options: EngineOptions = {}) {
  const venue = yield* Venue
  const journal = yield* OrderJournal
  const active = yield* ActiveOrders
  // Journal entries are scoped by venue id: a mismatch here is a wiring bug.
  if (venue.id === UNATTRIBUTED_VENUE) return yield* Effect.die(new Error(`a Venue's id must not be empty`))
  if (active.venue !== venue.id) {
    return yield* Effect.die(
      new Error(`ActiveOrders serves venue "${active.venue}" but the Venue is "${venue.id}": use ActiveOrders.layerFor(venue.id)`)
    )
  }
  const symbol = options.symbol ?? "HBAR/USDT"
  const policy = options.retry === undefined
    ? defaultRetryPolicy
    : isPolicy(options.retry)
    ? options.retry
    : makeRetryPolicy(options.retry)
  const concurrency = options.cancelConcurrency ?? 10

  /** Reads are idempotent: retried on network failures and rate limits. */
  const read = <A>(effect: Effect.Effect<A, VenueFailure>) => withRetry(effect, policy)

  /** The annotations of every line about this market. */
  const market = { symbol, venue: venue.id }
  /** The annotations of a line about one order. */
  const about = (ids: { readonly orderId?: string; readonly clientOrderId?: string }) => ({ ...market, ...ids })

  /** Writes the error line every failed public operation writes, once. */
  const reportFailure = <A, E extends ExchangeFailure>(op: string, effect: Effect.Effect<A, E>) =>
    Effect.tapError(effect, (e) => Effect.logError(`${op} failed: ${e.message}`).pipe(Effect.annotateLogs(market)))

  /**
   * `reportFailure`, for an operation whose lines at Info and above annotate
   * themselves. With debug on, the venue's request lines inside it are annotated with
   * the market too; otherwise there is no annotation scope to pay for.
   */
  const reported = <A, E extends ExchangeFailure>(op: string, effect: Effect.Effect<A, E>) => {
    const plain = reportFailure(op, effect)
    const annotated = Effect.annotateLogs(plain, market)
    return Effect.withFiber((fiber) => (debugOn(fiber) ? annotated : plain))
  }

  // Fail fast on a market the venue does not list.
  const initialRules = yield* venue.market("start", symbol).pipe(Effect.annotateLogs(market))
  yield* Effect.logDebug(
    `Market ${symbol}: tick ${D.format(initialRules.tickSize)}, step ${D.format(initialRules.stepSize)}, ` +
      `min quantity ${D.format(initialRules.minQuantity)}, min notional ${D.format(initialRules.minNotional)}`
  ).pipe(Effect.annotateLogs(market))

  const observeAll = (records: ReadonlyArray<OrderRecord>): Effect.Effect<void, JournalError> =>
    records.length === 0
      ? Effect.void
      : records.length === 1
      ? active.observe(records[0]!)
      : Effect.forEach(records, active.observe, { discard: true })

  /**
   * Settles every order of `tracked` that the exchange's open orders `open` no longer
   * list: its final state is looked up by id, journaled, and it leaves the `Ref`.
   */
  const settleMissing = (op: string, tracked: ReadonlyMap<string, OrderRecord>, open: ReadonlyArray<OrderRecord>) => {
    const openIds = new Set(open.map((o) => o.id))
    const gone = [...tracked.keys()].filter((id) => !openIds.has(id))
    return Effect.forEach(gone, (id) => read(venue.fetchOrder(op, symbol, id)).pipe(Effect.flatMap(active.observe)), {
      concurrency,
      discard: true
    })
  }

  // ---- create ---------------------------------------------------------------
  //
  // Creates and cancels are the hot path (a bot's whole trading loop), so each is a
  // few plain Effect steps (no generator) whose first send runs bare: the look-up,
  // retry and failure bookkeeping are built only when that send fails; the level, the
  // clock and the open-order count are read from the fiber and the `Ref` in one
  // synchronous step; log lines below the fiber's minimum level
  // are never built, and each line carries its own annotations (symbol, venue and the
  // order's ids) instead of the operation paying for an annotation scope. The venue
  // explains each request in one debug line; with debug on, those lines are annotated
  // the same way.

  /**
   * What `withRetry` of a request made safe to repeat does after the request's first,
   * bare send failed with `first`. The request is `send`, and after an ambiguous
   * failure (the answer was lost) `recover`, which finds out whether it took effect;
   * that pair is retried under the policy.
   */
  const resumeAfter = <A>(
    first: VenueFailure,
    send: Effect.Effect<A, VenueFailure>,
    recover: (e: VenueFailure) => Effect.Effect<A, VenueFailure>
  ) =>
    (isAmbiguous(first) ? recover(first) : Effect.fail(first)).pipe(
      Effect.catchIf(
        (e) => isRetryable(e, policy),
        (e) => retryAfter(e, Effect.catchIf(send, isAmbiguous, recover), policy)
      )
    )

  const lookupAfterLostAnswer = (op: string, order: SubmitOrder, e: VenueFailure) =>
    Effect.logWarning(`Outcome unknown (${e.message}); looking the order up by client order id`).pipe(
      Effect.andThen(read(venue.lookup(op, order.symbol, order.clientOrderId))),
      Effect.flatMap(Option.match({
        onSome: (found) => Effect.as(Effect.log(`Order was accepted despite the lost answer`), found),
        onNone: () => Effect.fail(e)
      }))
    )

  /**
   * What follows a first send that failed with `first`: the look-up by client order id
   * after a lost answer, re-sends of the same client order id under the policy, and,
   * once it has failed for good, the journal's verdict.
   */
  const submitFailed = (op: string, order: SubmitOrder, first: VenueFailure) =>
    resumeAfter(first, venue.submit(op, order), (e) => lookupAfterLostAnswer(op, order, e)).pipe(
      Effect.tapError((e) =>
        mayExist(e)
          ? Effect.logError(`Order outcome unknown; it stays pending in the journal until sync or recovery settles it`)
          : Effect.flatMap(Clock.currentTimeMillis, (t) => journal.markFailed(order.clientOrderId, e.message, t))
      )
    )

  /**
   * Validates and snaps `request` against `rules`, journals the intent and sends it with
   * a fresh client order id; tracks the record the exchange gives back. Everything up to
   * the journal write is one synchronous step, reading the level, the clock and the
   * number of open orders straight from the fiber and the `Ref`.
   */
  const place = (
    op: string,
    rules: MarketRules,
    request: OrderRequest,
    referencePrice: D.Decimal | undefined
  ): Effect.Effect<OrderRecord, ValidationError | VenueFailure> =>
    Effect.withFiber((fiber): Effect.Effect<OrderRecord, ValidationError | VenueFailure> => {
      const openOrders = Ref.getUnsafe(active.ref).size
      const valid = validateOrder(rules, request, { operation: op, symbol, referencePrice, openOrders })
      if (Result.isFailure(valid)) return Effect.fail(valid.failure)
      const level = fiber.getRef(References.MinimumLogLevel)
      const now = fiber.getRef(Clock.Clock).currentTimeMillisUnsafe()
      const clientOrderId = newClientOrderId(now)
      const order: SubmitOrder = { clientOrderId, symbol, ...valid.success }
      // A defect in the first send is a bug met before the request left (the venues turn
      // everything after it into failures): the order was never sent, so it is failed.
      const send = Effect.tapDefect(venue.submit(op, order), (defect) =>
        journal.markFailed(clientOrderId, `not sent: a defect before the request left: ${String(defect)}`, now))
      const sent = Effect.catch(
        passes(level, "Debug") ? Effect.annotateLogs(send, about({ clientOrderId })) : send,
        (e) => submitFailed(op, order, e).pipe(Effect.annotateLogs(about({ clientOrderId })))
      )
      const tracked = Effect.flatMap(sent, (record) => Effect.as(active.track(record), record))
      return Effect.andThen(
        journal.recordIntent({ ...order, venue: venue.id, createdAt: now }),
        passes(level, "Info")
          ? Effect.tap(tracked, (record) =>
            Effect.log(
              `Created ${order.type} ${order.side} order: ${symbol} ` +
                `${record.type === "limit" ? `at ${record.price} ` : ""}for ${record.quantity}`
            ).pipe(Effect.annotateLogs(about({ clientOrderId, orderId: record.id }))))
          : tracked
      )
    })

  const placeOrderAs = (op: string) => (request: OrderRequest) =>
    reportFailure(
      op,
      Effect.flatMap(venue.market(op, symbol), (rules) =>
        request.type === "market"
          ? Effect.flatMap(read(venue.referencePrice(op, symbol)), (p) => place(op, rules, request, Option.getOrUndefined(p)))
          : place(op, rules, request, undefined))
    )

  const placeOrder = placeOrderAs("placeOrder")
  const createLimitBuy = placeOrderAs("createLimitBuy")
  const createLimitSell = placeOrderAs("createLimitSell")
  const createMarketSell = placeOrderAs("createMarketSell")

  // ---- cancel ---------------------------------------------------------------

  /**
   * Binance answers "unknown order" both for ids it never had and for orders no
   * longer open. Looks the order up to say which; the look-up only explains, so if
   * it fails the original error stands.
   */
  const explainRefusedCancel = (op: string, orderId: string, e: ExchangeError) =>
    Effect.gen(function*() {
      const found = yield* Effect.result(read(venue.fetchOrder(op, symbol, orderId)))
      if (Result.isFailure(found) || found.success.status === "open") return yield* Effect.fail(e)
      const record = found.success
      yield* active.observe(record)
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
      const found = yield* Effect.result(read(venue.fetchOrder(op, symbol, orderId)))
      if (Result.isSuccess(found) && found.success.status === "canceled") return found.success
      return yield* Effect.fail(e)
    })

  /** What follows a first cancel that failed with `first`: the order's state after a lost answer, retries, explanation. */
  const cancelFailed = (op: string, orderId: string, first: VenueFailure) =>
    resumeAfter(first, venue.cancel(op, symbol, orderId), (e) => checkCanceled(op, orderId, e)).pipe(
      Effect.catchIf(
        (e): e is ExchangeError => e._tag === "ExchangeError" && e.reason === "OrderNotFound",
        (e) => explainRefusedCancel(op, orderId, e)
      ),
      Effect.annotateLogs(about({ orderId }))
    )

  /** Cancels one order and applies its final record to the `Ref`; the first send is one step after the level check. */
  const cancelRecord = (op: string, orderId: string): Effect.Effect<OrderRecord, VenueFailure> =>
    Effect.withFiber((fiber): Effect.Effect<OrderRecord, VenueFailure> => {
      const level = fiber.getRef(References.MinimumLogLevel)
      const send = venue.cancel(op, symbol, orderId)
      const canceled = Effect.flatMap(
        Effect.catch(
          passes(level, "Debug") ? Effect.annotateLogs(send, about({ orderId })) : send,
          (e) => cancelFailed(op, orderId, e)
        ),
        (record) => Effect.as(active.observe(record), record)
      )
      return passes(level, "Info")
        ? Effect.tap(canceled, (record) =>
          Effect.log(`Canceled ${record.type} ${record.side} order: ${symbol} ${orderId}`).pipe(
            Effect.annotateLogs(about({ orderId, clientOrderId: record.clientOrderId }))
          ))
        : canceled
    })

  const cancelOrder = (orderId: string) => reportFailure("cancelOrder", Effect.asVoid(cancelRecord("cancelOrder", orderId)))

  const cancelAllOn = (side: OrderSide) => {
    const op = side === "buy" ? "cancelAllBuyOrders" : "cancelAllSellOrders"
    return reported(
      op,
      Effect.gen(function*() {
        const open = yield* read(venue.openOrders(op, symbol))
        const targets = open.filter((o) => o.side === side)
        if (targets.length === 0) return []
        if (Option.isSome(venue.cancelAll) && targets.length === open.length) {
          const cancelled = yield* withRetry(venue.cancelAll.value(op, symbol), policy)
          yield* observeAll(cancelled)
          yield* Effect.log(`Canceled all ${side} orders on ${symbol}: ${cancelled.length}`).pipe(Effect.annotateLogs(market))
          return cancelled.map((o) => o.id)
        }
        const results = yield* Effect.forEach(targets, (o) => Effect.result(cancelRecord(op, o.id)), { concurrency })
        const ids: Array<string> = []
        let failure: ExchangeFailure | undefined
        for (const r of results) {
          if (Result.isSuccess(r)) ids.push(r.success.id)
          // An order that filled or vanished meanwhile is not a failure of cancel-all.
          else if (!(r.failure._tag === "ExchangeError" && (r.failure.reason === "OrderNotOpen" || r.failure.reason === "OrderNotFound"))) {
            failure ??= r.failure
          }
        }
        if (failure !== undefined) return yield* Effect.fail(failure)
        return ids
      })
    )
  }

  // ---- reads ----------------------------------------------------------------

  const fetchOrder = (orderId: string) =>
    reported("fetchOrder", read(venue.fetchOrder("fetchOrder", symbol, orderId)).pipe(Effect.tap(active.observe)))

  const fetchAllOrders = (startTime?: number, endTime?: number) =>
    reported(
      "fetchAllOrders",
      Effect.gen(function*() {
        for (const [field, value] of [["startTime", startTime], ["endTime", endTime]] as const) {
          if (value !== undefined && (!Number.isFinite(value) || value < 0)) {
            return yield* Effect.fromResult(
              validateWindowError("fetchAllOrders", symbol, field, value)
            )
          }
        }
        const orders = yield* read(venue.orders("fetchAllOrders", symbol, startTime, endTime))
        yield* observeAll(orders)
        return orders
      })
    )

  /**
   * The exchange's open orders, applied to the `Ref`: each tracked order missing from
   * the list has left it (filled or cancelled on the exchange), so its final state is
   * looked up by id, journaled, and the order dropped.
   */
  const fetchOpenOrders = () =>
    reported(
      "fetchOpenOrders",
      Effect.gen(function*() {
        const tracked = yield* active.snapshot
        const open = yield* read(venue.openOrders("fetchOpenOrders", symbol))
        yield* observeAll(open)
        yield* settleMissing("fetchOpenOrders", tracked, open)
        return open
      })
    )

  const freeBalance = (op: string, asset: string) =>
    read(venue.balances(op)).pipe(
      Effect.map((balances) => D.toNumber(balances.get(asset)?.free ?? D.ZERO))
    )

  const getQuoteBalance = () => reported("getQuoteBalance", freeBalance("getQuoteBalance", initialRules.quote))
  const getBaseAssetBalance = (baseAsset?: string) =>
    reported("getBaseAssetBalance", freeBalance("getBaseAssetBalance", baseAsset ?? initialRules.base))

  const sellAllAssets = () =>
    reported(
      "sellAllAssets",
      Effect.gen(function*() {
        const op = "sellAllAssets"
        const rules = yield* venue.market(op, symbol)
        const balances = yield* read(venue.balances(op))
        const free = balances.get(rules.base)?.free ?? D.ZERO
        const price = Option.getOrUndefined(yield* read(venue.referencePrice(op, symbol)))
        const quantity = sellableQuantity(rules, free, price)
        if (Option.isNone(quantity)) {
          yield* Effect.logInfo(`Nothing to sell: ${D.format(free)} ${rules.base} is dust on ${symbol}`).pipe(
            Effect.annotateLogs(market)
          )
          return Option.none<string>()
        }
        const record = yield* placeOrderAs(op)({ side: "sell", type: "market", quantity: D.toNumber(quantity.value) })
        return Option.some(record.id)
      })
    )

  // ---- reconciliation -------------------------------------------------------

  /** Applies the exchange's open orders to the `Ref`: final states applied, own unknown open orders adopted. */
  const reconcile = (op: string, open: ReadonlyArray<OrderRecord>) =>
    Effect.gen(function*() {
      const tracked = yield* active.snapshot
      yield* observeAll(open)
      for (const o of open) {
        if (!tracked.has(o.id) && isOwnClientOrderId(o.clientOrderId)) {
          yield* active.track(o)
          yield* Effect.logWarning(`Adopted open order ${o.id} (${o.clientOrderId}) found on the exchange`).pipe(
            Effect.annotateLogs(about({ orderId: o.id, clientOrderId: o.clientOrderId }))
          )
        }
      }
      yield* settleMissing(op, tracked, open)
      return yield* active.snapshot
    })

  const sync = reported("sync", Effect.flatMap(read(venue.openOrders("sync", symbol)), (open) => reconcile("sync", open)))

  /** The exchange's view of a journal entry: among the open orders, else by client order id, else by exchange id. */
  const settle = (op: string, entry: JournalEntry, openByClientId: ReadonlyMap<string, OrderRecord>) =>
    Effect.gen(function*() {
      const open = openByClientId.get(entry.clientOrderId)
      if (open !== undefined) return Option.some(open)
      const byClientId = yield* read(venue.lookup(op, symbol, entry.clientOrderId))
      // An entry with no venue recorded may hold another venue's exchange id: only its client order id is safe to ask for.
      if (Option.isSome(byClientId) || entry.orderId === null || entry.venue === UNATTRIBUTED_VENUE) return byClientId
      return yield* read(venue.fetchOrder(op, symbol, entry.orderId)).pipe(
        Effect.map(Option.some),
        Effect.catchIf((e) => e._tag === "ExchangeError" && e.reason === "OrderNotFound", () => Effect.succeed(Option.none()))
      )
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
    const open = yield* read(venue.openOrders(op, symbol))
    const openByClientId = new Map(open.map((o) => [o.clientOrderId, o]))
    for (const entry of unsettled) {
      const found = yield* settle(op, entry, openByClientId)
      if (Option.isSome(found)) {
        yield* active.track(found.value)
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
    }
    yield* reconcile(op, open)
  }).pipe(Effect.annotateLogs(market))

  if (options.recover !== false) yield* recover

  return {
    symbol,
    venue: venue.id,
    createLimitBuy: (price, quantity) =>
      Effect.map(createLimitBuy({ side: "buy", type: "limit", price, quantity }), (o) => o.id),
    createLimitSell: (price, quantity) =>
      Effect.map(createLimitSell({ side: "sell", type: "limit", price, quantity }), (o) => o.id),
    createMarketSell: (quantity) => Effect.map(createMarketSell({ side: "sell", type: "market", quantity }), (o) => o.id),
    placeOrder,
    cancelOrder,
    cancelAllBuyOrders: () => cancelAllOn("buy"),
    cancelAllSellOrders: () => cancelAllOn("sell"),
    fetchOrder,
    fetchAllOrders,
    fetchOpenOrders,
    getUsdtBalance: getQuoteBalance,
    getQuoteBalance,
    getBaseAssetBalance,
    sellAllAssets,
    activeOrders: active.snapshot,
    sync,
    marketRules: reported("marketRules", venue.market("marketRules", symbol))
  } satisfies ExchangeService
})


const validateWindowError = (operation: string, symbol: string, field: string, value: number) =>
  Result.fail(new ValidationError({ operation, symbol, rule: "InvalidArgument", field, value: String(value) }))
