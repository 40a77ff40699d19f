/**
 * Symbols for the Binance test server: the `info` objects of the recorded ccxt
 * binanceus markets fixture (exactly what `GET /api/v3/exchangeInfo` returned),
 * plus a synthesized HBARUSDT (order types and flags as Binance.US lists them for
 * its symbols), parsed into the filter rules the server enforces. A server option
 * can override any symbol's entry (e.g. the order types Binance spot allows).
 */
import { readFileSync } from "node:fs"
import { type Dec, dec } from "./decimal.ts"
import type { RateLimitRule } from "./limits.ts"

/** ../shared beside the repository: /work/shared locally, X/shared beside X/ci-check in CI. */
const FIXTURE = new URL("../../fixtures/ccxt/markets/binanceus.json", import.meta.url)

export type SymbolInfo = Record<string, unknown> & {
  readonly symbol: string
  readonly status: string
  readonly baseAsset: string
  readonly quoteAsset: string
  readonly orderTypes: ReadonlyArray<string>
  readonly filters: ReadonlyArray<Record<string, unknown>>
}

export interface SymbolRules {
  readonly symbol: string
  readonly base: string
  readonly quote: string
  readonly info: SymbolInfo
  readonly price?: { readonly min: Dec; readonly max: Dec; readonly tick: Dec }
  readonly percentPrice?: { readonly up: Dec; readonly down: Dec }
  readonly lot?: { readonly min: Dec; readonly max: Dec; readonly step: Dec }
  readonly marketLot?: { readonly min: Dec; readonly max: Dec; readonly step: Dec }
  /** MIN_NOTIONAL (legacy) or NOTIONAL; `filter` is the name Binance reports on failure. */
  readonly notional?: {
    readonly filter: "MIN_NOTIONAL" | "NOTIONAL"
    readonly min: Dec
    readonly max?: Dec
    readonly minToMarket: boolean
    readonly maxToMarket: boolean
  }
  readonly maxNumOrders?: number
  readonly maxNumAlgoOrders?: number
}

export const HBARUSDT: SymbolInfo = {
  symbol: "HBARUSDT",
  status: "TRADING",
  baseAsset: "HBAR",
  baseAssetPrecision: "8",
  quoteAsset: "USDT",
  quotePrecision: "8",
  quoteAssetPrecision: "8",
  baseCommissionPrecision: "8",
  quoteCommissionPrecision: "8",
  orderTypes: ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"],
  icebergAllowed: true,
  ocoAllowed: true,
  quoteOrderQtyMarketAllowed: true,
  allowTrailingStop: false,
  cancelReplaceAllowed: true,
  isSpotTradingAllowed: true,
  isMarginTradingAllowed: false,
  filters: [
    { filterType: "PRICE_FILTER", minPrice: "0.00001000", maxPrice: "1000.00000000", tickSize: "0.00001000" },
    { filterType: "LOT_SIZE", minQty: "1.00000000", maxQty: "9000000.00000000", stepSize: "1.00000000" },
    { filterType: "MIN_NOTIONAL", minNotional: "1.00000000", applyToMarket: true, avgPriceMins: "5" },
    { filterType: "MAX_NUM_ORDERS", maxNumOrders: "200" },
    { filterType: "MAX_NUM_ALGO_ORDERS", maxNumAlgoOrders: "5" }
  ],
  permissions: ["SPOT"],
  defaultSelfTradePreventionMode: "EXPIRE_MAKER",
  allowedSelfTradePreventionModes: ["EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH"]
}

/** Changes to symbols' exchangeInfo entries by symbol id, e.g. `{ HBARUSDT: { ocoAllowed: false } }`. */
export type SymbolOverrides = Readonly<Record<string, Partial<SymbolInfo>>>

/** The fixture's symbols (its markets' `info`) followed by HBARUSDT, each with its `overrides`. */
export const loadSymbolInfos = (overrides: SymbolOverrides = {}): ReadonlyArray<SymbolInfo> => {
  const markets = JSON.parse(readFileSync(FIXTURE, "utf8")) as Record<string, { readonly info: SymbolInfo }>
  const fixture = Object.values(markets).map((m) => m.info)
  const infos = fixture.some((i) => i.symbol === HBARUSDT.symbol) ? fixture : [...fixture, HBARUSDT]
  for (const symbol of Object.keys(overrides)) {
    if (!infos.some((i) => i.symbol === symbol)) throw new Error(`BinanceServer: no symbol ${symbol} to override`)
  }
  return infos.map((i) => ({ ...i, ...overrides[i.symbol] }))
}

const str = (f: Record<string, unknown>, key: string): string => String(f[key] ?? "0")
const bool = (f: Record<string, unknown>, key: string): boolean => f[key] === true || f[key] === "true"

export const symbolRules = (info: SymbolInfo): SymbolRules => {
  let rules: SymbolRules = { symbol: info.symbol, base: info.baseAsset, quote: info.quoteAsset, info }
  for (const f of info.filters) {
    switch (f["filterType"]) {
      case "PRICE_FILTER":
        rules = { ...rules, price: { min: dec(str(f, "minPrice")), max: dec(str(f, "maxPrice")), tick: dec(str(f, "tickSize")) } }
        break
      case "PERCENT_PRICE":
        rules = { ...rules, percentPrice: { up: dec(str(f, "multiplierUp")), down: dec(str(f, "multiplierDown")) } }
        break
      case "LOT_SIZE":
        rules = { ...rules, lot: { min: dec(str(f, "minQty")), max: dec(str(f, "maxQty")), step: dec(str(f, "stepSize")) } }
        break
      case "MARKET_LOT_SIZE":
        rules = { ...rules, marketLot: { min: dec(str(f, "minQty")), max: dec(str(f, "maxQty")), step: dec(str(f, "stepSize")) } }
        break
      case "MIN_NOTIONAL":
        rules = {
          ...rules,
          notional: { filter: "MIN_NOTIONAL", min: dec(str(f, "minNotional")), minToMarket: bool(f, "applyToMarket"), maxToMarket: false }
        }
        break
      case "NOTIONAL":
        rules = {
          ...rules,
          notional: {
            filter: "NOTIONAL",
            min: dec(str(f, "minNotional")),
            max: dec(str(f, "maxNotional")),
            minToMarket: bool(f, "applyMinToMarket"),
            maxToMarket: bool(f, "applyMaxToMarket")
          }
        }
        break
      case "MAX_NUM_ORDERS":
        rules = { ...rules, maxNumOrders: Number(f["maxNumOrders"] ?? f["limit"]) }
        break
      case "MAX_NUM_ALGO_ORDERS":
        rules = { ...rules, maxNumAlgoOrders: Number(f["maxNumAlgoOrders"] ?? f["limit"]) }
        break
    }
  }
  return rules
}

const finite = (n: number): number => (Number.isFinite(n) ? n : 1_000_000_000)

/** What Binance.US advertises in `exchangeInfo.rateLimits`, with the server's limits in force. */
export const advertisedLimits = (rules: ReadonlyArray<RateLimitRule>): ReadonlyArray<Record<string, unknown>> => [
  ...rules.map((r) => ({ ...r, limit: finite(r.limit) })),
  { rateLimitType: "RAW_REQUESTS", interval: "MINUTE", intervalNum: 5, limit: 6100 }
]
