/**
 * What tests see of the Binance test server (./../BinanceServer.ts): its options,
 * its control and inspection API, and the shapes that API returns.
 */
import type { FaultMatch } from "./faults.ts"
import type { BanOptions, RateLimitRule } from "./limits.ts"
import type { SymbolOverrides } from "./markets.ts"
import type { UserStreamControls } from "./userStream.ts"
import type { WsApiControls } from "./wsApi.ts"
import type { BinanceOrderJson, BinanceOrderListJson } from "./wire.ts"

export interface BinanceServerOptions {
  /** Default "test-api-key". */
  readonly apiKey?: string
  /** Default "test-secret". */
  readonly secret?: string
  /** Initial free balances, e.g. `{ USDT: "1000" }`; every other asset starts at 0. */
  readonly balances?: Readonly<Record<string, string>>
  /** Initial last prices by Binance symbol id, e.g. `{ HBARUSDT: "0.05" }`. */
  readonly prices?: Readonly<Record<string, string>>
  /** Request weight per sliding minute; Binance.US: 1200. */
  readonly weightLimitPerMinute?: number
  /** New orders per sliding 10 s; Binance.US: 100. */
  readonly orderLimitPer10s?: number
  /** New orders per sliding day; Binance.US: 200 000. */
  readonly orderLimitPerDay?: number
  /**
   * The limits in force, as `exchangeInfo.rateLimits` states them (REQUEST_WEIGHT and
   * ORDERS rules, any interval): they replace the three options above. Tests set
   * short, low windows this way, e.g. 20 orders per 1 SECOND.
   */
  readonly rateLimits?: ReadonlyArray<RateLimitRule>
  /**
   * A 429 `-1015` (too many orders) without `Retry-After` or order-count headers, as
   * Binance.US documents it may come. Default false: with both.
   */
  readonly bareOrderLimitRefusal?: boolean
  /** When repeated violations end in a 418 IP ban, and for how long (see ./limits.ts). */
  readonly ban?: BanOptions
  /** A fixed delay before every answer (requests are processed at once). */
  readonly latencyMs?: number
  /** Commission on the received asset of every fill, e.g. "0.001"; default "0". */
  readonly feeRate?: string
  /** Commission of maker fills (resting orders filled later); `feeRate` when absent. */
  readonly makerFeeRate?: string
  /** Commission of taker fills (market orders, limit orders crossing when placed); `feeRate` when absent. */
  readonly takerFeeRate?: string
  /** How many of the latest requests `requestLog()` keeps; default 10 000. */
  readonly requestLogLimit?: number
  /** The server closes a user-stream connection after this long; Binance: 24 h (the default). */
  readonly userStreamMaxConnectionMs?: number
  /**
   * Changes to symbols' exchangeInfo entries, e.g. Binance spot's seven order types
   * (Binance.US lists no STOP_LOSS or TAKE_PROFIT) or `ocoAllowed: false`.
   */
  readonly symbolOverrides?: SymbolOverrides
}

export interface RequestLogEntry {
  readonly method: string
  readonly path: string
  /** Server time (with skew) when the request arrived. */
  readonly timestamp: number
  /** Query and body parameters, without `signature`. */
  readonly params: Readonly<Record<string, string>>
  /** The HTTP status sent, if any. */
  readonly status: number | undefined
  /** "pending": not answered yet (delayed), or the client left before the late answer. */
  readonly outcome: "answered" | "dropped" | "processedThenDropped" | "hung" | "pending"
}

export interface BinanceServerCounters {
  readonly requests: number
  /** Orders the server accepted (any final status). */
  readonly created: number
  /** Answers 429: past a limit, or injected. */
  readonly status429: number
  /** Answers 418: during a ban, or injected. */
  readonly status418: number
  /** Requests that arrived while the IP was banned (each lengthened the ban). */
  readonly duringBan: number
  readonly status5xx: number
  readonly dropped: number
}

/** An order by its exchange id or its client id. */
export type OrderRef = { readonly orderId: number } | { readonly clientOrderId: string }

/** A past order for `seedOrders`. */
export interface SeedOrder {
  readonly time: number
  readonly side: "BUY" | "SELL"
  readonly price: string
  readonly quantity: string
  readonly filled?: boolean
}

export interface BinanceServer {
  readonly url: string
  readonly port: number
  readonly apiKey: string
  close(): Promise<void>
  /** Sets a symbol's last price (e.g. "HBARUSDT", "0.05"): triggers the stops it reaches, fills the orders it crosses. */
  setPrice(symbol: string, price: string): void
  /** Sets an asset's free balance; its locked part is untouched. */
  setBalance(asset: string, free: string): void
  balances(): Record<string, { readonly free: string; readonly locked: string }>
  /** Every order the server holds, oldest first, in Binance's query format. */
  orders(): ReadonlyArray<BinanceOrderJson>
  openOrders(symbol?: string): ReadonlyArray<BinanceOrderJson>
  /** Every OCO the server holds, oldest first, in Binance's query format. */
  orderLists(): ReadonlyArray<BinanceOrderListJson>
  /**
   * Fills (part of) a working order as a maker, as one trade of its own (own trade
   * id, own commission): `qty` defaults to all that remains, `price` to its limit
   * price (a market-like order's: the last price). A leg of an executing OCO ends
   * the list as a Binance fill does. Throws for a closed or untriggered order.
   */
  fillOrder(symbol: string, ref: OrderRef, qty?: string, price?: string): void
  /**
   * Caps each fill the server makes by itself on `symbol` at `qty` (undefined:
   * no cap; "0": no liquidity): a taker order fills that much and its rest rests
   * (limit) or expires (market, IOC; a FOK that cannot fill whole fills nothing);
   * each later `setPrice` that crosses a resting order fills at most that much
   * again. Tests get PARTIALLY_FILLED states, one trade per fill, this way.
   */
  setDepth(symbol: string, qty: string | undefined): void
  /**
   * From now on `myTrades` leaves out the trades of this order (an exchange whose trade
   * index lags, or never lists them); its order queries still show its fills.
   */
  unlistTrades(symbol: string, ref: OrderRef): void
  /**
   * Places past orders as if each had been sent at its `time` (epoch ms, the server
   * clock's): LIMIT GTC orders at `price`, filled whole at it then (one trade at that
   * time) when `filled`. They need the funds an order sent then would. Gives their ids.
   */
  seedOrders(symbol: string, orders: ReadonlyArray<SeedOrder>): ReadonlyArray<number>
  /** Adds `amount` (negative: withdraws) to an asset's free balance, announced as `balanceUpdate`. */
  deposit(asset: string, amount: string): void
  /** The user data stream's inspection and fault controls. */
  readonly userStream: UserStreamControls
  /** The WebSocket API's (`/ws-api/v3`) inspection and fault controls. */
  readonly wsApi: WsApiControls
  requestLog(): ReadonlyArray<RequestLogEntry>
  counters(): BinanceServerCounters
  /** Server clock = local clock + skew (ms); -20_000 puts the server 20 s behind its clients. */
  setClockSkew(ms: number): void
  serverTime(): number
  /** Until when (local clock, ms) the IP is banned; 0 when it never was. */
  banEnd(): number
  /** Back to the initial balances and prices; forgets orders, lists, depths, faults, logs, counters, rate windows and skew. */
  reset(): void
  dropBeforeProcessing(match?: FaultMatch): void
  processThenDrop(match?: FaultMatch): void
  /** 502/503/504 plain pages; 500 with -1001; 503 with -1008 when `binanceBody`; optionally after processing. */
  status5xx(status: 500 | 502 | 503 | 504, match?: FaultMatch & { readonly binanceBody?: boolean; readonly afterProcessing?: boolean }): void
  delay(ms: number, match?: FaultMatch): void
  hang(match?: FaultMatch & { readonly afterProcessing?: boolean }): void
  binanceError(httpStatus: number, code: number, msg: string, match?: FaultMatch): void
  /** A 429 or 418 with `Retry-After`, without processing; answered `answerAfterMs` after the request arrived (default at once). */
  rateLimit(status: 429 | 418, retryAfterSeconds: number, match?: FaultMatch & { readonly answerAfterMs?: number }): void
  clearFaults(): void
  pendingFaults(): number
}
