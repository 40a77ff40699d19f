/**
 * The `BinanceSpot` adapter: orders and balances on Binance and Binance.US spot
 * through Binance's REST endpoints (`POST /api/v3/order`, `GET /api/v3/openOrders`,
 * ...), called as ccxt's implicit methods (`privatePostOrder`, ...). ccxt still signs,
 * sends, keeps the clock offset and classifies errors; its unified parse, which goes
 * through floats, is skipped: `Rest.ts` reads Binance's exact decimal strings.
 */
import { Effect, Option, Result } from "effect"
import type { ErrorContextFields } from "../../../../errors/context.ts"
import { ExchangeError } from "../../../../errors/ExchangeError.ts"
import type { VenueError } from "../../../../errors/index.ts"
import type { OrderRecord } from "../../../../services/OrderRecord.ts"
import { describeOco, describeOrder } from "../../../../services/Venue.ts"
import { type BinanceSpotRest, decodeBinanceBalances, decodeBinanceOrder, decodeBinanceOrders, orderParams, type WireMarket } from "./Rest.ts"
import { type BinanceListRest, decodeBinanceOco, flattenListEntries, ocoParams, ocoRecordOf, readBinanceOrderList } from "./RestLists.ts"
import type { CcxtClientService, Request } from "../../Client.ts"
import type { CcxtExchange } from "../../instance.ts"
import type { MarketCacheService } from "../../Markets.ts"
import { decodeContext } from "../../RawOrder.ts"
import { type BinancePage, binanceRowsIn, describePage, PAGE } from "../../paging.ts"
import { decodeBinanceTrades } from "../../trades.ts"
import { isOrderNotFound, type OcoAdapter, type WireAdapter } from "../../WireAdapter.ts"

/** The instance's Binance spot endpoints (the venue checked they are there before choosing this adapter). */
const rest = (exchange: CcxtExchange) => exchange as unknown as BinanceSpotRest & BinanceListRest

export const make = (client: CcxtClientService, markets: MarketCacheService): WireAdapter => {
  const ctx = (operation: string, symbol: string, ids: Pick<ErrorContextFields, "orderId" | "clientOrderId"> = {}) =>
    decodeContext(client.id, operation, symbol, ids)

  /**
   * `f` over the symbol's market as the endpoints name it. A symbol the exchange does
   * not list fails as ccxt's unified methods do (`MarketClosed`).
   */
  const onWire = <A>(op: string, symbol: string, f: (m: WireMarket) => Effect.Effect<A, VenueError>) =>
    Effect.flatMap(
      Effect.catchTag(markets.market(op, symbol), "ValidationError", () =>
        Effect.fail(new ExchangeError({ operation: op, symbol, reason: "MarketClosed", detail: `${symbol} is not listed on ${client.id}` }))),
      ({ wireId }) => (wireId === undefined ? Effect.fail(noWireId(op, symbol)) : f({ symbol, id: wireId }))
    )

  const noWireId = (op: string, symbol: string) =>
    new ExchangeError({ operation: op, symbol, reason: "UnreadableAnswer", detail: `${client.id} gave ${symbol} no market id` })

  /** `GET order` (by exchange id or client order id) or `DELETE order`, read as one order. */
  const oneOrder = (
    req: Request,
    call: (r: BinanceSpotRest, m: WireMarket) => Promise<unknown>
  ): Effect.Effect<OrderRecord, VenueError> =>
    onWire(req.operation, req.symbol, (m) =>
      client.use(req, (ex) => call(rest(ex), m), (raw) => decodeBinanceOrder(raw, m, ctx(req.operation, req.symbol, req))))

  /**
   * A request answered with a list of the symbol's orders. An order list (OCO) in it
   * stands for its legs' reports (a cancel-all answer lists each open list so).
   */
  const orderList = (req: Request, call: (r: BinanceSpotRest, m: WireMarket) => Promise<unknown>) =>
    onWire(req.operation, req.symbol, (m) =>
      client.use(req, (ex) => call(rest(ex), m), (raw) => decodeBinanceOrders(flattenListEntries(raw), m, ctx(req.operation, req.symbol))))

  const oco: OcoAdapter = {
    submit: (op, list, { wireId }) => {
      if (wireId === undefined) return Effect.fail(noWireId(op, list.symbol))
      const context = ctx(op, list.symbol, { clientOrderId: list.listClientOrderId })
      const m = { symbol: list.symbol, id: wireId }
      return client.use(
        { ...context, kind: "submitList", describe: () => `POST order/oco: ${describeOco(list)}` },
        (ex) => rest(ex).privatePostOrderOco(ocoParams(list, m.id)),
        (raw) => decodeBinanceOco(raw, m, context)
      )
    },
    lookup: (op, symbol, listClientOrderId) =>
      onWire(op, symbol, (m) => {
        const context = ctx(op, symbol, { clientOrderId: listClientOrderId })
        const describe = () => `GET orderList by list client id ${listClientOrderId} on ${symbol}`
        return client.use(
          { ...context, kind: "fetchList", describe },
          (ex) => rest(ex).privateGetOrderList({ origClientOrderId: listClientOrderId }),
          (raw) => readBinanceOrderList(raw, m.id, context)
        ).pipe(
          // The list names its legs; their state comes from the orders themselves.
          Effect.flatMap((list) =>
            Effect.flatMap(
              Effect.forEach(list.legs, (leg) =>
                oneOrder(
                  { operation: op, symbol, orderId: leg.orderId, kind: "fetchOrder", describe: () => `GET order ${leg.orderId} on ${symbol}` },
                  (r) => r.privateGetOrder({ symbol: m.id, orderId: leg.orderId })
                )),
              (legs) => Effect.fromResult(ocoRecordOf(list, legs, context))
            )
          ),
          Effect.map(Option.some),
          Effect.catchIf(isOrderNotFound, () => Effect.succeed(Option.none()))
        )
      }),
    cancel: (op, symbol, listId) =>
      onWire(op, symbol, (m) => {
        const context = ctx(op, symbol)
        return client.use(
          { ...context, kind: "cancelList", describe: () => `DELETE orderList ${listId} on ${symbol}` },
          (ex) => rest(ex).privateDeleteOrderList({ symbol: m.id, orderListId: listId }),
          (raw) => decodeBinanceOco(raw, m, context)
        )
      })
  }

  return {
    name: "BinanceSpot",
    oco: Option.some(oco),
    submit: (op, order, { wireId }) => {
      if (wireId === undefined) return Effect.fail(noWireId(op, order.symbol))
      const context = ctx(op, order.symbol, { clientOrderId: order.clientOrderId })
      const m = { symbol: order.symbol, id: wireId }
      return client.use(
        { ...context, kind: "submit", describe: () => `POST order: ${describeOrder(order)}` },
        (ex) => rest(ex).privatePostOrder(orderParams(order, m.id)),
        (raw) => decodeBinanceOrder(raw, m, context)
      )
    },
    lookup: (op, symbol, clientOrderId) =>
      oneOrder(
        { operation: op, symbol, clientOrderId, kind: "fetchOrder", describe: () => `GET order by client order id ${clientOrderId} on ${symbol}` },
        (r, m) => r.privateGetOrder({ symbol: m.id, origClientOrderId: clientOrderId })
      ).pipe(
        Effect.map(Option.some),
        Effect.catchIf(isOrderNotFound, () => Effect.succeed(Option.none<OrderRecord>()))
      ),
    fetchOrder: (op, symbol, orderId) =>
      oneOrder(
        { operation: op, symbol, orderId, kind: "fetchOrder", describe: () => `GET order ${orderId} on ${symbol}` },
        (r, m) => r.privateGetOrder({ symbol: m.id, orderId })
      ),
    cancel: (op, symbol, orderId) =>
      oneOrder(
        { operation: op, symbol, orderId, kind: "cancel", describe: () => `DELETE order ${orderId} on ${symbol}` },
        (r, m) => r.privateDeleteOrder({ symbol: m.id, orderId })
      ),
    cancelAll: Option.some((op, symbol) =>
      orderList(
        { operation: op, symbol, kind: "cancelAll", describe: () => `DELETE openOrders on ${symbol} (cancel all)` },
        (r, m) => r.privateDeleteOpenOrders({ symbol: m.id })
      )
    ),
    openOrders: (op, symbol) =>
      orderList(
        { operation: op, symbol, kind: "openOrders", describe: () => `GET openOrders on ${symbol}` },
        (r, m) => r.privateGetOpenOrders({ symbol: m.id })
      ),
    orders: (op, symbol, since, until) =>
      onWire(op, symbol, (m) => {
        const skipped: Array<ExchangeError> = []
        const page = (p: BinancePage) =>
          client.use(
            { operation: op, symbol, kind: "orders", describe: () => `GET allOrders on ${symbol} ${describePage(p)}` },
            (ex) => rest(ex).privateGetAllOrders({ symbol: m.id, limit: PAGE, ...("fromId" in p ? { orderId: p.fromId } : p) }),
            (raw) => decodeBinanceOrders(raw, m, ctx(op, symbol))
          ).pipe(Effect.map((decoded) => (skipped.push(...decoded.skipped), { rows: decoded.orders, listed: decoded.listed })))
        return Effect.map(binanceRowsIn(page, since, until), (orders) => ({ orders, skipped, listed: orders.length + skipped.length }))
      }),
    balances: (op) =>
      client.use(
        { operation: op, symbol: "", kind: "balances", describe: () => "GET account (balances)" },
        (ex) => rest(ex).privateGetAccount({}),
        (raw) => decodeBinanceBalances(raw, ctx(op, ""))
      ),
    trades: (op, symbol, since, until) =>
      onWire(op, symbol, (m) =>
        binanceRowsIn(
          (p) =>
            client.use(
              { operation: op, symbol, kind: "trades", describe: () => `GET myTrades on ${symbol} ${describePage(p)}` },
              (ex) => rest(ex).privateGetMyTrades({ symbol: m.id, limit: PAGE, ...p }),
              (raw) => Result.map(decodeBinanceTrades(raw, ctx(op, symbol)), (rows) => ({ rows, listed: rows.length }))
            ),
          since,
          until
        ))
  }
}
