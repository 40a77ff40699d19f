/**
 * The dry run's default fill model (`FillModel`): the market is one last price,
 * moved by the program (`DryRunMarket.setPrice`) or by trades printed on a tape, and
 * every order meeting it fills at once, up to the simulated depth (`setDepth`).
 *
 * - An order that arrives (a market order, a limit order crossing the last price
 *   when placed, a stop order whose trigger fired) takes liquidity: it fills at the
 *   last price, as a taker, paying the taker fee.
 * - A resting order that a later price crosses makes liquidity: it fills at its own
 *   limit, as a maker, paying the maker fee. (A stop-market order the depth left
 *   partly filled rests at its trigger price.)
 * - Each fill takes at most the depth, so a capped order fills in parts, one per
 *   price event. A book snapshot fills nothing: only a price or a trade does.
 *
 * It keeps no queue: an order at the touch is filled ahead of everyone else, so its
 * results are an optimistic bound for a bot living on small edges.
 */
import * as D from "../../services/Decimal.ts"
import { type FeeSchedule, type Fill, type FillDecision, type FillModel, type FillOrder, type MarketEvent, type MarketState, NO_FILLS } from "../../services/FillModel.ts"

/** What one fill of `order` may take: the rest of it, at most the market's depth. */
export const fillableOf = (order: FillOrder, market: MarketState): D.Decimal => {
  const rest = D.sub(order.quantity, order.filled)
  return market.depth === undefined ? rest : D.min(rest, market.depth)
}

/** One fill of all that `order` may take at `price`, or none when it may take nothing. */
const fillAt = (order: FillOrder, market: MarketState, price: D.Decimal, liquidity: Fill["liquidity"], fees: FeeSchedule): FillDecision => {
  const quantity = fillableOf(order, market)
  if (!D.isPositive(quantity)) return NO_FILLS
  return { fills: [{ price, quantity, liquidity, feeRate: liquidity === "maker" ? fees.maker : fees.taker }] }
}

/**
 * Whether a `side` order at `limit` meets the market at `price` (`DryRunChecks.crossesAt`'s
 * rule, with one comparison: every resting order is asked this on every price move).
 */
const meets = (side: FillOrder["side"], limit: D.Decimal, price: D.Decimal): boolean =>
  side === "buy" ? D.lte(price, limit) : D.gte(price, limit)

/** The price an event trades at: a price move's or a trade print's; a book snapshot trades nothing. */
const tradedPrice = (event: MarketEvent): D.Decimal | undefined => (event._tag === "BookSnapshot" ? undefined : event.price)

export const lastPriceFillModel: FillModel = {
  name: "last-price",
  arrive: (order, market, fees) => {
    const last = market.last
    if (last === undefined) return NO_FILLS
    if (order.limit !== undefined && !meets(order.side, order.limit, last)) return NO_FILLS
    return fillAt(order, market, last, "taker", fees)
  },
  rest: (order, event, market, fees) => {
    const price = tradedPrice(event)
    const restsAt = order.limit ?? order.triggerPrice
    if (price === undefined || restsAt === undefined || !meets(order.side, restsAt, price)) return NO_FILLS
    return fillAt(order, market, restsAt, "maker", fees)
  }
}
