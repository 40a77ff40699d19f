/**
 * A Binance.US-compatible REST server for tests and benchmarks, faithful enough
 * that ccxt's unmodified `binanceus` class runs against it end to end over HTTP
 * (point ccxt at it with `pointAt` from src/layers/ccxt/instance.ts, or the `baseUrl` option).
 *
 * - Symbols: the recorded ccxt binanceus fixture (../shared/fixtures/ccxt/markets)
 *   plus a synthesized HBARUSDT, with Binance's filters enforced (-1013).
 * - SIGNED endpoints: X-MBX-APIKEY (-2015), HMAC-SHA256 of query+body (-1022),
 *   timestamp/recvWindow against the server clock (-1021, settable skew).
 * - Balances with free/locked, orders that fill when the settable price crosses
 *   them (see ./binance/engine.ts), exact decimals throughout, no fee by default.
 * - IP weight per minute and orders per 10 s (sliding windows) -> 429 + Retry-After,
 *   x-mbx-used-weight(-1m) on every answer, x-mbx-order-count-10s/-1d on new orders.
 * - Fault injection for the next N matching requests, and an inspection API.
 * - The user data stream: listenKey endpoints and `/ws/<listenKey>` with its own
 *   fault controls (`userStream`, see ./binance/userStream.ts); `deposit`.
 *
 * Not modelled: an order book (fills are all-or-nothing on a price cross, or
 * partial through `fillOrder`), STOP/TAKE_PROFIT orders (-1020), OCO; `order/test`
 * only checks the symbol.
 */
import { createHmac, timingSafeEqual } from "node:crypto"
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { Socket } from "node:net"
import { Effect, type Scope } from "effect"
import * as D from "./binance/decimal.ts"
import {
  type BinanceOrderJson,
  BinanceError,
  cancelJson,
  Engine,
  fail,
  newOrderJson,
  orderJson,
  type Params,
  randomClientId
} from "./binance/engine.ts"
import { type FaultMatch, Faults, type RequestInfo } from "./binance/faults.ts"
import { SlidingWindow } from "./binance/limits.ts"
import { loadSymbolInfos, rateLimits, symbolRules } from "./binance/markets.ts"
import { UserStream, type UserStreamControls } from "./binance/userStream.ts"

export type { BinanceOrderJson } from "./binance/engine.ts"
export type { FaultMatch, RequestInfo } from "./binance/faults.ts"
export type { UserStreamControls } from "./binance/userStream.ts"

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
  readonly status429: number
  readonly status418: number
  readonly status5xx: number
  readonly dropped: number
}

export interface BinanceServer {
  readonly url: string
  readonly port: number
  readonly apiKey: string
  close(): Promise<void>
  /** Sets a symbol's last price (e.g. "HBARUSDT", "0.05") and fills the open orders it crosses. */
  setPrice(symbol: string, price: string): void
  /** Sets an asset's free balance; its locked part is untouched. */
  setBalance(asset: string, free: string): void
  balances(): Record<string, { readonly free: string; readonly locked: string }>
  /** Every order the server holds, oldest first, in Binance's query format. */
  orders(): ReadonlyArray<BinanceOrderJson>
  openOrders(symbol?: string): ReadonlyArray<BinanceOrderJson>
  /** Fills (part of) an open order at its limit price, as a maker; all of what remains by default. */
  fillOrder(symbol: string, ref: { readonly orderId: number } | { readonly clientOrderId: string }, qty?: string): void
  /** Adds `amount` (negative: withdraws) to an asset's free balance, announced as `balanceUpdate`. */
  deposit(asset: string, amount: string): void
  /** The user data stream's inspection and fault controls. */
  readonly userStream: UserStreamControls
  requestLog(): ReadonlyArray<RequestLogEntry>
  counters(): BinanceServerCounters
  /** Server clock = local clock + skew (ms); -20_000 puts the server 20 s behind its clients. */
  setClockSkew(ms: number): void
  serverTime(): number
  /** Back to the initial balances and prices; forgets orders, faults, logs, counters, rate windows and skew. */
  reset(): void
  dropBeforeProcessing(match?: FaultMatch): void
  processThenDrop(match?: FaultMatch): void
  /** 502/503/504 plain pages; 500 with -1001; 503 with -1008 when `binanceBody`; optionally after processing. */
  status5xx(status: 500 | 502 | 503 | 504, match?: FaultMatch & { readonly binanceBody?: boolean; readonly afterProcessing?: boolean }): void
  delay(ms: number, match?: FaultMatch): void
  hang(match?: FaultMatch & { readonly afterProcessing?: boolean }): void
  binanceError(httpStatus: number, code: number, msg: string, match?: FaultMatch): void
  rateLimit(status: 429 | 418, retryAfterSeconds: number, match?: FaultMatch): void
  clearFaults(): void
  pendingFaults(): number
}

interface Reply {
  readonly status: number
  readonly body: unknown
  readonly headers: Record<string, string>
}

interface Route {
  readonly signed: boolean
  /** USER_STREAM security: the API key header only, no signature. */
  readonly keyed?: boolean
  readonly weight: (p: Params) => number
  readonly handle: (p: Params) => unknown
}

const INVALID_KEY = "Invalid API-key, IP, or permissions for action."
const bySymbol = (one: number, all: number) => (p: Params) => (p["symbol"] === undefined ? all : one)
const fixed = (w: number) => () => w

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

export const startBinanceServer = async (options: BinanceServerOptions = {}): Promise<BinanceServer> => {
  const apiKey = options.apiKey ?? "test-api-key"
  const secret = options.secret ?? "test-secret"
  const weightLimit = options.weightLimitPerMinute ?? 1200
  const orderLimit = options.orderLimitPer10s ?? 100
  const latencyMs = options.latencyMs ?? 0
  let skew = 0
  const clock = () => Date.now() + skew
  const infos = loadSymbolInfos()
  const engine = new Engine({
    symbols: infos.map(symbolRules),
    balances: options.balances ?? {},
    prices: options.prices ?? {},
    feeRate: options.feeRate ?? "0",
    makerFeeRate: options.makerFeeRate,
    takerFeeRate: options.takerFeeRate,
    now: clock
  })
  const userStream = new UserStream({
    now: clock,
    balances: () => engine.balances,
    maxConnectionMs: options.userStreamMaxConnectionMs ?? 86_400_000
  })
  engine.subscribe(userStream.onEngineEvent)
  const faults = new Faults()
  let log: Array<{ -readonly [K in keyof RequestLogEntry]: RequestLogEntry[K] }> = []
  let counters = { requests: 0, created: 0, status429: 0, status418: 0, status5xx: 0, dropped: 0 }
  const logLimit = options.requestLogLimit ?? 10_000
  const weights = new SlidingWindow(60_000)
  const orderCount = new SlidingWindow(10_000)
  let ordersTotal = 0

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

  const routes = new Map<string, Route>([
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
          rateLimits: rateLimits(weightLimit, orderLimit),
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
    ["POST /api/v3/order", {
      signed: true,
      weight: fixed(1),
      handle: (p) => {
        const order = engine.newOrder(p)
        counters.created += 1
        return newOrderJson(order, p["newOrderRespType"])
      }
    }],
    ["POST /api/v3/order/test", { signed: true, weight: fixed(1), handle: (p) => (engine.rules(p["symbol"]), {}) }],
    ["GET /api/v3/order", { signed: true, weight: fixed(2), handle: (p) => orderJson(engine.find(p, () => fail(-2013, "Order does not exist."))) }],
    ["DELETE /api/v3/order", {
      signed: true,
      weight: fixed(1),
      handle: (p) => {
        const order = engine.cancel(p)
        return cancelJson(order, order.cancelClientOrderId ?? randomClientId(), clock())
      }
    }],
    ["GET /api/v3/openOrders", { signed: true, weight: bySymbol(3, 40), handle: (p) => engine.openOrders(p["symbol"]).map(orderJson) }],
    ["DELETE /api/v3/openOrders", {
      signed: true,
      weight: fixed(1),
      handle: (p) => {
        const open = engine.openOrders(engine.rules(p["symbol"]).symbol)
        if (open.length === 0) fail(-2011, "Unknown order sent.")
        return open.map((o) => (engine.close(o, "CANCELED"), cancelJson(o, o.cancelClientOrderId ?? randomClientId(), clock())))
      }
    }],
    ["GET /api/v3/allOrders", { signed: true, weight: fixed(10), handle: (p) => engine.allOrders(p).map(orderJson) }],
    ["GET /api/v3/myTrades", { signed: true, weight: fixed(10), handle: (p) => engine.trades(p) }],
    ["GET /api/v3/account", {
      signed: true,
      weight: fixed(10),
      handle: () => ({
        makerCommission: 0, takerCommission: 0, buyerCommission: 0, sellerCommission: 0,
        commissionRates: { maker: "0.00000000", taker: "0.00000000", buyer: "0.00000000", seller: "0.00000000" },
        canTrade: true, canWithdraw: true, canDeposit: true, brokered: false, requireSelfTradePrevention: false,
        updateTime: clock(), accountType: "SPOT",
        balances: [...engine.balances].map(([asset, b]) => ({ asset, free: D.fmt(b.free), locked: D.fmt(b.locked) })),
        permissions: ["SPOT"]
      })
    }],
    ["POST /api/v3/userDataStream", { signed: false, keyed: true, weight: fixed(1), handle: () => userStream.create() }],
    ["PUT /api/v3/userDataStream", { signed: false, keyed: true, weight: fixed(1), handle: (p) => userStream.keepAlive(p) }],
    ["DELETE /api/v3/userDataStream", { signed: false, keyed: true, weight: fixed(1), handle: (p) => userStream.close(p) }],
    ["GET /api/v3/rateLimit/order", {
      signed: true,
      weight: fixed(20),
      handle: () => [
        { rateLimitType: "ORDERS", interval: "SECOND", intervalNum: 10, limit: orderLimit, count: orderCount.used(Date.now()) },
        { rateLimitType: "ORDERS", interval: "DAY", intervalNum: 1, limit: 200000, count: ordersTotal }
      ]
    }]
  ])

  /** Binance's SIGNED-endpoint checks, in order: key, signature, timestamp/recvWindow. */
  const checkApiKey = (req: IncomingMessage): void => {
    const key = req.headers["x-mbx-apikey"]
    if (typeof key !== "string" || key === "") fail(-2014, "API-key format invalid.", 401)
    if (key !== apiKey) fail(-2015, INVALID_KEY, 401)
  }
  const authenticate = (req: IncomingMessage, p: Params, rawQuery: string, rawBody: string): void => {
    checkApiKey(req)
    const parts = [rawQuery, rawBody].map((raw) => raw.split("&").filter((part) => part !== ""))
    const signature = parts.flat().find((part) => part.startsWith("signature="))?.slice("signature=".length)
    // totalParams: the query string concatenated with the body, each without its signature
    const totalParams = parts.map((list) => list.filter((part) => !part.startsWith("signature=")).join("&")).join("")
    if (signature === undefined || signature === "") fail(-1102, "Mandatory parameter 'signature' was not sent, was empty/null, or malformed.")
    const timestamp = Number(p["timestamp"] ?? fail(-1102, "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed."))
    const recvWindow = Number(p["recvWindow"] ?? 5000)
    if (!(recvWindow > 0 && recvWindow <= 60_000)) fail(-1131, "recvWindow must be less than 60000")
    const expected = Buffer.from(createHmac("sha256", secret).update(totalParams).digest("hex"))
    const given = Buffer.from(decodeURIComponent(signature ?? "").toLowerCase())
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) fail(-1022, "Signature for this request is not valid.")
    const serverTime = clock()
    if (!Number.isFinite(timestamp)) fail(-1102, "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed.")
    if (timestamp >= serverTime + 1000) fail(-1021, "Timestamp for this request was 1000ms ahead of the server's time.")
    if (serverTime - timestamp > recvWindow) fail(-1021, "Timestamp for this request is outside of the recvWindow.")
  }

  const rejected = (status: 429 | 418, code: number, msg: string, retry: number, headers: Record<string, string> = {}): Reply => {
    if (status === 429) counters.status429 += 1
    else counters.status418 += 1
    return { status, body: { code, msg }, headers: { ...headers, "retry-after": String(retry) } }
  }

  /** Rate limits, authentication and the endpoint itself; never throws. */
  const processRequest = (req: IncomingMessage, method: string, path: string, p: Params, rawQuery: string, rawBody: string): Reply => {
    const route = routes.get(`${method} ${path}`)
    const now = Date.now()
    const weight = route?.weight(p) ?? 1
    const used = weights.used(now)
    if (used + weight > weightLimit) {
      const msg = `Too much request weight used; current limit is ${weightLimit} request weight per 1 MINUTE. Please use WebSocket Streams for live updates to avoid polling the API.`
      const usedHeaders = { "x-mbx-used-weight": String(used), "x-mbx-used-weight-1m": String(used) }
      return rejected(429, -1003, msg, weights.retryAfter(now, weight, weightLimit), usedHeaders)
    }
    weights.add(now, weight)
    const headers: Record<string, string> = { "x-mbx-used-weight": String(used + weight), "x-mbx-used-weight-1m": String(used + weight) }
    if (route === undefined) return { status: 404, body: "<html><body><h2>404 Not found</h2></body></html>", headers }
    try {
      if (route.signed) authenticate(req, p, rawQuery, rawBody)
      else if (route.keyed === true) checkApiKey(req)
      if (method === "POST" && path === "/api/v3/order") {
        if (orderCount.used(now) + 1 > orderLimit) {
          const msg = `Too many new orders; current limit is ${orderLimit} orders per 10 SECOND.`
          return rejected(429, -1015, msg, orderCount.retryAfter(now, 1, orderLimit), headers)
        }
        orderCount.add(now, 1)
        ordersTotal += 1
        headers["x-mbx-order-count-10s"] = String(orderCount.used(now))
        headers["x-mbx-order-count-1d"] = String(ordersTotal)
      }
      return { status: 200, body: route.handle(p), headers }
    } catch (e) {
      if (!(e instanceof BinanceError)) throw e
      return { status: e.status, body: { code: e.code, msg: e.message }, headers }
    }
  }

  const sockets = new Set<Socket>()
  const timers = new Set<NodeJS.Timeout>()
  let closed = false

  const send = (res: ServerResponse, entry: { status: number | undefined; outcome: RequestLogEntry["outcome"] }, reply: Reply, delayMs: number) => {
    const write = () => {
      if (res.destroyed || res.writableEnded) return
      const json = typeof reply.body !== "string"
      const body = json ? JSON.stringify(reply.body) : String(reply.body)
      if (reply.status >= 500) counters.status5xx += 1
      entry.status = reply.status
      entry.outcome = "answered"
      const used = String(weights.used(Date.now()))
      res.writeHead(reply.status, {
        "content-type": json ? "application/json;charset=UTF-8" : "text/html",
        "content-length": String(Buffer.byteLength(body)),
        "x-mbx-used-weight": used,
        "x-mbx-used-weight-1m": used,
        ...reply.headers
      })
      res.end(body)
    }
    const total = delayMs + latencyMs
    if (total <= 0) return write()
    const timer = setTimeout(() => (timers.delete(timer), write()), total)
    timers.add(timer)
  }

  const onRequest = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const chunks: Array<Buffer> = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const rawBody = Buffer.concat(chunks).toString("utf8")
    const url = new URL(req.url ?? "/", "http://127.0.0.1")
    const method = (req.method ?? "GET").toUpperCase()
    const path = url.pathname
    const rawQuery = url.search.slice(1)
    // Binance: a parameter sent in both the query string and the body is taken from the query string
    const all = { ...Object.fromEntries(new URLSearchParams(rawBody)), ...Object.fromEntries(url.searchParams) }
    const { signature: _signature, ...visible } = all
    const request: RequestInfo = { method, path, params: visible }
    const entry = { method, path, timestamp: clock(), params: visible, status: undefined as number | undefined, outcome: "pending" as RequestLogEntry["outcome"] }
    log.push(entry)
    if (log.length > 2 * logLimit) log = log.slice(-logLimit)
    counters.requests += 1
    const run = () => processRequest(req, method, path, all, rawQuery, rawBody)
    const drop = (outcome: "dropped" | "processedThenDropped") => {
      entry.outcome = outcome
      counters.dropped += 1
      req.socket.destroy()
    }
    const fault = faults.take(request)
    switch (fault?.kind) {
      case undefined:
        return send(res, entry, run(), 0)
      case "drop":
        return drop("dropped")
      case "processThenDrop":
        run()
        return drop("processedThenDropped")
      case "hang":
        if (fault.afterProcessing) run()
        entry.outcome = "hung"
        return
      case "delay":
        return send(res, entry, run(), fault.ms)
      case "status":
        if (fault.afterProcessing) run()
        return send(res, entry, { status: fault.status, body: fault.body, headers: {} }, 0)
      case "binanceError":
        return send(res, entry, { status: fault.status, body: { code: fault.code, msg: fault.msg }, headers: {} }, 0)
      case "rateLimit": {
        const msg = fault.status === 418
          ? `Way too much request weight used; IP banned until ${Date.now() + fault.retryAfterSeconds * 1000}. Please use WebSocket Streams for live updates to avoid bans.`
          : `Too much request weight used; current limit is ${weightLimit} request weight per 1 MINUTE. Please use WebSocket Streams for live updates to avoid polling the API.`
        return send(res, entry, rejected(fault.status, -1003, msg, fault.retryAfterSeconds), 0)
      }
    }
  }

  const server = createServer((req, res) => {
    onRequest(req, res).catch((e: unknown) => {
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(500, { "content-type": "application/json;charset=UTF-8" })
        res.end(JSON.stringify({ code: -1000, msg: `An unknown error occurred while processing the request. ${String(e)}` }))
      }
    })
  })
  server.on("upgrade", (req, socket, head) => userStream.upgrade(req, socket, head))
  server.on("connection", (socket) => {
    sockets.add(socket)
    socket.on("close", () => sockets.delete(socket))
  })
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => resolve())
  })
  const address = server.address()
  if (address === null || typeof address === "string") throw new Error("BinanceServer: no TCP address")
  const port = address.port
  const orderRef = (symbol: string, ref: { readonly orderId: number } | { readonly clientOrderId: string }) =>
    engine.find(
      "orderId" in ref ? { symbol, orderId: String(ref.orderId) } : { symbol, origClientOrderId: ref.clientOrderId },
      () => { throw new Error(`BinanceServer.fillOrder: no order ${JSON.stringify(ref)} on ${symbol}`) }
    )

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    apiKey,
    close: async () => {
      if (closed) return
      closed = true
      for (const t of timers) clearTimeout(t)
      timers.clear()
      userStream.shutdown()
      const done = new Promise<void>((resolve) => server.close(() => resolve()))
      server.closeAllConnections()
      for (const s of sockets) s.destroy()
      await done
    },
    setPrice: (symbol, p) => engine.setPrice(symbol, p),
    setBalance: (asset, free) => {
      engine.balance(asset).free = D.dec(free)
    },
    balances: () =>
      Object.fromEntries([...engine.balances].map(([asset, b]) => [asset, { free: D.fmt(b.free), locked: D.fmt(b.locked) }])),
    orders: () => engine.orders.map(orderJson),
    openOrders: (symbol) => engine.openOrders(symbol).map(orderJson),
    fillOrder: (symbol, ref, qty) => {
      const order = orderRef(symbol, ref)
      if (order.status !== "NEW" && order.status !== "PARTIALLY_FILLED") throw new Error(`BinanceServer.fillOrder: order is ${order.status}`)
      const remaining = D.sub(order.origQty, order.executedQty)
      const q = qty === undefined ? remaining : D.dec(qty)
      if (!D.isPositive(q) || D.gt(q, remaining)) throw new Error(`BinanceServer.fillOrder: cannot fill ${qty} of ${D.fmt(remaining)}`)
      engine.fill(order, q, order.price)
    },
    deposit: (asset, amount) => engine.deposit(asset, D.dec(amount)),
    userStream: userStream.controls,
    requestLog: () => log.map((e) => ({ ...e })),
    counters: () => ({ ...counters }),
    setClockSkew: (ms) => {
      skew = ms
    },
    serverTime: clock,
    reset: () => {
      engine.reset()
      userStream.reset()
      faults.clear()
      log = []
      counters = { requests: 0, created: 0, status429: 0, status418: 0, status5xx: 0, dropped: 0 }
      weights.clear()
      orderCount.clear()
      ordersTotal = 0
      skew = 0
    },
    dropBeforeProcessing: (match) => faults.add({ kind: "drop" }, match),
    processThenDrop: (match) => faults.add({ kind: "processThenDrop" }, match),
    status5xx: (status, match = {}) => {
      const binanceBody = match.binanceBody ?? status === 500
      const body = !binanceBody
        ? `<html><body><h1>${status}</h1></body></html>`
        : status === 503
        ? { code: -1008, msg: "Server is currently overloaded with other requests. Please try again in a few minutes." }
        : { code: -1001, msg: "Internal error; unable to process your request. Please try again." }
      faults.add({ kind: "status", status, body, afterProcessing: match.afterProcessing ?? false }, match)
    },
    delay: (ms, match) => faults.add({ kind: "delay", ms }, match),
    hang: (match = {}) => faults.add({ kind: "hang", afterProcessing: match.afterProcessing ?? false }, match),
    binanceError: (status, code, msg, match) => faults.add({ kind: "binanceError", status, code, msg }, match),
    rateLimit: (status, retryAfterSeconds, match) => faults.add({ kind: "rateLimit", status, retryAfterSeconds }, match),
    clearFaults: () => faults.clear(),
    pendingFaults: () => faults.pending()
  }
}

/** {@link startBinanceServer} as a scoped resource: closed (with all its sockets) when the scope closes. */
export const binanceServer = (options: BinanceServerOptions = {}): Effect.Effect<BinanceServer, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.promise(() => startBinanceServer(options)),
    (server) => Effect.promise(() => server.close())
  )
