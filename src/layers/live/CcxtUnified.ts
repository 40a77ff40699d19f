/**
 * The `CcxtUnified` adapter: orders and balances through ccxt's unified methods
 * (`createOrder`, `fetchOpenOrders`, `cancelOrder`, `fetchBalance`, ...), on any
 * exchange ccxt supports. ccxt parses the answers into its unified structures;
 * `decode.ts` reads them back into exact decimals, snapped to the market's grid.
 *
 * What differs between exchanges comes in as options, decided by the venue when it
 * chooses this adapter: whether an order can be fetched by client order id, and
 * where an answer keeps the order's own client order id, and the ccxt pro instance
 * to watch orders on (`WatchOrders.ts`), where the exchange has `watchOrders`.
 */
import { Effect, Option, Result } from "effect"
import { ExchangeError } from "../../errors/ExchangeError.ts"
import type { ErrorContextFields } from "../../errors/context.ts"
import type { VenueError } from "../../errors/index.ts"
import * as D from "../../services/Decimal.ts"
import type { MarketRules } from "../../services/MarketRules.ts"
import { hasLimitPrice, type OrderRecord } from "../../services/OrderRecord.ts"
import { describeOrder, type SubmitOrder } from "../../services/Venue.ts"
import type { CcxtClientService, Request } from "./Client.ts"
import { type CcxtOrderOptions, decodeBalances, decodeOrder, decodeOrders } from "./decode.ts"
import type { CcxtExchange } from "./instance.ts"
import type { MarketCacheService } from "./Markets.ts"
import { decodeContext, type DecodedOrders } from "./RawOrder.ts"
import { binanceRowsIn, describePage, PAGE, type Page, type Row, sinceRowsIn } from "./paging.ts"
import { decodeCcxtTrades } from "./trades.ts"
import { makeWatchOrders, type WatchOrdersOptions } from "./WatchOrders.ts"
import { isOrderNotFound, type WireAdapter } from "./WireAdapter.ts"

export interface CcxtUnifiedOptions extends CcxtOrderOptions {
  /**
   * Whether the exchange's `fetchOrder` finds an order by the `clientOrderId`
   * parameter (ccxt's `fetchOrderWithClientOrderId`). Otherwise a look-up by client
   * order id scans the open orders, then the recent ones.
   */
  readonly lookupByClientOrderId?: boolean | undefined
  /**
   * Whether orders and trades are read with Binance's paging (24-hour windows, then
   * by id; ccxt passes `orderId` / `fromId` through): Binance refuses longer windows,
   * and a `since` alone reads one day. Otherwise they page by `since`.
   */
  readonly binancePaging?: boolean | undefined
  /**
   * The instance whose `watchOrders` gives the venue's order updates (one shared with
   * the REST calls), with the ccxt module and the secrets to scrub; none: no updates.
   */
  readonly watch?: (Pick<WatchOrdersOptions, "ccxt" | "secrets" | "reports"> & { readonly exchange: CcxtExchange }) | undefined
}

/** ccxt's unified type of an order: a trigger or limit-maker order is a limit or market order with parameters. */
const unifiedType = (order: SubmitOrder): "limit" | "market" => (hasLimitPrice(order.type) ? "limit" : "market")

/**
 * ccxt's unified parameters for the order's kind: `stopLossPrice` or `takeProfitPrice`
 * (the trigger, as its decimal text) and `postOnly` for a limit-maker order. On
 * Binance, ccxt turns them into STOP_LOSS(_LIMIT), TAKE_PROFIT(_LIMIT) and LIMIT_MAKER.
 */
const unifiedParams = (order: SubmitOrder): Record<string, unknown> => {
  if (order.type === "limit-maker") return { postOnly: true }
  if (Option.isNone(order.triggerPrice)) return {}
  const trigger = D.format(order.triggerPrice.value)
  return order.type.startsWith("stop-loss") ? { stopLossPrice: trigger } : { takeProfitPrice: trigger }
}

export const make = (client: CcxtClientService, markets: MarketCacheService, options: CcxtUnifiedOptions = {}): WireAdapter => {
  const ctx = (operation: string, symbol: string, ids: Pick<ErrorContextFields, "orderId" | "clientOrderId"> = {}) =>
    decodeContext(client.id, operation, symbol, ids)

  /** The symbol's rules, for snapping amounts; a symbol the exchange does not list is `MarketClosed`, as ccxt says. */
  const rulesOf = (op: string, symbol: string): Effect.Effect<MarketRules, VenueError> =>
    markets.market(op, symbol).pipe(
      Effect.map((m) => m.rules),
      Effect.catchTag("ValidationError", () =>
        Effect.fail(new ExchangeError({ operation: op, symbol, reason: "MarketClosed", detail: `${symbol} is not listed on ${client.id}` })))
    )

  /** A request answered with one order. */
  const oneOrder = (req: Request, call: (ex: CcxtExchange) => Promise<unknown>): Effect.Effect<OrderRecord, VenueError> =>
    Effect.flatMap(rulesOf(req.operation, req.symbol), (rules) =>
      client.use(req, call, (raw) => decodeOrder(raw, rules, ctx(req.operation, req.symbol, req), options)))

  /** A request answered with a list of the symbol's orders. */
  const orderList = (req: Request, call: (ex: CcxtExchange) => Promise<unknown>): Effect.Effect<DecodedOrders, VenueError> =>
    Effect.flatMap(rulesOf(req.operation, req.symbol), (rules) =>
      client.use(req, call, (raw) => decodeOrders(raw, rules, ctx(req.operation, req.symbol), options)))

  const openOrders = (op: string, symbol: string) =>
    orderList({ operation: op, symbol, kind: "openOrders", describe: () => `GET openOrders on ${symbol}` }, (ex) => ex.fetchOpenOrders(symbol))

  /**
   * Every row in `[since, until]` through `fetch`, a ccxt method taking (since, limit,
   * params): with Binance's paging (a window's `until`, or from an id given as
   * `idParam`), or by `since` with `sinceParams`. `page` makes and reads one request.
   */
  const rowsIn = <R extends Row>(
    page: (describe: string, call: (ex: CcxtExchange) => Promise<unknown>) => Effect.Effect<Page<R>, VenueError>,
    fetch: (ex: CcxtExchange, since: number | undefined, params: Record<string, unknown>) => Promise<unknown>,
    idParam: "orderId" | "fromId",
    sinceParams: Record<string, unknown>,
    since: number | undefined,
    until: number
  ) =>
    options.binancePaging === true
      ? binanceRowsIn(
        (p) =>
          page(describePage(p), (ex) =>
            "fromId" in p ? fetch(ex, undefined, { [idParam]: p.fromId }) : fetch(ex, p.startTime, { until: p.endTime })),
        since,
        until
      )
      : sinceRowsIn((from) => page(`from ${from}`, (ex) => fetch(ex, from, sinceParams)), since, until)

  const ordersPage = (op: string, symbol: string, describe: string, call: (ex: CcxtExchange) => Promise<unknown>) =>
    Effect.map(orderList({ operation: op, symbol, kind: "orders", describe: () => `GET allOrders on ${symbol} ${describe}` }, call), (decoded) => ({
      decoded,
      page: { rows: decoded.orders, listed: decoded.listed }
    }))

  const orders: WireAdapter["orders"] = (op, symbol, since, until) =>
    Effect.suspend(() => {
      const skipped: Array<ExchangeError> = []
      const page = (describe: string, call: (ex: CcxtExchange) => Promise<unknown>) =>
        Effect.map(ordersPage(op, symbol, describe, call), ({ decoded, page }) => (skipped.push(...decoded.skipped), page))
      const all = rowsIn(page, (ex, from, params) => ex.fetchOrders(symbol, from, PAGE, params), "orderId", { until }, since, until)
      return Effect.map(all, (list) => ({ orders: list, skipped, listed: list.length + skipped.length }))
    })

  /** The most recent orders, one page: where a look-up by client order id looks after the open ones. */
  const recentOrders = (op: string, symbol: string) => ordersPage(op, symbol, "(the most recent)", (ex) => ex.fetchOrders(symbol, undefined, PAGE))

  /** No look-up by client order id: the open orders, then the recent ones, are scanned for it. */
  const scanFor = (op: string, symbol: string, clientOrderId: string) =>
    Effect.gen(function*() {
      const open = yield* openOrders(op, symbol)
      const hit = open.orders.find((o) => o.clientOrderId === clientOrderId)
      if (hit !== undefined || !client.has("fetchOrders")) return Option.fromNullishOr(hit)
      const recent = yield* recentOrders(op, symbol)
      return Option.fromNullishOr(recent.decoded.orders.find((o) => o.clientOrderId === clientOrderId))
    })

  return {
    name: "CcxtUnified",
    updates: options.watch === undefined ? Option.none() : makeWatchOrders(options.watch.exchange, {
      ccxt: options.watch.ccxt,
      secrets: options.watch.secrets,
      reports: options.watch.reports,
      rules: (symbol) => rulesOf("watchOrders", symbol),
      orderOptions: options
    }),
    // ccxt's unified API has no order lists: an OCO is refused before anything is sent.
    oco: Option.none(),
    submit: (op, order, { rules }) => {
      const context = ctx(op, order.symbol, { clientOrderId: order.clientOrderId })
      return client.use(
        { ...context, kind: "submit", describe: () => `POST order: ${describeOrder(order)}` },
        (ex) =>
          // Amounts go as the exact decimal strings: ccxt's amountToPrecision /
          // priceToPrecision work on strings without passing through floats, and an
          // already-snapped value comes out unchanged (test/live.test.ts checks the wire).
          ex.createOrder(
            order.symbol,
            unifiedType(order),
            order.side,
            D.format(order.quantity) as unknown as number,
            (Option.isSome(order.price) ? D.format(order.price.value) : undefined) as unknown as number | undefined,
            { clientOrderId: order.clientOrderId, ...unifiedParams(order) }
          ),
        (raw) => decodeOrder(raw, rules, context, options)
      )
    },
    lookup: (op, symbol, clientOrderId) =>
      options.lookupByClientOrderId === true
        ? oneOrder(
          { operation: op, symbol, clientOrderId, kind: "fetchOrder", describe: () => `GET order by client order id ${clientOrderId} on ${symbol}` },
          (ex) => ex.fetchOrderWithClientOrderId(clientOrderId, symbol)
        ).pipe(
          Effect.map(Option.some),
          Effect.catchIf(isOrderNotFound, () => Effect.succeed(Option.none<OrderRecord>()))
        )
        : scanFor(op, symbol, clientOrderId),
    fetchOrder: (op, symbol, orderId) =>
      oneOrder({ operation: op, symbol, orderId, kind: "fetchOrder", describe: () => `GET order ${orderId} on ${symbol}` }, (ex) =>
        ex.fetchOrder(orderId, symbol)),
    cancel: (op, symbol, orderId) =>
      oneOrder({ operation: op, symbol, orderId, kind: "cancel", describe: () => `DELETE order ${orderId} on ${symbol}` }, (ex) =>
        ex.cancelOrder(orderId, symbol)),
    cancelAll: client.has("cancelAllOrders")
      ? Option.some((op, symbol) =>
        orderList({ operation: op, symbol, kind: "cancelAll", describe: () => `DELETE openOrders on ${symbol} (cancel all)` }, (ex) =>
          ex.cancelAllOrders(symbol))
      )
      : Option.none(),
    openOrders,
    orders,
    balances: (op) =>
      client.use(
        { operation: op, symbol: "", kind: "balances", describe: () => "GET account (balances)" },
        (ex) => ex.fetchBalance(),
        (raw) => decodeBalances(raw, ctx(op, ""))
      ),
    trades: (op, symbol, since, until) => {
      const page = (describe: string, call: (ex: CcxtExchange) => Promise<unknown>) =>
        client.use(
          { operation: op, symbol, kind: "trades", describe: () => `GET myTrades on ${symbol} ${describe}` },
          call,
          (raw) => Result.map(decodeCcxtTrades(raw, ctx(op, symbol)), (rows) => ({ rows, listed: rows.length }))
        )
      return rowsIn(page, (ex, from, params) => ex.fetchMyTrades(symbol, from, PAGE, params), "fromId", {}, since, until)
    }
  }
}
