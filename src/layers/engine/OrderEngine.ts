/**
 * The order engine: the one implementation of the `Exchange` service, over any
 * `Venue`. The dry-run and live layers differ only in the venue they plug in, so
 * validation, client order ids, write-ahead journaling, the active-orders `Ref`,
 * retries, recovery and logging are the same code for both.
 *
 * `makeExchange` assembles the engine's parts, one module per concern under
 * `engine/`: placement (with its look-up after a lost answer), cancellation,
 * reads, reconciliation (settling, `sync`, start-up recovery), the feed (every view
 * of an order journaled, applied to the `Ref`, and published as order events) and
 * the watcher (the venue's event source and the REST polls, for the layer's life).
 * Every operation of the service is a span (`Spans.ts`).
 */
import { Effect, Layer, References } from "effect"
import { ActiveOrders } from "../../services/ActiveOrders.ts"
import * as D from "../../services/Decimal.ts"
import { decodeAsset, decodeCount, decodeInput, decodeMarketSymbol, decodeOcoRequest, decodeWindow } from "../../services/Inputs.ts"
import { OrderJournal, UNATTRIBUTED_VENUE } from "../../services/OrderJournal.ts"
import { defaultRetryPolicy, makeRetryPolicy, type RetryOptions, type RetryPolicy, withRetry } from "../../services/Retry.ts"
import { Venue } from "../../services/Venue.ts"
import { makeCancellation } from "./Cancellation.ts"
import { makeOco } from "./Oco.ts"
import { type Engine, type EngineCore, marketAnnotations, withInputs } from "./Engine.ts"
import { makeFeed, makePassthroughFeed } from "./Feed.ts"
import { startWatcher, type WatchOptions } from "./Watcher.ts"
import { makeEventHub } from "./EventHub.ts"
import { makePlacement } from "./Placement.ts"
import { makeReads } from "./Reads.ts"
import { makeReconciliation } from "./Reconciliation.ts"
import { traceExchange, tracedPlacement } from "./Spans.ts"
import { makeTrades } from "./Trades.ts"

export interface EngineOptions {
  /** The market to trade. Default `HBAR/USDT`. */
  readonly symbol?: string
  /** Retry schedule for reads, cancels and create re-sends. */
  readonly retry?: RetryOptions | RetryPolicy
  /** How many cancels `cancelAll*` runs at once. Default 10. */
  readonly cancelConcurrency?: number
  /** Reconcile the journal's unsettled orders with the exchange at start-up. Default true. */
  readonly recover?: boolean
  /**
   * Order events (`Exchange.orderEvents`) and the watcher that keeps the active orders
   * following the exchange between calls: from the venue's stream where it has one, with
   * REST polls. `false` turns both off: orders change only on the bot's own calls.
   */
  readonly events?: EventOptions | false | undefined
}

export interface EventOptions extends WatchOptions {
  /** How many events a subscriber may fall behind before its stream ends with `OrderEventsOverflow`. Default 10,000. */
  readonly subscriberBuffer?: number | undefined
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

/** Builds the `Exchange` service over the `Venue`, `OrderJournal` and `ActiveOrders` in context. */
export const makeExchange = Effect.fnUntraced(function*(options: EngineOptions = {}) {
  const venue = yield* Venue
  const symbol = yield* Effect.fromResult(decodeMarketSymbol("start", options.symbol))
  const core: EngineCore = {
    venue,
    journal: yield* OrderJournal,
    active: yield* ActiveOrders,
    policy: options.retry === undefined ? defaultRetryPolicy : isPolicy(options.retry) ? options.retry : makeRetryPolicy(options.retry),
    symbol,
    concurrency: yield* Effect.fromResult(decodeCount({ operation: "start", symbol }, "cancelConcurrency", options.cancelConcurrency, 10)),
    annotations: marketAnnotations({ symbol, venue }),
    sending: new Set()
  }
  const { active } = core
  const events = options.events === false ? undefined : options.events ?? {}
  const buffer = yield* Effect.fromResult(decodeCount({ operation: "start", symbol }, "events.subscriberBuffer", events?.subscriberBuffer, 10_000))
  const hub = yield* makeEventHub(symbol, buffer)
  const engine: Engine = { ...core, feed: yield* (events === undefined ? makePassthroughFeed(core) : makeFeed(core, hub, events.tradeWait)) }
  // Journal entries are scoped by venue id: a mismatch here is a wiring bug.
  if (venue.id === UNATTRIBUTED_VENUE) return yield* Effect.die(new Error(`a Venue's id must not be empty`))
  if (active.venue !== venue.id) {
    return yield* Effect.die(
      new Error(`ActiveOrders serves venue "${active.venue}" but the Venue is "${venue.id}": use ActiveOrders.layerFor(venue.id)`)
    )
  }

  // Fail fast on a market the venue does not list; a network blip while loading the markets is
  // retried under the policy, like any read, so a bot starting during one does not die of it.
  const rules = yield* withRetry(venue.market("start", symbol), engine.policy).pipe(Effect.annotateLogs(marketAnnotations(engine)))
  yield* Effect.logDebug(
    `Market ${symbol}: tick ${D.format(rules.tickSize)}, step ${D.format(rules.stepSize)}, ` +
      `min quantity ${D.format(rules.minQuantity)}, min notional ${D.format(rules.minNotional)}`
  ).pipe(Effect.annotateLogs(marketAnnotations(engine)))

  const placement = makePlacement(engine)
  const oco = makeOco(engine)
  const cancellation = makeCancellation(engine, oco.cancelList)
  const reconciliation = makeReconciliation(engine)
  const reads = makeReads(engine, { settleMissing: reconciliation.settleMissing, base: rules.base, quote: rules.quote })
  const trades = makeTrades(engine)

  if (options.recover !== false) yield* reconciliation.recover
  const eventSource = events === undefined
    ? Effect.succeed("off" as const)
    : yield* startWatcher(engine, reconciliation.pass, events)

  const createLimitBuy = tracedPlacement(engine, "createLimitBuy", placement.placeOrderAs("createLimitBuy"))
  const createLimitSell = tracedPlacement(engine, "createLimitSell", placement.placeOrderAs("createLimitSell"))
  const createMarketSell = tracedPlacement(engine, "createMarketSell", placement.placeOrderAs("createMarketSell"))
  return traceExchange(engine, {
    symbol,
    venue: venue.id,
    createLimitBuy: (price, quantity) => Effect.map(createLimitBuy({ side: "buy", type: "limit", price, quantity }), (o) => o.id),
    createLimitSell: (price, quantity) => Effect.map(createLimitSell({ side: "sell", type: "limit", price, quantity }), (o) => o.id),
    createMarketSell: (quantity) => Effect.map(createMarketSell({ side: "sell", type: "market", quantity }), (o) => o.id),
    placeOrder: placement.placeOrderAs("placeOrder"),
    ...placement.triggerOrders,
    createOco: (request) => withInputs(engine, "createOco", (ctx) => decodeOcoRequest(ctx, request), oco.createOco),
    cancelOco: (listId) => withInputs(engine, "cancelOco", (ctx) => decodeInput(ctx, "listId", venue.ids.list, listId), oco.cancelOco),
    cancelOrder: (orderId) =>
      withInputs(engine, "cancelOrder", (ctx) => decodeInput(ctx, "orderId", venue.ids.order, orderId), cancellation.cancelOrder),
    cancelAllBuyOrders: () => cancellation.cancelAllOn("buy"),
    cancelAllSellOrders: () => cancellation.cancelAllOn("sell"),
    fetchOrder: (orderId) =>
      withInputs(engine, "fetchOrder", (ctx) => decodeInput(ctx, "orderId", venue.ids.order, orderId), (id) =>
        Effect.flatMap(reads.fetchOrder(id), (o) => Effect.map(trades.withJournaledTrades([o]), (list) => list[0] ?? o))),
    fetchAllOrders: (startTime, endTime) =>
      withInputs(engine, "fetchAllOrders", (ctx) => decodeWindow(ctx, startTime, endTime), ([start, end]) =>
        Effect.flatMap(reads.fetchAllOrders(start, end), trades.withJournaledTrades)),
    fetchTrades: (startTime, endTime) =>
      withInputs(engine, "fetchTrades", (ctx) => decodeWindow(ctx, startTime, endTime), ([start, end]) => trades.fetchTrades(start, end)),
    fetchOpenOrders: reads.fetchOpenOrders,
    getUsdtBalance: reads.getQuoteBalance,
    getQuoteBalance: reads.getQuoteBalance,
    getBaseAssetBalance: (baseAsset) =>
      withInputs(engine, "getBaseAssetBalance", (ctx) => decodeAsset(ctx, baseAsset), reads.getBaseAssetBalance),
    sellAllAssets: placement.sellAllAssets,
    activeOrders: active.snapshot,
    sync: reconciliation.sync,
    marketRules: reads.marketRules,
    orderEvents: hub.stream,
    subscribeOrderEvents: hub.subscribe,
    eventSource
  })
})
