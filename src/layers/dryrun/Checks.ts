/**
 * The paper exchange's checks of one new order, as Binance makes them, apart from
 * the book (`Book.ts`, `Simulator.ts`) so that what is refused, and why, reads in one
 * place: a known market, a fresh client order id, amounts on the grid, room on the
 * book, a trigger the last price has not reached yet, and a limit-maker that would
 * not take. The engine validated the order already; these guard the book itself.
 */
import { Option, Result } from "effect"
import { ExchangeError, type ExchangeReason } from "../../errors/ExchangeError.ts"
import * as D from "../../services/Decimal.ts"
import type { MarketRules } from "../../services/MarketRules.ts"
import { bySide, hasLimitPrice, isTriggerType, type OrderSide } from "../../services/OrderRecord.ts"
import { fires, triggerKindOf } from "../../services/TriggerRules.ts"
import type { SubmitOrder } from "../../services/Venue.ts"

/** Whether a `side` order at `limit` meets the market at `price`. */
export const crossesAt = (side: OrderSide, limit: D.Decimal, price: D.Decimal): boolean =>
  bySide(side, { buy: D.lte(price, limit), sell: D.gte(price, limit) })

/** What the book says about the order's market. */
export interface BookState {
  /** The last price, when one was set. */
  readonly market: D.Decimal | undefined
  /** How many orders are open on the market. */
  readonly openOrders: number
  /** Whether an open order already has the client order id. */
  readonly clientIdTaken: boolean
}

/**
 * Checks `req` against its market's `rules` and the book. Gives the price its funds
 * are counted at (its limit, a stop's trigger, or a market order's last price), or
 * the refusal as the exchange words it.
 */
export const checkOrder = (
  op: string,
  req: SubmitOrder,
  rules: MarketRules | undefined,
  book: BookState
): Result.Result<D.Decimal, ExchangeError> => {
  const no = (reason: ExchangeReason, detail: string) =>
    Result.fail(new ExchangeError({ operation: op, symbol: req.symbol, clientOrderId: req.clientOrderId, reason, detail }))
  if (rules === undefined) return no("MarketClosed", "unknown market")
  if (book.clientIdTaken) return no("DuplicateClientOrderId", "Duplicate order sent.")
  if (!D.isMultipleOf(req.quantity, rules.stepSize)) return no("InvalidOrder", `Filter failure: LOT_SIZE (${D.format(req.quantity)})`)
  const { market } = book
  const onTick = (p: Option.Option<D.Decimal>) => Option.isNone(p) || D.isMultipleOf(p.value, rules.tickSize)
  if (hasLimitPrice(req.type) && Option.isNone(req.price)) return no("InvalidOrder", `${req.type} order without price`)
  if (isTriggerType(req.type) && Option.isNone(req.triggerPrice)) return no("InvalidOrder", `${req.type} order without trigger price`)
  if (!onTick(req.price) || !onTick(req.triggerPrice)) return no("InvalidOrder", "Filter failure: PRICE_FILTER")
  if (req.type !== "market" && Option.isSome(rules.maxOpenOrders) && book.openOrders >= rules.maxOpenOrders.value) {
    return no("InvalidOrder", "Filter failure: MAX_NUM_ORDERS")
  }
  if (market !== undefined && isTriggerType(req.type) && fires(triggerKindOf(req.type), req.side, Option.getOrThrow(req.triggerPrice), market)) {
    return no("WouldTriggerImmediately", "Stop price would trigger immediately.")
  }
  if (market !== undefined && req.type === "limit-maker" && crossesAt(req.side, Option.getOrThrow(req.price), market)) {
    return no("WouldTriggerImmediately", "Order would immediately match and take.")
  }
  const lockPrice = Option.getOrUndefined(Option.orElse(req.price, () => req.triggerPrice)) ?? market
  return lockPrice === undefined ? no("InvalidOrder", "no market price yet: set one with DryRunMarket.setPrice") : Result.succeed(lockPrice)
}
