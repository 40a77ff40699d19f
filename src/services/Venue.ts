/**
 * The low-level port an exchange layer implements: one call per exchange request,
 * in exact decimals, with typed errors and no policy. The order engine
 * (`src/layers/engine/OrderEngine.ts`) turns a `Venue` into the public `Exchange`
 * service, adding validation, client order ids, the journal, the active-orders
 * `Ref`, retries and logging, so that every layer behaves the same.
 */
import type { Effect, Stream } from "effect"
import { Context, Option } from "effect"
import type { JournalError, ValidationError, VenueError } from "../errors/index.ts"
import * as D from "./Decimal.ts"
import type { IdForms } from "./Inputs.ts"
import type { MarketRules } from "./MarketRules.ts"
import type { OrderRecord, OrderSide, OrderType } from "./OrderRecord.ts"
import type { Trade } from "./Trade.ts"

/** A validated order, ready to send. */
export interface SubmitOrder {
  readonly clientOrderId: string
  readonly symbol: string
  readonly side: OrderSide
  readonly type: OrderType
  /** The snapped limit price; `None` for market, stop-loss and take-profit orders. */
  readonly price: Option.Option<D.Decimal>
  /** The snapped trigger price of a stop-loss or take-profit order; `None` for others. */
  readonly triggerPrice: Option.Option<D.Decimal>
  readonly quantity: D.Decimal
}

/** How a venue's request line names an order: `limit buy 100 HBAR/USDT at 0.05, client order id oo_…`. */
export const describeOrder = (order: SubmitOrder): string =>
  `${order.type} ${order.side} ${D.format(order.quantity)} ${order.symbol}` +
  `${Option.match(order.price, { onNone: () => " at market", onSome: (p) => ` at ${D.format(p)}` })}` +
  `${Option.match(order.triggerPrice, { onNone: () => "", onSome: (p) => ` once the price reaches ${D.format(p)}` })}, ` +
  `client order id ${order.clientOrderId}`

/**
 * A validated OCO, ready to send: a limit-maker leg at `price` and a stop-loss leg
 * triggered at `triggerPrice` (a stop-loss-limit at `stopLimitPrice` when given), the
 * same side and quantity, with the list's and both legs' client ids chosen (and
 * journaled) before the first attempt.
 */
export interface SubmitOco {
  readonly symbol: string
  readonly side: OrderSide
  readonly quantity: D.Decimal
  readonly price: D.Decimal
  readonly triggerPrice: D.Decimal
  readonly stopLimitPrice: Option.Option<D.Decimal>
  readonly listClientOrderId: string
  readonly limitClientOrderId: string
  readonly stopClientOrderId: string
}

/** How a venue's request line names an OCO: `sell 100 HBAR/USDT, limit 0.07, stop at 0.05, list client id oo_…`. */
export const describeOco = (oco: SubmitOco): string =>
  `${oco.side} ${D.format(oco.quantity)} ${oco.symbol}, limit ${D.format(oco.price)}, stop at ${D.format(oco.triggerPrice)}` +
  `${Option.match(oco.stopLimitPrice, { onNone: () => "", onSome: (p) => ` limit ${D.format(p)}` })}, list client id ${oco.listClientOrderId}`

/** An OCO list as the exchange reports it: its id and both legs. */
export interface OcoRecord {
  readonly listId: string
  readonly listClientOrderId: string
  readonly limit: OrderRecord
  readonly stop: OrderRecord
}

/** The OCO requests of a venue whose exchange takes order lists. */
export interface OcoVenue {
  /** Sends one OCO. Never retried here: a network failure leaves its outcome unknown. */
  submit(op: Operation, oco: SubmitOco): Effect.Effect<OcoRecord, VenueFailure>
  /** The list with this client id, if the exchange has it (after a lost answer). */
  lookup(op: Operation, symbol: string, listClientOrderId: string): Effect.Effect<Option.Option<OcoRecord>, VenueFailure>
  /** Cancels both legs of a running list. `OrderNotFound` when the exchange has no such list running. */
  cancel(op: Operation, symbol: string, listId: string): Effect.Effect<OcoRecord, VenueFailure>
}

export interface Balance {
  readonly free: D.Decimal
  readonly used: D.Decimal
}

/**
 * What a venue's event source reports (its user data stream, ccxt's `watchOrders`, the
 * dry run's simulator), for the engine to apply and publish as order events
 * (`engine/Watcher.ts`).
 * - `Order`: a new view of an order, with the trade that made it when the change was a
 *   fill. Views may repeat or arrive late; the engine keeps the newest and publishes
 *   each trade once.
 * - `State`: the source connected (`connected`: what happened before must be reconciled
 *   by REST now), lost its connection and is coming back (`reconnecting`), or has given
 *   up for now (`down`). While it is not connected the engine polls by REST.
 * - `Gap`: the source skipped events while connected (a consumer fell behind): reconcile.
 */
export type VenueUpdate =
  | { readonly _tag: "Order"; readonly order: OrderRecord; readonly trade: Option.Option<Trade> }
  | { readonly _tag: "State"; readonly state: "connected" | "reconnecting" | "down" }
  | { readonly _tag: "Gap" }

/**
 * What a venue call can fail with. A venue that keeps its own state in the journal
 * (the dry run saves its book there) can also fail to save it.
 */
export type VenueFailure = VenueError | JournalError

/** Names the public operation a venue call serves, for error context. */
export type Operation = string

export interface VenueService {
  /** `dry-run`, or the ccxt exchange id. */
  readonly id: string
  /** The forms of the order and list ids the venue issues: the engine refuses any other id before a request. */
  readonly ids: IdForms
  /** The market's rules (cached by the venue). Fails `UnknownMarket` for a symbol the venue does not list. */
  market(op: Operation, symbol: string): Effect.Effect<MarketRules, VenueFailure | ValidationError>
  /** Reloads the market rules from the exchange. */
  refreshMarkets(op: Operation): Effect.Effect<void, VenueFailure>
  /** The last traded price, for the notional of market orders and dust checks. */
  referencePrice(op: Operation, symbol: string): Effect.Effect<Option.Option<D.Decimal>, VenueFailure>
  /** Sends one order. Never retried here: a network failure leaves its outcome unknown. */
  submit(op: Operation, order: SubmitOrder): Effect.Effect<OrderRecord, VenueFailure>
  /** The order with this client order id, if the exchange has it. */
  lookup(op: Operation, symbol: string, clientOrderId: string): Effect.Effect<Option.Option<OrderRecord>, VenueFailure>
  /** One order by exchange id. Fails `OrderNotFound` when unknown. */
  fetchOrder(op: Operation, symbol: string, orderId: string): Effect.Effect<OrderRecord, VenueFailure>
  /** Cancels one open order and gives its final record. `OrderNotFound` / `OrderNotOpen` otherwise. */
  cancel(op: Operation, symbol: string, orderId: string): Effect.Effect<OrderRecord, VenueFailure>
  /** Cancels every open order on the symbol in one request, when the exchange has such an endpoint. */
  readonly cancelAll: Option.Option<(op: Operation, symbol: string) => Effect.Effect<ReadonlyArray<OrderRecord>, VenueFailure>>
  openOrders(op: Operation, symbol: string): Effect.Effect<ReadonlyArray<OrderRecord>, VenueFailure>
  /**
   * Every order on the symbol, open and closed, placed in `[since, until]` (epoch ms;
   * without `since`, from the first; `until` defaults to now), each once, oldest
   * first, however many requests that takes.
   */
  orders(op: Operation, symbol: string, since?: number, until?: number): Effect.Effect<ReadonlyArray<OrderRecord>, VenueFailure>
  balances(op: Operation): Effect.Effect<ReadonlyMap<string, Balance>, VenueFailure>
  /** OCO order lists, where the exchange (through this venue) takes them. */
  readonly oco: Option.Option<OcoVenue>
  /** Every trade (fill) of the account on the symbol in `[since, until]` (epoch ms; `until` defaults to now), each once, oldest first. */
  trades(op: Operation, symbol: string, since?: number, until?: number): Effect.Effect<ReadonlyArray<Trade>, VenueFailure>
  /**
   * The venue's event source for `symbol`'s orders, when it has one. Running the stream
   * connects (and reconnects) for as long as it is consumed; it never fails: trouble is
   * a `State` update. None: the engine learns of changes by polling only.
   */
  readonly updates: Option.Option<(symbol: string) => Stream.Stream<VenueUpdate>>
  /**
   * The free and locked balances known without a request (the stream's, while it is
   * up); none when a read would need one. The engine pre-checks a create against them.
   */
  readonly knownBalances: Effect.Effect<Option.Option<ReadonlyMap<string, Balance>>>
}

export class Venue extends Context.Service<Venue, VenueService>()("orderops/Venue") {}
