/**
 * The low-level port an exchange layer implements: one call per exchange request,
 * in exact decimals, with typed errors and no policy. The order engine
 * (`src/layers/OrderEngine.ts`) turns a `Venue` into the public `Exchange`
 * service, adding validation, client order ids, the journal, the active-orders
 * `Ref`, retries and logging, so that every layer behaves the same.
 */
import type { Effect } from "effect"
import { Context, Option } from "effect"
import type { JournalError, ValidationError, VenueError } from "../errors/index.ts"
import * as D from "./Decimal.ts"
import type { MarketRules } from "./MarketRules.ts"
import type { OrderRecord, OrderSide, OrderType } from "./OrderRecord.ts"
import type { Trade } from "./Trade.ts"

/** A validated order, ready to send. */
export interface SubmitOrder {
  readonly clientOrderId: string
  readonly symbol: string
  readonly side: OrderSide
  readonly type: OrderType
  /** The snapped limit price; `None` for a market order. */
  readonly price: Option.Option<D.Decimal>
  readonly quantity: D.Decimal
}

/** How a venue's request line names an order: `limit buy 100 HBAR/USDT at 0.05, client order id oo_…`. */
export const describeOrder = (order: SubmitOrder): string =>
  `${order.type} ${order.side} ${D.format(order.quantity)} ${order.symbol}` +
  `${Option.match(order.price, { onNone: () => " at market", onSome: (p) => ` at ${D.format(p)}` })}, ` +
  `client order id ${order.clientOrderId}`

export interface Balance {
  readonly free: D.Decimal
  readonly used: D.Decimal
}

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
  /** Orders on the symbol, open and closed, in `[since, until]` (epoch ms) when given. */
  orders(op: Operation, symbol: string, since?: number, until?: number): Effect.Effect<ReadonlyArray<OrderRecord>, VenueFailure>
  balances(op: Operation): Effect.Effect<ReadonlyMap<string, Balance>, VenueFailure>
  /** The account's trades (fills) on the symbol in `[since, until]` (epoch ms; `until` defaults to now). */
  trades(op: Operation, symbol: string, since?: number, until?: number): Effect.Effect<ReadonlyArray<Trade>, VenueFailure>
}

export class Venue extends Context.Service<Venue, VenueService>()("orderops/Venue") {}
