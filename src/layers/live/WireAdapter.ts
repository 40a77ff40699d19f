/**
 * The port each wire format implements: the order and balance requests of one API,
 * made through the ccxt client and read into orderops' records. Two adapters
 * implement it, one module each: `BinanceSpot` (Binance's REST endpoints through
 * ccxt's implicit methods) and `CcxtUnified` (ccxt's unified methods, any exchange).
 * The live venue (`CcxtVenue.ts`) chooses one when it is built and adds what is the
 * same for both: markets, tickers, duplicate client order ids and reporting orders
 * a list held that orderops cannot represent.
 */
import type { Effect, Option, Stream } from "effect"
import type { VenueError } from "../../errors/index.ts"
import type { OrderRecord } from "../../services/OrderRecord.ts"
import type { Trade } from "../../services/Trade.ts"
import type { Balance, OcoRecord, SubmitOco, SubmitOrder, VenueUpdate } from "../../services/Venue.ts"
import type { MarketEntry } from "./Markets.ts"
import type { DecodedOrders } from "./RawOrder.ts"

export interface WireAdapter {
  /** `BinanceSpot` or `CcxtUnified`, for logs and tests. */
  readonly name: string
  /** Sends `order` on `market`, whose grid its amounts are already on. */
  submit(op: string, order: SubmitOrder, market: MarketEntry): Effect.Effect<OrderRecord, VenueError>
  /** The order with this client order id, `None` when the exchange has none. */
  lookup(op: string, symbol: string, clientOrderId: string): Effect.Effect<Option.Option<OrderRecord>, VenueError>
  fetchOrder(op: string, symbol: string, orderId: string): Effect.Effect<OrderRecord, VenueError>
  cancel(op: string, symbol: string, orderId: string): Effect.Effect<OrderRecord, VenueError>
  /** Cancels every open order of the symbol in one request, where the API has one. */
  readonly cancelAll: Option.Option<(op: string, symbol: string) => Effect.Effect<DecodedOrders, VenueError>>
  openOrders(op: string, symbol: string): Effect.Effect<DecodedOrders, VenueError>
  /**
   * Every order of the symbol, open and closed, placed in `[since, until]` (epoch ms;
   * without `since`, from the first), each once, oldest first, through as many pages
   * as that takes (`paging.ts`).
   */
  orders(op: string, symbol: string, since: number | undefined, until: number): Effect.Effect<DecodedOrders, VenueError>
  balances(op: string): Effect.Effect<ReadonlyMap<string, Balance>, VenueError>
  /** The account's trades on the symbol in `[since, until]` (epoch ms), each once, oldest first, every page of them. */
  trades(op: string, symbol: string, since: number | undefined, until: number): Effect.Effect<ReadonlyArray<Trade>, VenueError>
  /** OCO order lists, where the wire format has them (Binance's REST API; ccxt's unified API has none). */
  readonly oco: Option.Option<OcoAdapter>
  /** The adapter's own event source (`VenueService.updates`), where it has one: ccxt's `watchOrders` for `CcxtUnified`. */
  readonly updates?: Option.Option<(symbol: string) => Stream.Stream<VenueUpdate>> | undefined
}

/** An adapter's OCO requests (see `OcoVenue`). */
export interface OcoAdapter {
  submit(op: string, oco: SubmitOco, market: MarketEntry): Effect.Effect<OcoRecord, VenueError>
  lookup(op: string, symbol: string, listClientOrderId: string): Effect.Effect<Option.Option<OcoRecord>, VenueError>
  cancel(op: string, symbol: string, listId: string): Effect.Effect<OcoRecord, VenueError>
}

/** Whether a failure says the exchange has no such order. */
export const isOrderNotFound = (e: VenueError): boolean => e._tag === "ExchangeError" && e.reason === "OrderNotFound"
