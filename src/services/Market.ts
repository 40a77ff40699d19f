/**
 * A market as orderops knows it: its symbol, its two currencies and the rules an
 * order must meet there, as data. In a module of its own so that the checks over it
 * (`MarketRules.ts` for orders, `TriggerRules.ts` for trigger prices) both read it
 * and neither imports the other for it.
 */
import type { Option } from "effect"
import type * as D from "./Decimal.ts"
import type { OrderType } from "./OrderRecord.ts"

/** A market's rules: what `validateOrder` (`MarketRules.ts`) checks an order against. */
export interface MarketRules {
  readonly symbol: string
  readonly base: string
  readonly quote: string
  /** Price increment. */
  readonly tickSize: D.Decimal
  /** Quantity increment (lot step). */
  readonly stepSize: D.Decimal
  readonly minQuantity: D.Decimal
  readonly maxQuantity: Option.Option<D.Decimal>
  readonly minPrice: Option.Option<D.Decimal>
  readonly maxPrice: Option.Option<D.Decimal>
  /** Minimum price × quantity, in the quote currency. Zero when the market has none. */
  readonly minNotional: D.Decimal
  readonly maxOpenOrders: Option.Option<number>
  readonly orderTypes: ReadonlyArray<OrderType>
  /** Whether the market takes OCO order lists (Binance's `ocoAllowed`). */
  readonly ocoAllowed: boolean
}
