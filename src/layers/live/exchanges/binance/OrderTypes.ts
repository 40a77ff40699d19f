/**
 * Binance spot's words for the order types orderops places, as its requests, its
 * answers and its `exchangeInfo` (`orderTypes`) spell them.
 */
import type { OrderType } from "../../../../services/OrderRecord.ts"

export const BINANCE_ORDER_TYPES: Readonly<Record<OrderType, string>> = {
  limit: "LIMIT",
  market: "MARKET",
  "limit-maker": "LIMIT_MAKER",
  "stop-loss": "STOP_LOSS",
  "stop-loss-limit": "STOP_LOSS_LIMIT",
  "take-profit": "TAKE_PROFIT",
  "take-profit-limit": "TAKE_PROFIT_LIMIT"
}
