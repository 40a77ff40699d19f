/**
 * The Binance test server's public market-data endpoints (ping, time, system
 * status, exchangeInfo, tickers, avgPrice, depth), answered from the engine's
 * last prices with one deep level at the last price on each side.
 */
import * as D from "./decimal.ts"
import type { Engine } from "./engine.ts"
import { fail } from "./errors.ts"
import type { SymbolInfo } from "./markets.ts"
import type { Params } from "./orders.ts"
import { bySymbol, fixed, type Route } from "./routes.ts"

/** Symbols named by `symbol` or `symbols` (a JSON array), or all of them. */
const selectSymbols = (engine: Engine, p: Params): ReadonlyArray<string> | undefined => {
  if (p["symbol"] !== undefined) return undefined
  if (p["symbols"] === undefined) return [...engine.symbols.keys()]
  let list: unknown
  try {
    list = JSON.parse(p["symbols"])
  } catch {
    list = undefined
  }
  if (!Array.isArray(list)) return fail(-1100, "Illegal characters found in parameter 'symbols'; legal range is '^\\[(\"[A-Z0-9-_.]{1,20}\"(,\"[A-Z0-9-_.]{1,20}\"){0,}){0,1}\\]$'.")
  return list.map((s) => engine.rules(String(s)).symbol)
}

export const marketRoutes = (
  engine: Engine,
  infos: ReadonlyArray<SymbolInfo>,
  clock: () => number,
  limits: ReadonlyArray<Record<string, unknown>>
): ReadonlyArray<readonly [string, Route]> => {
  const price = (symbol: string) => engine.prices.get(symbol)
  const priceStr = (symbol: string) => D.fmt(price(symbol) ?? D.ZERO)
  const ticker24 = (symbol: string) => {
    const last = priceStr(symbol)
    const now = clock()
    return {
      symbol, priceChange: "0.00000000", priceChangePercent: "0.000", weightedAvgPrice: last, prevClosePrice: last,
      lastPrice: last, lastQty: "0.00000000", bidPrice: last, bidQty: "1000.00000000", askPrice: last, askQty: "1000.00000000",
      openPrice: last, highPrice: last, lowPrice: last, volume: "0.00000000", quoteVolume: "0.00000000",
      openTime: now - 86_400_000, closeTime: now, firstId: -1, lastId: -1, count: 0
    }
  }
  const perSymbol = <A>(p: Params, one: (symbol: string) => A): A | ReadonlyArray<A> => {
    const many = selectSymbols(engine, p)
    return many === undefined ? one(engine.rules(p["symbol"]).symbol) : many.map(one)
  }

  return [
    ["GET /api/v3/ping", { signed: false, weight: fixed(1), handle: () => ({}) }],
    ["GET /api/v3/time", { signed: false, weight: fixed(1), handle: () => ({ serverTime: clock() }) }],
    ["GET /sapi/v1/system/status", { signed: false, weight: fixed(1), handle: () => ({ status: 0, msg: "normal" }) }],
    ["GET /api/v3/exchangeInfo", {
      signed: false,
      weight: fixed(10),
      handle: (p) => {
        const wanted = perSymbol(p, (s) => s)
        const names = new Set(typeof wanted === "string" ? [wanted] : wanted)
        return {
          timezone: "UTC",
          serverTime: clock(),
          rateLimits: limits,
          exchangeFilters: [],
          symbols: infos.filter((i) => names.has(i.symbol))
        }
      }
    }],
    ["GET /api/v3/ticker/price", { signed: false, weight: bySymbol(1, 2), handle: (p) => perSymbol(p, (symbol) => ({ symbol, price: priceStr(symbol) })) }],
    ["GET /api/v3/ticker/24hr", { signed: false, weight: bySymbol(1, 40), handle: (p) => perSymbol(p, ticker24) }],
    ["GET /api/v3/ticker/bookTicker", {
      signed: false,
      weight: bySymbol(1, 2),
      handle: (p) =>
        perSymbol(p, (symbol) => ({ symbol, bidPrice: priceStr(symbol), bidQty: "1000.00000000", askPrice: priceStr(symbol), askQty: "1000.00000000" }))
    }],
    ["GET /api/v3/avgPrice", { signed: false, weight: fixed(1), handle: (p) => ({ mins: 5, price: priceStr(engine.rules(p["symbol"]).symbol) }) }],
    ["GET /api/v3/depth", {
      signed: false,
      weight: fixed(1),
      handle: (p) => {
        const symbol = engine.rules(p["symbol"]).symbol
        const level = price(symbol) === undefined ? [] : [[priceStr(symbol), "1000.00000000"]]
        return { lastUpdateId: 1, bids: level, asks: level }
      }
    }],
  ]
}
