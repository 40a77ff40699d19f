/**
 * Binance spot's words for the order types and sides orderops places, as its
 * requests, its answers and its `exchangeInfo` (`orderTypes`) spell them.
 */
import { bySide, type OrderSide, type OrderType } from "../../../../services/OrderRecord.ts"

/** A side as Binance's requests spell it: each side its own word, nothing else a SELL. */
export const binanceSide = (side: OrderSide): "BUY" | "SELL" => bySide(side, { buy: "BUY", sell: "SELL" })

export const BINANCE_ORDER_TYPES: Readonly<Record<OrderType, string>> = {
  limit: "LIMIT",
  market: "MARKET",
  "limit-maker": "LIMIT_MAKER",
  "stop-loss": "STOP_LOSS",
  "stop-loss-limit": "STOP_LOSS_LIMIT",
  "take-profit": "TAKE_PROFIT",
  "take-profit-limit": "TAKE_PROFIT_LIMIT"
}
