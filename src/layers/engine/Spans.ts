/**
 * Every `Exchange` operation is a span named `Exchange.<operation>`, so that a bot's
 * traces show each order call with its market, its order ids and how it ended. The
 * engine wraps its service once (`traceExchange`), so the dry run and the live layer
 * trace alike. The attributes are the market (`orderops.symbol`, `orderops.venue`),
 * the order's ids when there is one (from the inputs, the result, or the failure's
 * context), and the outcome: `ok`, or the failure's tag with its reason. Nothing
 * else of an input, a result or an error goes on a span, so no secret can.
 *
 * Without a tracer of the program's own, Effect's native tracer would make span
 * objects that no one exports, at about 2-4 µs an operation (two for a create and
 * its cancel): the operations skip their span then (`traced`). No stack trace is
 * captured for these spans (`captureStackTrace`).
 */
import { Cause, Effect, Exit, Option, Stream, Tracer } from "effect"
import type { ExchangeService, OcoOrders } from "../../services/Exchange.ts"
import type { OrderRecord } from "../../services/OrderRecord.ts"
import type { EngineCore } from "./Engine.ts"

type Attributes = Record<string, unknown>

/** The span name of the `Exchange` operation `op`. */
export const spanName = (op: string) => `Exchange.${op}`

const marketAttributes = (engine: Pick<EngineCore, "symbol" | "venue">): Attributes => ({
  "orderops.symbol": engine.symbol,
  "orderops.venue": engine.venue.id
})

const orderAttributes = (o: OrderRecord): Attributes => ({
  "orderops.order_id": o.id,
  "orderops.client_order_id": o.clientOrderId,
  "orderops.order_status": o.status
})

const ocoAttributes = (o: OcoOrders): Attributes => ({
  "orderops.list_id": o.listId,
  "orderops.order_ids": [o.limit.id, o.stop.id],
  "orderops.client_order_ids": [o.limit.clientOrderId, o.stop.clientOrderId]
})

/** An id the caller gave, when it is one (a refused input is described by the failure instead). */
const givenId = (key: string, id: unknown): Attributes => (typeof id === "string" ? { [key]: id } : {})

/** A failure's fields that may go on a span: its tag, reason or rule, and the order ids of its context. */
const failureAttributes = (error: unknown): Attributes => {
  if (typeof error !== "object" || error === null || !("_tag" in error)) return { "orderops.outcome": "failure" }
  const e = error as { readonly _tag: unknown; readonly reason?: unknown; readonly rule?: unknown; readonly orderId?: unknown; readonly clientOrderId?: unknown }
  const reason = e.reason ?? e.rule
  return {
    "orderops.outcome": String(e._tag),
    ...(typeof reason === "string" ? { "orderops.error_reason": reason } : {}),
    ...givenId("orderops.order_id", e.orderId),
    ...givenId("orderops.client_order_id", e.clientOrderId)
  }
}

const exitAttributes = <A, E>(exit: Exit.Exit<A, E>, describe: ((a: A) => Attributes) | undefined): Attributes => {
  if (Exit.isSuccess(exit)) return { "orderops.outcome": "ok", ...describe?.(exit.value) }
  const error = Cause.findErrorOption(exit.cause)
  if (Option.isSome(error)) return failureAttributes(error.value)
  return { "orderops.outcome": Cause.hasInterruptsOnly(exit.cause) ? "interrupted" : "defect" }
}

/**
 * `effect` as the span of operation `op`: the market's attributes and `given` ones at
 * the start, and at the end the outcome with what `describe` reads off the result.
 * Under Effect's native tracer, which exports nothing, `effect` as it is.
 */
export const traced = <A, E, R>(
  engine: Pick<EngineCore, "symbol" | "venue">,
  op: string,
  effect: Effect.Effect<A, E, R>,
  given: Attributes = {},
  describe?: (a: A) => Attributes
): Effect.Effect<A, E, R> =>
  Effect.withFiber((fiber) =>
    fiber.getRef(Tracer.Tracer) === Tracer.nativeTracer
      ? effect
      : Effect.withSpan(
        Effect.onExit(effect, (exit) => Effect.annotateCurrentSpan(exitAttributes(exit, describe))),
        spanName(op),
        { attributes: { ...marketAttributes(engine), ...given }, captureStackTrace: false }
      ))

/** An operation placing one order, traced with the order's ids and status (for the shorthands that give only its id). */
export const tracedPlacement = <I, E, R>(engine: Pick<EngineCore, "symbol" | "venue">, op: string, place: (input: I) => Effect.Effect<OrderRecord, E, R>) =>
(input: I) => traced(engine, op, place(input), {}, orderAttributes)

/**
 * `ex` with every operation a span. `createLimitBuy`, `createLimitSell` and
 * `createMarketSell` come traced already (`tracedPlacement`): they give only the
 * order id, and their span carries the client order id as well.
 */
export const traceExchange = (engine: Pick<EngineCore, "symbol" | "venue">, ex: ExchangeService): ExchangeService => {
  const span = <A, E, R>(op: string, effect: Effect.Effect<A, E, R>, given?: Attributes, describe?: (a: A) => Attributes) =>
    traced(engine, op, effect, given, describe)
  const count = (ids: ReadonlyArray<unknown>): Attributes => ({ "orderops.count": ids.length })
  const countMap = (m: ReadonlyMap<string, unknown>): Attributes => ({ "orderops.count": m.size })
  return {
    ...ex,
    placeOrder: (request) => span("placeOrder", ex.placeOrder(request), {}, orderAttributes),
    createStopLoss: (...args) => span("createStopLoss", ex.createStopLoss(...args), {}, orderAttributes),
    createStopLossLimit: (...args) => span("createStopLossLimit", ex.createStopLossLimit(...args), {}, orderAttributes),
    createTakeProfit: (...args) => span("createTakeProfit", ex.createTakeProfit(...args), {}, orderAttributes),
    createTakeProfitLimit: (...args) => span("createTakeProfitLimit", ex.createTakeProfitLimit(...args), {}, orderAttributes),
    createOco: (request) => span("createOco", ex.createOco(request), {}, ocoAttributes),
    cancelOco: (listId) => span("cancelOco", ex.cancelOco(listId), givenId("orderops.list_id", listId)),
    cancelOrder: (orderId) => span("cancelOrder", ex.cancelOrder(orderId), givenId("orderops.order_id", orderId)),
    cancelAllBuyOrders: () => span("cancelAllBuyOrders", ex.cancelAllBuyOrders(), {}, count),
    cancelAllSellOrders: () => span("cancelAllSellOrders", ex.cancelAllSellOrders(), {}, count),
    fetchOrder: (orderId) => span("fetchOrder", ex.fetchOrder(orderId), givenId("orderops.order_id", orderId), orderAttributes),
    fetchAllOrders: (startTime, endTime) => span("fetchAllOrders", ex.fetchAllOrders(startTime, endTime), {}, count),
    fetchOpenOrders: () => span("fetchOpenOrders", ex.fetchOpenOrders(), {}, count),
    fetchTrades: (startTime, endTime) => span("fetchTrades", ex.fetchTrades(startTime, endTime), {}, count),
    getUsdtBalance: () => span("getUsdtBalance", ex.getUsdtBalance()),
    getQuoteBalance: () => span("getQuoteBalance", ex.getQuoteBalance()),
    getBaseAssetBalance: (baseAsset) => span("getBaseAssetBalance", ex.getBaseAssetBalance(baseAsset)),
    sellAllAssets: () =>
      span("sellAllAssets", ex.sellAllAssets(), {}, (id) => (Option.isSome(id) ? { "orderops.order_id": id.value } : {})),
    activeOrders: span("activeOrders", ex.activeOrders, {}, countMap),
    sync: span("sync", ex.sync, {}, countMap),
    marketRules: span("marketRules", ex.marketRules),
    orderEvents: Stream.withSpan(ex.orderEvents, spanName("orderEvents"), { attributes: marketAttributes(engine), captureStackTrace: false }),
    subscribeOrderEvents: span("subscribeOrderEvents", ex.subscribeOrderEvents),
    eventSource: span("eventSource", ex.eventSource, {}, (state) => ({ "orderops.event_source": state }))
  }
}
