/**
 * The create's funds check against the balances the venue knows without a request
 * (the user stream's, while it is up): an order the free balance cannot cover fails
 * as the exchange would fail it (`ExchangeError`, `InsufficientFunds`), before its
 * intent is journaled or anything is sent. When no such balances are known (no
 * stream, or it is down) the exchange is the judge, as before.
 *
 * A sell needs its quantity of the base asset; a buy with a limit price needs price ×
 * quantity of the quote asset. A market buy's cost is not known in advance, so it is
 * left to the exchange.
 */
import { Effect, Option } from "effect"
import { ExchangeError } from "../../errors/ExchangeError.ts"
import * as D from "../../services/Decimal.ts"
import type { MarketRules } from "../../services/MarketRules.ts"
import type { SubmitOrder, VenueService } from "../../services/Venue.ts"

/** What `order` locks: the asset and amount, when known in advance. */
const needs = (order: SubmitOrder, rules: MarketRules): Option.Option<{ readonly asset: string; readonly amount: D.Decimal }> =>
  order.side === "sell"
    ? Option.some({ asset: rules.base, amount: order.quantity })
    : Option.map(order.price, (price) => ({ asset: rules.quote, amount: D.mul(price, order.quantity) }))

export const checkFunds = (venue: VenueService, op: string, order: SubmitOrder, rules: MarketRules): Effect.Effect<void, ExchangeError> =>
  Effect.flatMap(venue.knownBalances, (known) => {
    const need = needs(order, rules)
    if (Option.isNone(known) || Option.isNone(need)) return Effect.void
    const { amount, asset } = need.value
    const free = known.value.get(asset)?.free ?? D.ZERO
    if (D.gte(free, amount)) return Effect.void
    return Effect.fail(
      new ExchangeError({
        operation: op,
        symbol: order.symbol,
        clientOrderId: order.clientOrderId,
        reason: "InsufficientFunds",
        detail: `the order needs ${D.format(amount)} ${asset} and ${D.format(free)} is free (the stream's balance; nothing was sent)`
      })
    )
  })
