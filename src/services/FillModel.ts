/**
 * How the dry run fills an order against its market, as a port: the dry run asks
 * one `FillModel` whether an order fills, at what price and quantity, as maker or
 * taker, and at what fee rate. The exchange's own rules stay in the dry run (which
 * orders are open, triggers, OCO lists, funds); the model answers only "what fills
 * now?", so another model (queue position, trades through the price, a book walk,
 * an optimistic bound) is one new module, not an edit across the simulator.
 *
 * The market reaches a model as events: a price the program moves (`PriceMove`, the
 * simulated market of `DryRunMarket.setPrice`), a trade printed on the tape
 * (`TradePrint`), or an order book (`BookSnapshot`). `MarketState` is what the dry
 * run knows of one market when it asks: the last price, the latest book, and the
 * simulated depth (`setDepth`).
 *
 * A model's functions are pure: the same order, event, market and fees give the same
 * fills, so a model is seeded and deterministic by construction. What a model needs
 * to remember about one order between events (the volume ahead of it in the queue)
 * it hands back in its answer as `queueAhead`, and gets again with the order's next
 * question.
 */
import type * as D from "./Decimal.ts"
import type { OrderSide, OrderType } from "./OrderRecord.ts"

/** One price level of a book: a price and the quantity resting at it. */
export interface BookLevel {
  readonly price: D.Decimal
  readonly quantity: D.Decimal
}

/** Something that happened on one market, as the dry run is told it. */
export type MarketEvent =
  /** The program moved the simulated price (`DryRunMarket.setPrice`, the demo's walk). */
  | { readonly _tag: "PriceMove"; readonly symbol: string; readonly price: D.Decimal; readonly timestamp: number }
  /** A trade printed on the market's tape; `aggressor` is the side that took liquidity. */
  | {
    readonly _tag: "TradePrint"
    readonly symbol: string
    readonly price: D.Decimal
    readonly quantity: D.Decimal
    readonly aggressor: OrderSide
    readonly timestamp: number
  }
  /** The market's book, best level first on each side. */
  | {
    readonly _tag: "BookSnapshot"
    readonly symbol: string
    readonly bids: ReadonlyArray<BookLevel>
    readonly asks: ReadonlyArray<BookLevel>
    readonly timestamp: number
  }

/** What the dry run knows of one market when it asks the model. */
export interface MarketState {
  readonly symbol: string
  /** The last price (a price move or a trade print), when one is known. */
  readonly last: D.Decimal | undefined
  /** The latest book, when the market gives one. */
  readonly book: Extract<MarketEvent, { readonly _tag: "BookSnapshot" }> | undefined
  /** The most one fill may take in the simulated market (`DryRunMarket.setDepth`); unlimited when `undefined`. */
  readonly depth: D.Decimal | undefined
}

/** The fee rates of the account, by the liquidity a fill made or took; charged in the asset received. */
export interface FeeSchedule {
  readonly maker: D.Decimal
  readonly taker: D.Decimal
}

/** What a model sees of an order: enough to decide its fills, nothing to change. */
export interface FillOrder {
  readonly id: string
  readonly side: OrderSide
  readonly type: OrderType
  /** The limit price of an order that has one (a triggered stop-limit's limit); `undefined` for a market or stop-market order. */
  readonly limit: D.Decimal | undefined
  /** A stop-loss or take-profit order's trigger price (its trigger has fired, or the model would not be asked). */
  readonly triggerPrice: D.Decimal | undefined
  readonly quantity: D.Decimal
  readonly filled: D.Decimal
  /** When the order reached the book. */
  readonly placedAt: number
  /** What the model said was ahead of the order in the queue after its last answer; `undefined` before any. */
  readonly queueAhead: D.Decimal | undefined
}

/** One fill a model gives: a trade of the order. */
export interface Fill {
  readonly price: D.Decimal
  /** Positive, and with the order's other fills of one answer at most what is left of it. */
  readonly quantity: D.Decimal
  readonly liquidity: "maker" | "taker"
  /** The fee rate charged on this fill, in the asset received (usually the schedule's rate for `liquidity`). */
  readonly feeRate: D.Decimal
}

/** A model's answer for one order: its fills (none, one, or a book walk's several), and what it keeps of the order's queue. */
export interface FillDecision {
  readonly fills: ReadonlyArray<Fill>
  /** The volume left ahead of the order in the queue, for its next question; `undefined` when the model keeps none. */
  readonly queueAhead?: D.Decimal | undefined
}

export interface FillModel {
  /** A short name, for logs and reports. */
  readonly name: string
  /**
   * An order that arrives to trade: a market order, a limit order when placed, a
   * stop order when its trigger fires. Its fills take liquidity (a limit order that
   * does not meet the market gives none and rests). A market order's rest that
   * this leaves unfilled expires, as on Binance.
   */
  arrive(order: FillOrder, market: MarketState, fees: FeeSchedule): FillDecision
  /**
   * A resting order, after `event` changed its market (`market` already includes the
   * event). Asked once per working order on the event's market, oldest first.
   */
  rest(order: FillOrder, event: MarketEvent, market: MarketState, fees: FeeSchedule): FillDecision
}

/** The answer that fills nothing. */
export const NO_FILLS: FillDecision = { fills: [] }
