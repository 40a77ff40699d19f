/**
 * The live `Venue`: one ccxt exchange instance behind the port the order engine
 * drives, assembled from
 * - the client (`Client.ts`), the one bridge every ccxt call goes through
 *   (budget, headers, classification, aborts);
 * - the market cache (`Markets.ts`);
 * - one wire adapter, chosen here once: `BinanceSpot` on Binance and Binance.US spot
 *   (unless `useUnifiedApi`), `CcxtUnified` everywhere else.
 *
 * What this module adds is the same whichever adapter speaks: tickers, a duplicate
 * client order id resolved to the order that has it, reads that end now when no
 * end is given, and a warning for each listed order orderops cannot represent.
 *
 * No policy lives here: retries, look-ups after ambiguous failures and the journal
 * are the engine's (`engine/OrderEngine.ts`), the same for the dry run and live.
 */
import { Clock, Effect, Option, Redacted } from "effect"
import { hasListenKeyEndpoints, makeListenKeys } from "./exchanges/binance/ListenKeys.ts"
import { makeUserStreamSource, type UserStreamSourceOptions } from "./exchanges/binance/StreamSource.ts"
import type { ExchangeError } from "../../errors/ExchangeError.ts"
import type { VenueError } from "../../errors/index.ts"
import { type IdForms, NumericId, TextId } from "../../services/Inputs.ts"
import type { OrderRecord } from "../../services/OrderRecord.ts"
import type { OcoRecord, OcoVenue, SubmitOrder, VenueService } from "../../services/Venue.ts"
import { binanceOwnClientOrderId, binanceSpotRest } from "./exchanges/binance/Rest.ts"
import * as BinanceSpot from "./exchanges/binance/BinanceSpot.ts"
import type { BudgetLimits } from "./budget.ts"
import type { CcxtVenueOptions } from "./CcxtVenueOptions.ts"
import { binanceOrderReports } from "./exchanges/binance/WatchReport.ts"
import * as CcxtUnified from "./CcxtUnified.ts"
import type { CcxtErrors } from "./classify.ts"
import { annotationsOf, type CcxtClientService, makeCcxtClient } from "./Client.ts"
import { decodeLastPrice } from "./decode.ts"
import { type CcxtExchange, type CcxtModule, loadCcxt, makeInstance } from "./instance.ts"
import { makeMarketCache } from "./Markets.ts"
import { decodeContext, type DecodedOrders } from "./RawOrder.ts"
import { isOrderNotFound, type WireAdapter } from "./WireAdapter.ts"
import { makeWatchOrders, type WatchOrdersOptions } from "./WatchOrders.ts"

const redacted = (s: string | Redacted.Redacted<string>) => (Redacted.isRedacted(s) ? s : Redacted.make(s))

/** Options of the user data stream on Binance and Binance.US spot; `false`: none (the engine polls). */
export type UserStreamSetting = false | Pick<UserStreamSourceOptions, "streamBase">

/**
 * The listenKey user data stream, on Binance.US (the one user stream it has). Not on
 * binance.com, whose spot listenKey endpoints were retired in 2026: there ccxt's
 * `watchOrders` (its WebSocket API subscription) is the source (`watchOrdersOf`).
 */
const userStreamOf = (
  exchange: CcxtExchange,
  client: CcxtClientService,
  markets: Parameters<typeof BinanceSpot.make>[1],
  adapter: WireAdapter,
  setting: UserStreamSetting
) => {
  const id = exchange.id
  if (setting === false || id !== "binanceus") return undefined
  if (!hasListenKeyEndpoints(exchange)) return undefined
  return makeUserStreamSource({
    exchange: id,
    ...setting,
    listenKeys: makeListenKeys(client),
    market: (symbol) =>
      Effect.map(markets.market("orderEvents", symbol), ({ rules, wireId }) => ({
        symbol,
        wireId: wireId ?? symbol.replace("/", ""),
        base: rules.base,
        quote: rules.quote
      })),
    restBalances: adapter.balances("userStream")
  })
}

/**
 * The order updates of ccxt's `watchOrders` for an adapter that has none of its own:
 * binance.com spot through its REST endpoints (`BinanceSpot`), whose user stream is
 * the WebSocket API subscription `watchOrders` makes.
 */
const watchOrdersOf = (
  exchange: CcxtExchange,
  markets: Parameters<typeof BinanceSpot.make>[1],
  watch: Pick<WatchOrdersOptions, "ccxt" | "secrets" | "reports">
) =>
  makeWatchOrders(exchange, {
    ...watch,
    // The engine checked its market at start-up: an unknown one here is a bug.
    rules: (symbol) =>
      markets.market("watchOrders", symbol).pipe(Effect.map((m) => m.rules), Effect.catchTag("ValidationError", (e) => Effect.die(e))),
    orderOptions: { ownClientOrderId: binanceOwnClientOrderId }
  })

/** The wire adapter for `exchange`: Binance spot's REST endpoints where orderops speaks them, else ccxt's unified methods. */
const chooseAdapter = (
  exchange: CcxtExchange,
  client: CcxtClientService,
  markets: Parameters<typeof BinanceSpot.make>[1],
  useUnifiedApi: boolean,
  watch: Pick<CcxtUnified.CcxtUnifiedOptions, "watch">
): WireAdapter => {
  if (!useUnifiedApi && binanceSpotRest(exchange) !== undefined) return BinanceSpot.make(client, markets)
  const binance = exchange.id.startsWith("binance")
  return CcxtUnified.make(client, markets, {
    // ccxt's Binance `fetchOrder` takes a client order id, though its `has` does not say so.
    lookupByClientOrderId: binance || client.has("fetchOrderWithClientOrderId"),
    binancePaging: binanceSpotRest(exchange) !== undefined,
    ...(binance ? { ownClientOrderId: binanceOwnClientOrderId } : {}),
    ...watch
  })
}

/**
 * The venue over a ready ccxt instance (as `PgClient.fromPool`): tests inject a
 * scripted or failing instance this way. `ccxt` is the module the instance comes
 * from (its error classes classify failures); `secrets` are scrubbed from messages.
 */
export const fromExchange = Effect.fnUntraced(function*(
  ccxt: CcxtErrors,
  exchange: CcxtExchange,
  options: {
    readonly rateLimit?: BudgetLimits | false | undefined
    readonly secrets?: ReadonlyArray<string>
    readonly useUnifiedApi?: boolean | undefined
    /** The user data stream where the exchange has one; default on, at the exchange's stream host. */
    readonly userStream?: UserStreamSetting | undefined
  } = {}
) {
  const client = yield* makeCcxtClient(ccxt, exchange, { rateLimit: options.rateLimit, secrets: options.secrets })
  const markets = yield* makeMarketCache(client, exchange.precisionMode)
  const adapter = chooseAdapter(exchange, client, markets, options.useUnifiedApi === true, {
    watch: { exchange, ccxt, secrets: options.secrets, reports: binanceOrderReports }
  })
  const stream = userStreamOf(exchange, client, markets, adapter, options.userStream ?? {})
  /**
   * A request that may move balances, and its answer's orders as it left them: the stream's
   * balances wait for its news (see StreamSource.ts).
   */
  const moving = <A, E, R>(self: Effect.Effect<A, E, R>, ordersOf: (answer: A) => ReadonlyArray<OrderRecord> | undefined) =>
    stream === undefined ? self : stream.ownChange(self, ordersOf)
  const one = (order: OrderRecord) => [order]
  const legs = (list: OcoRecord) => [list.limit, list.stop]
  const id = client.id

  /** Warns about each order a list held that orderops cannot represent, and gives the rest. */
  const reported = (op: string, symbol: string) => ({ orders, skipped }: DecodedOrders) =>
    skipped.length === 0 ? Effect.succeed(orders) : Effect.as(
      Effect.forEach(
        skipped,
        (e) =>
          Effect.logWarning(`${id}: ignoring an order orderops cannot represent: ${e.detail}`).pipe(
            Effect.annotateLogs(annotationsOf(id, { operation: op, symbol, orderId: e.orderId }))
          ),
        { discard: true }
      ),
      orders
    )

  /** Some exchanges leave an order's client order id out of their answers: it is the one sent. */
  const withClientId = (order: SubmitOrder) => (record: OrderRecord): OrderRecord =>
    record.clientOrderId === "" ? { ...record, clientOrderId: order.clientOrderId } : record

  const submit = (op: string, order: SubmitOrder): Effect.Effect<OrderRecord, VenueError> => {
    // The engine validated the order against these very rules: a failure here is a bug.
    const market = Effect.catchTag(markets.market(op, order.symbol), "ValidationError", (e) => Effect.die(e))
    const sent = Effect.flatMap(market, (m) => moving(adapter.submit(op, order, m), one))
    // A client order id that is still open: an earlier attempt got through, so that order is the answer.
    const placed = Effect.catchIf(
      sent,
      (e): e is ExchangeError => e._tag === "ExchangeError" && e.reason === "DuplicateClientOrderId",
      (e) =>
        Effect.flatMap(adapter.lookup(op, order.symbol, order.clientOrderId), (found) =>
          Option.match(found, { onNone: () => Effect.fail(e), onSome: Effect.succeed }))
    )
    return Effect.map(placed, withClientId(order))
  }

  /** OCO lists, where the adapter has them; a list client id already taken is the earlier attempt's list, as for an order. */
  const oco = Option.map(adapter.oco, (lists): OcoVenue => ({
    submit: (op, list) =>
      markets.market(op, list.symbol).pipe(
        Effect.catchTag("ValidationError", (e) => Effect.die(e)),
        Effect.flatMap((market) => moving(lists.submit(op, list, market), legs)),
        Effect.catchIf(
          (e): e is ExchangeError => e._tag === "ExchangeError" && e.reason === "DuplicateClientOrderId",
          (e) =>
            Effect.flatMap(lists.lookup(op, list.symbol, list.listClientOrderId), (found) =>
              Option.match(found, { onNone: () => Effect.fail(e), onSome: Effect.succeed }))
        )
      ),
    lookup: lists.lookup,
    cancel: (op, symbol, listId) => moving(lists.cancel(op, symbol, listId), legs)
  }))

  /** `until`, or now: a read without an end reads up to the moment it is made. */
  const endOf = (until: number | undefined) => (until === undefined ? Clock.currentTimeMillis : Effect.succeed(until))

  const orders = (op: string, symbol: string, since?: number, until?: number) =>
    Effect.flatMap(endOf(until), (end) => Effect.flatMap(adapter.orders(op, symbol, since, end), reported(op, symbol)))

  const service: VenueService = {
    id,
    ids: idFormsOf(id),
    market: (op, symbol) => Effect.map(markets.market(op, symbol), (m) => m.rules),
    refreshMarkets: markets.refresh,
    referencePrice: (op, symbol) =>
      // The market's tick only snaps the price: for a symbol it cannot give, the ticker request says what is wrong.
      Effect.flatMap(Effect.option(markets.market(op, symbol)), (market) =>
        client.use(
          { operation: op, symbol, kind: "ticker", describe: () => `GET ticker of ${symbol} (reference price)` },
          (ex) => ex.fetchTicker(symbol),
          (raw) => decodeLastPrice(raw, Option.getOrUndefined(market)?.rules.tickSize, decodeContext(id, op, symbol))
        )),
    submit,
    lookup: adapter.lookup,
    fetchOrder: adapter.fetchOrder,
    cancel: (op, symbol, orderId) => moving(adapter.cancel(op, symbol, orderId), one),
    cancelAll: Option.map(adapter.cancelAll, (cancelAll) => (op: string, symbol: string) =>
      moving(cancelAll(op, symbol), (d) => (d.skipped.length === 0 ? d.orders : undefined)).pipe(
        Effect.flatMap(reported(op, symbol)),
        // Binance answers -2011 "Unknown order sent." when nothing is open.
        Effect.catchIf(isOrderNotFound, () => Effect.succeed<ReadonlyArray<OrderRecord>>([]))
      )),
    openOrders: (op, symbol) => Effect.flatMap(adapter.openOrders(op, symbol), reported(op, symbol)),
    orders,
    // While the stream is up and seeded, its balances answer without a request.
    balances: stream === undefined ? adapter.balances : (op) =>
      Effect.flatMap(stream.awaitBalances, (known) => Option.match(known, { onNone: () => adapter.balances(op), onSome: Effect.succeed })),
    trades: (op, symbol, since, until) => Effect.flatMap(endOf(until), (end) => adapter.trades(op, symbol, since, end)),
    oco,
    // Binance's user data stream where it serves (Binance.US; binance.com through its REST adapter), else ccxt's watchOrders.
    updates: stream !== undefined
      ? Option.some(stream.updates)
      : adapter.updates ?? watchOrdersOf(exchange, markets, { ccxt, secrets: options.secrets, reports: binanceOrderReports }),
    knownBalances: stream?.knownBalances ?? Effect.succeed(Option.none())
  }
  return service
})

/** Binance issues order and list ids as 64-bit numbers; other exchanges' ids are taken as text of a bounded form. */
const idFormsOf = (exchangeId: string): IdForms =>
  exchangeId.startsWith("binance") ? { order: NumericId, list: NumericId } : { order: TextId, list: TextId }

/** The stream host on the same origin as a `baseUrl` (a test server, a testnet): `http` → `ws`, `https` → `wss`. */
const streamBaseOf = (baseUrl: string): string => baseUrl.replace(/^http(s?):\/\//i, "ws$1://")

/**
 * Loads ccxt (lazily: this is the only `import("ccxt")`), builds the instance and
 * the venue over it. Nothing is requested until the first operation.
 */
export const makeCcxtVenue = (options: CcxtVenueOptions) =>
  Effect.gen(function*() {
    const ccxt: CcxtModule = yield* loadCcxt
    const apiKey = redacted(options.apiKey)
    const secret = redacted(options.secret)
    const exchange = yield* makeInstance(ccxt, {
      exchange: options.exchange ?? "binanceus",
      apiKey,
      secret,
      baseUrl: options.baseUrl,
      timeoutMs: options.timeoutMs
    })
    const streamBase = options.streamUrl ?? (options.baseUrl === undefined ? undefined : streamBaseOf(options.baseUrl))
    return yield* fromExchange(ccxt, exchange, {
      rateLimit: options.rateLimit,
      useUnifiedApi: options.useUnifiedApi,
      secrets: [Redacted.value(apiKey), Redacted.value(secret)],
      userStream: options.userStream === false ? false : streamBase === undefined ? {} : { streamBase }
    })
  })
