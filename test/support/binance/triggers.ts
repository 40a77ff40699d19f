/**
 * When Binance's stop orders trigger (rest-api.md, "Trigger order price rules
 * against market price"): a SELL STOP_LOSS(_LIMIT) when the last price falls to
 * or below its stopPrice, a BUY one when it rises to or above; TAKE_PROFIT(_LIMIT)
 * the other way round. A stop whose condition already holds at placement is
 * refused (-2010), and so is an OCO whose prices break "SELL: limit > last > stop,
 * BUY: limit < last < stop".
 */
import * as D from "./decimal.ts"
import type { Dec } from "./decimal.ts"
import { OCO_BAD_PRICES, rejected, WOULD_TRIGGER } from "./errors.ts"
import type { Side } from "./orders.ts"

/** A stop order of `type` and `side` with trigger `stopPrice` fires at the last price `last`. */
export const triggers = (type: string, side: Side, stopPrice: Dec, last: Dec): boolean => {
  const stopLoss = type === "STOP_LOSS" || type === "STOP_LOSS_LIMIT"
  const fallsTo = (side === "SELL") === stopLoss
  return fallsTo ? D.lte(last, stopPrice) : D.gte(last, stopPrice)
}

/** -2010 when the stop would fire at the current last price (none known: nothing to check). */
export const checkNotTriggered = (type: string, side: Side, stopPrice: Dec, last: Dec | undefined): void => {
  if (last !== undefined && triggers(type, side, stopPrice, last)) rejected(WOULD_TRIGGER)
}

/** An OCO's price relationship; without a last price, limit and stop still lie on their sides. */
export const checkOcoPrices = (side: Side, limit: Dec, stop: Dec, last: Dec | undefined): void => {
  const [low, high] = side === "SELL" ? [stop, limit] : [limit, stop]
  const ordered = last === undefined ? D.lt(low, high) : D.lt(low, last) && D.lt(last, high)
  if (!ordered) rejected(OCO_BAD_PRICES)
}
