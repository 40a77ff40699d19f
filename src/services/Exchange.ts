/**
 * The `Exchange` service: what a trading bot uses. It is bound to one symbol and
 * every operation is an `Effect`. Provide it with `DryRunExchangeLayer()` (paper
 * trading, no network) or `LiveExchangeLayer(options)` (ccxt); the two behave the
 * same, down to validation and errors.
 *
 * Every operation is also exported as an accessor, e.g. `createLimitBuy(0.1, 100)`
 * is an `Effect<string, ExchangeFailure, Exchange>`.
 *
 * Prices and quantities are `Amount`s: numbers (read at 15 significant digits, so
 * `0.1 + 0.2` is 0.3), decimal strings (`"0.3"`) or `BigDecimal`s. Every input is
 * decoded at the boundary (`Inputs.ts`), whatever the caller's language: a value of
 * no accepted kind (a side other than "buy" or "sell", text that is no decimal, an
 * id the venue cannot have issued, a window ending before it starts) fails with a
 * `ValidationError` naming the field, before anything is journaled or sent.
 */
import { Context, Effect, type Option, type Scope, Stream } from "effect"
import type { ExchangeFailure, OrderEventsOverflow } from "../errors/index.ts"
import type { Amount, Decimal } from "./Decimal.ts"
import type { MarketRules, OrderRequest } from "./MarketRules.ts"
import type { EventSourceState, OrderEvent } from "./OrderEvent.ts"
import type { OrderRecord, OrderSide } from "./OrderRecord.ts"
import type { Trade } from "./Trade.ts"

/** An OCO as a caller asks for it: a limit (take-profit) leg at `price` and a stop leg triggered at `triggerPrice`. */
export interface OcoRequest {
  readonly side: OrderSide
  readonly quantity: Amount
  /** The limit (limit-maker) leg's price. */
  readonly price: Amount
  /** The stop leg's trigger. */
  readonly triggerPrice: Amount
  /** The stop leg's limit price once triggered; without it the stop leg is a stop-loss (market) order. */
  readonly stopLimitPrice?: Amount | undefined
}

/** A placed OCO: the exchange's list id and both legs, each carrying that `listId`. */
export interface OcoOrders {
  readonly listId: string
  readonly limit: OrderRecord
  readonly stop: OrderRecord
}

export interface ExchangeService {
  /** The market this service trades, e.g. `HBAR/USDT`. */
  readonly symbol: string
  /** `dry-run`, or the ccxt exchange id. */
  readonly venue: string

  /** Places a limit buy; gives the order id. The price snaps down to the tick, the quantity down to the step. */
  createLimitBuy(price: Amount, quantity: Amount): Effect.Effect<string, ExchangeFailure>
  /** Places a limit sell; gives the order id. The price snaps up to the tick, the quantity down to the step. */
  createLimitSell(price: Amount, quantity: Amount): Effect.Effect<string, ExchangeFailure>
  /** Sells `quantity` base at market; gives the order id. */
  createMarketSell(quantity: Amount): Effect.Effect<string, ExchangeFailure>
  /** Places any order and gives its full record. The `create*` operations are shorthands for it. */
  placeOrder(request: OrderRequest): Effect.Effect<OrderRecord, ExchangeFailure>
  /** A stop-loss: a market order once the price reaches `triggerPrice` (a sell when it falls to it). Side defaults to sell. */
  createStopLoss(triggerPrice: Amount, quantity: Amount, side?: OrderSide): Effect.Effect<OrderRecord, ExchangeFailure>
  /** A stop-loss-limit: a limit order at `price` once the price reaches `triggerPrice`. Side defaults to sell. */
  createStopLossLimit(triggerPrice: Amount, price: Amount, quantity: Amount, side?: OrderSide): Effect.Effect<OrderRecord, ExchangeFailure>
  /** A take-profit: a market order once the price reaches `triggerPrice` (a sell when it rises to it). Side defaults to sell. */
  createTakeProfit(triggerPrice: Amount, quantity: Amount, side?: OrderSide): Effect.Effect<OrderRecord, ExchangeFailure>
  /** A take-profit-limit: a limit order at `price` once the price reaches `triggerPrice`. Side defaults to sell. */
  createTakeProfitLimit(triggerPrice: Amount, price: Amount, quantity: Amount, side?: OrderSide): Effect.Effect<OrderRecord, ExchangeFailure>
  /** Places an OCO where the market takes them (`ocoAllowed`); a `ValidationError` (`OrderTypeNotAllowed`) elsewhere. */
  createOco(request: OcoRequest): Effect.Effect<OcoOrders, ExchangeFailure>
  /** Cancels both legs of a running OCO. */
  cancelOco(listId: string): Effect.Effect<void, ExchangeFailure>

  /** Cancels an open order. Fails `OrderNotFound` for unknown ids and `OrderNotOpen` for finished orders. */
  cancelOrder(orderId: string): Effect.Effect<void, ExchangeFailure>
  /** Cancels every open buy on the symbol; gives the cancelled ids. */
  cancelAllBuyOrders(): Effect.Effect<ReadonlyArray<string>, ExchangeFailure>
  /** Cancels every open sell on the symbol; gives the cancelled ids. */
  cancelAllSellOrders(): Effect.Effect<ReadonlyArray<string>, ExchangeFailure>

  /** One order by id. */
  fetchOrder(orderId: string): Effect.Effect<OrderRecord, ExchangeFailure>
  /**
   * Every order on the symbol, open and closed, market orders included, placed in
   * `[startTime, endTime]` (epoch ms; without `startTime`, from the first; without
   * `endTime`, up to now), oldest first, however long the window and however many
   * orders: on Binance it pages by 24-hour windows and 1000 orders, asking no more
   * than it needs.
   */
  fetchAllOrders(startTime?: number, endTime?: number): Effect.Effect<ReadonlyArray<OrderRecord>, ExchangeFailure>
  /** The symbol's open orders on the exchange (all of them, not only this process's). */
  fetchOpenOrders(): Effect.Effect<ReadonlyArray<OrderRecord>, ExchangeFailure>
  /**
   * The account's trades (fills) on the symbol in `[startTime, endTime]` (epoch ms;
   * without `startTime`, from the first; without `endTime`, up to now), each once,
   * oldest first, every one of them however many (paged as `fetchAllOrders` is).
   * Each is journaled, and an order read later takes its fees from them.
   */
  fetchTrades(startTime?: number, endTime?: number): Effect.Effect<ReadonlyArray<Trade>, ExchangeFailure>

  /** Free balance of the symbol's quote currency, exact. Alias of `getQuoteBalance`, named for the USDT case. */
  getUsdtBalance(): Effect.Effect<Decimal, ExchangeFailure>
  /** Free balance of the symbol's quote currency, exact (`Decimal.toNumber` gives a number for display). */
  getQuoteBalance(): Effect.Effect<Decimal, ExchangeFailure>
  /** Free balance of the symbol's base asset, or of `baseAsset`, exact. */
  getBaseAssetBalance(baseAsset?: string): Effect.Effect<Decimal, ExchangeFailure>
  /** Market-sells the free base balance, rounded down to the step. `None` when that is dust. */
  sellAllAssets(): Effect.Effect<Option.Option<string>, ExchangeFailure>

  /** A snapshot of the orders this process placed that are still open, by order id. */
  readonly activeOrders: Effect.Effect<ReadonlyMap<string, OrderRecord>>
  /** Reconciles the active orders with the exchange's open orders; gives the new snapshot. */
  readonly sync: Effect.Effect<ReadonlyMap<string, OrderRecord>, ExchangeFailure>
  /** The market's rules as the exchange states them. */
  readonly marketRules: Effect.Effect<MarketRules, ExchangeFailure>

  /**
   * Every change of every order this process tracks, as it happens (`OrderEvent.ts`):
   * from the exchange's user stream where there is one, else from REST polls. Each run
   * of the stream is a new subscriber and receives what is published after it starts.
   * A subscriber that falls `events.subscriberBuffer` events behind ends with
   * `OrderEventsOverflow`; the exchange connection never waits for it.
   */
  readonly orderEvents: Stream.Stream<OrderEvent, OrderEventsOverflow>
  /**
   * Subscribes at once (for the enclosing scope) and gives the stream of what is
   * published from then on: for when nothing right after subscribing may be missed.
   */
  readonly subscribeOrderEvents: Effect.Effect<Stream.Stream<OrderEvent, OrderEventsOverflow>, never, Scope.Scope>
  /** Where order events come from right now: `connected`, `reconnecting`, `polling` or `off`. */
  readonly eventSource: Effect.Effect<EventSourceState>
}

export class Exchange extends Context.Service<Exchange, ExchangeService>()("orderops/Exchange") {}

export const createLimitBuy = (price: Amount, quantity: Amount) => Exchange.use((ex) => ex.createLimitBuy(price, quantity))
export const createLimitSell = (price: Amount, quantity: Amount) => Exchange.use((ex) => ex.createLimitSell(price, quantity))
export const createMarketSell = (quantity: Amount) => Exchange.use((ex) => ex.createMarketSell(quantity))
export const placeOrder = (request: OrderRequest) => Exchange.use((ex) => ex.placeOrder(request))
export const createStopLoss = (triggerPrice: Amount, quantity: Amount, side?: OrderSide) =>
  Exchange.use((ex) => ex.createStopLoss(triggerPrice, quantity, side))
export const createStopLossLimit = (triggerPrice: Amount, price: Amount, quantity: Amount, side?: OrderSide) =>
  Exchange.use((ex) => ex.createStopLossLimit(triggerPrice, price, quantity, side))
export const createTakeProfit = (triggerPrice: Amount, quantity: Amount, side?: OrderSide) =>
  Exchange.use((ex) => ex.createTakeProfit(triggerPrice, quantity, side))
export const createTakeProfitLimit = (triggerPrice: Amount, price: Amount, quantity: Amount, side?: OrderSide) =>
  Exchange.use((ex) => ex.createTakeProfitLimit(triggerPrice, price, quantity, side))
export const createOco = (request: OcoRequest) => Exchange.use((ex) => ex.createOco(request))
export const cancelOco = (listId: string) => Exchange.use((ex) => ex.cancelOco(listId))
export const cancelOrder = (orderId: string) => Exchange.use((ex) => ex.cancelOrder(orderId))
export const cancelAllBuyOrders = () => Exchange.use((ex) => ex.cancelAllBuyOrders())
export const cancelAllSellOrders = () => Exchange.use((ex) => ex.cancelAllSellOrders())
export const fetchOrder = (orderId: string) => Exchange.use((ex) => ex.fetchOrder(orderId))
export const fetchAllOrders = (startTime?: number, endTime?: number) =>
  Exchange.use((ex) => ex.fetchAllOrders(startTime, endTime))
export const fetchOpenOrders = () => Exchange.use((ex) => ex.fetchOpenOrders())
export const fetchTrades = (startTime?: number, endTime?: number) => Exchange.use((ex) => ex.fetchTrades(startTime, endTime))
export const getUsdtBalance = () => Exchange.use((ex) => ex.getUsdtBalance())
export const getQuoteBalance = () => Exchange.use((ex) => ex.getQuoteBalance())
export const getBaseAssetBalance = (baseAsset?: string) => Exchange.use((ex) => ex.getBaseAssetBalance(baseAsset))
export const sellAllAssets = () => Exchange.use((ex) => ex.sellAllAssets())
export const activeOrders = Exchange.use((ex) => ex.activeOrders)
export const syncOrders = Exchange.use((ex) => ex.sync)
export const marketRules = Exchange.use((ex) => ex.marketRules)
/** The order events of the `Exchange` in context (see `ExchangeService.orderEvents`). */
export const orderEvents: Stream.Stream<OrderEvent, OrderEventsOverflow, Exchange> = Stream.unwrap(Exchange.use((ex) => Effect.succeed(ex.orderEvents)))
export const subscribeOrderEvents = Exchange.use((ex) => ex.subscribeOrderEvents)
export const eventSource = Exchange.use((ex) => ex.eventSource)
