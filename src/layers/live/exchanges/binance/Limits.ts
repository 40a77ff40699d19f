/**
 * What each request costs on Binance and what Binance says about its limits, for the
 * request budget (`budget.ts`): the weight of each kind of request (binance.com's and
 * Binance.US's tables, which differ), the limits `exchangeInfo.rateLimits`
 * advertises, and the usage headers every answer carries.
 *
 * Binance.US's weights are from its REST API documentation (binance-us-api-docs,
 * rest-api.md), binance.com's from its spot API documentation; both with a symbol
 * where the weight depends on it.
 */
import type { BudgetLimits, Usage, WindowLimit } from "../../budget.ts"

/** What a request is, for its weight, its budget and its log line. */
export type RequestKind =
  | "markets"
  | "time"
  | "ticker"
  | "submit"
  | "fetchOrder"
  | "cancel"
  | "cancelAll"
  | "openOrders"
  | "orders"
  | "balances"
  /** An OCO order list: one request, two orders. */
  | "submitList"
  | "fetchList"
  | "cancelList"
  | "trades"
  /** The user data stream's listenKey: create, keep alive (`/api/v3/userDataStream`). */
  | "listenKey"

/** How many orders a request of each kind places, for the exchange's order-rate limits. */
export const ordersPlaced = (kind: RequestKind): number => (kind === "submit" ? 1 : kind === "submitList" ? 2 : 0)

/** binance.com spot request weights (with a symbol, where that matters). */
export const BINANCE_WEIGHT: Readonly<Record<RequestKind, number>> = {
  markets: 20,
  time: 1,
  ticker: 2,
  submit: 1,
  fetchOrder: 4,
  cancel: 1,
  cancelAll: 1,
  openOrders: 6,
  orders: 20,
  balances: 20,
  submitList: 1,
  fetchList: 4,
  cancelList: 1,
  trades: 20,
  listenKey: 2
}

/**
 * Binance.US spot request weights: `exchangeInfo` 10, `ticker/24hr` 1 (one symbol),
 * `GET order` 2, `openOrders` 3 (one symbol), `allOrders`, `account` and `myTrades`
 * 10, `orderList` 2, `userDataStream` 1; orders, cancels and OCOs 1.
 */
export const BINANCEUS_WEIGHT: Readonly<Record<RequestKind, number>> = {
  markets: 10,
  time: 1,
  ticker: 1,
  submit: 1,
  fetchOrder: 2,
  cancel: 1,
  cancelAll: 1,
  openOrders: 3,
  orders: 10,
  balances: 10,
  submitList: 1,
  fetchList: 2,
  cancelList: 1,
  trades: 10,
  listenKey: 1
}

/** Requests that need the API key: one succeeding proves the credentials work. */
export const PRIVATE_REQUESTS: ReadonlySet<RequestKind> = new Set([
  "submit",
  "fetchOrder",
  "cancel",
  "cancelAll",
  "openOrders",
  "orders",
  "balances",
  "submitList",
  "fetchList",
  "cancelList",
  "trades"
])

const INTERVAL_MS: Readonly<Record<string, number>> = { SECOND: 1000, MINUTE: 60_000, HOUR: 3_600_000, DAY: 86_400_000 }

/** Every REQUEST_WEIGHT and ORDERS window of a Binance `exchangeInfo.rateLimits` array. */
export const limitsFromBinance = (rateLimits: unknown): BudgetLimits => {
  if (!Array.isArray(rateLimits)) return {}
  const weight: Array<WindowLimit> = []
  const orders: Array<WindowLimit> = []
  for (const r of rateLimits as ReadonlyArray<unknown>) {
    if (typeof r !== "object" || r === null) continue
    const { rateLimitType, interval, intervalNum, limit } = r as Record<string, unknown>
    const unit = typeof interval === "string" ? INTERVAL_MS[interval] : undefined
    const n = Number(intervalNum ?? 1)
    const l = Number(limit)
    if (unit === undefined || !(n > 0) || !(l > 0)) continue
    if (rateLimitType === "REQUEST_WEIGHT") weight.push({ limit: l, windowMs: unit * n })
    if (rateLimitType === "ORDERS") orders.push({ limit: l, windowMs: unit * n })
  }
  return { ...(weight.length === 0 ? {} : { weight }), ...(orders.length === 0 ? {} : { orders }) }
}

const LETTER_MS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/** `x-mbx-used-weight-1m`, `X-MBX-ORDER-COUNT-10S`, … (any case): kind and window. */
const USAGE_HEADER = /^x-mbx-(used-weight|order-count)-(\d+)([smhd])$/i

/**
 * The usage Binance reports in one answer's headers: `X-MBX-USED-WEIGHT-(n)(unit)`
 * (the IP's weight) and `X-MBX-ORDER-COUNT-(n)(unit)` (the account's orders), one per
 * window the exchange enforces. The unsuffixed legacy `x-mbx-used-weight` is ignored.
 */
export const usageFromHeaders = (headers: unknown): Array<Usage> => {
  const out: Array<Usage> = []
  if (typeof headers !== "object" || headers === null) return out
  for (const name in headers) {
    const m = USAGE_HEADER.exec(name)
    if (m === null) continue
    const used = Number((headers as Record<string, unknown>)[name])
    if (!Number.isFinite(used)) continue
    out.push({ kind: m[1]!.toLowerCase() === "used-weight" ? "weight" : "orders", windowMs: Number(m[2]) * LETTER_MS[m[3]!.toLowerCase()]!, used })
  }
  return out
}
