/**
 * A Binance.US-compatible REST server for tests and benchmarks, faithful enough
 * that ccxt's unmodified `binanceus` class runs against it end to end over HTTP
 * (point ccxt at it with `pointAt` from src/layers/live/instance.ts, or the `baseUrl` option).
 *
 * - Symbols: the recorded ccxt binanceus fixture (test/fixtures/ccxt/markets)
 *   plus a synthesized HBARUSDT, with Binance's filters enforced (-1013).
 * - SIGNED endpoints: X-MBX-APIKEY (-2015), HMAC-SHA256 of query+body (-1022),
 *   timestamp/recvWindow against the server clock (-1021, settable skew).
 * - Balances with free/locked, orders that fill when the settable price crosses
 *   them (see ./binance/engine.ts), exact decimals throughout, no fee by default.
 * - Every order type Binance.US documents (LIMIT, MARKET, LIMIT_MAKER and the four
 *   stop types, checked against the symbol's `orderTypes`), OCO lists
 *   (`/api/v3/order/oco`, `/api/v3/orderList`, `openOrderList`, `allOrderList`),
 *   `myTrades` and `allOrders` with Binance's paging limits (a window of at most 24 h,
 *   at most 1000 rows), partial fills (`fillOrder`, `setDepth`), and past orders at
 *   given times (`seedOrders`).
 * - Rate limits as Binance enforces them (./binance/limits.ts): request weight per
 *   minute, orders per 10 s and per day (an OCO counts 2), or any `rateLimits` given;
 *   429 (-1003 / -1015) with Retry-After past them, a 418 ban after repeated
 *   violations; `x-mbx-used-weight-1m`, `x-mbx-order-count-10s` and `-1d` on every answer.
 * - Fault injection for the next N matching requests, and an inspection API.
 * - The user data stream: listenKey endpoints and `/ws/<listenKey>` with its own
 *   fault controls (`userStream`, see ./binance/userStream.ts); `deposit`.
 * - The WebSocket API's user data stream, binance.com's way since its listenKeys
 *   retired: `/ws-api/v3`, `userDataStream.subscribe.signature` (`wsApi`, see
 *   ./binance/wsApi.ts).
 *
 * Not modelled: an order book (one price level of settable depth), trailing stops,
 * icebergs and cancel-replace (-1020 or 404); `order/test` only checks the symbol.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { Socket } from "node:net"
import { Effect, type Scope } from "effect"
import type { BinanceServer, BinanceServerOptions, OrderRef, RequestLogEntry } from "./binance/api.ts"
import { signedChecks } from "./binance/auth.ts"
import * as D from "./binance/decimal.ts"
import { Engine } from "./binance/engine.ts"
import { BinanceError } from "./binance/errors.ts"
import { Faults, type RequestInfo } from "./binance/faults.ts"
import { type RateLimitRule, RateLimiter, type Refusal } from "./binance/limits.ts"
import { marketRoutes } from "./binance/marketRoutes.ts"
import { advertisedLimits, loadSymbolInfos, symbolRules } from "./binance/markets.ts"
import { isOpen, isWorking, type Params } from "./binance/orders.ts"
import { fixed, orderRoutes, ordersAdded, type Route } from "./binance/routes.ts"
import { UserStream } from "./binance/userStream.ts"
import { WsApi } from "./binance/wsApi.ts"
import { orderJson, orderListJson } from "./binance/wire.ts"

export type { BinanceServer, BinanceServerCounters, BinanceServerOptions, OrderRef, RequestLogEntry, SeedOrder } from "./binance/api.ts"
export type { FaultMatch, RequestInfo } from "./binance/faults.ts"
export type { BanOptions, RateLimitRule } from "./binance/limits.ts"
export type { SymbolOverrides } from "./binance/markets.ts"
export type { UserStreamControls } from "./binance/userStream.ts"
export type { WsApiControls } from "./binance/wsApi.ts"
export type { BinanceOrderJson, BinanceOrderListJson } from "./binance/wire.ts"

interface Reply {
  readonly status: number
  readonly body: unknown
  readonly headers: Record<string, string>
  /** Without the `x-mbx-order-count-*` headers. */
  readonly bare?: boolean
}

export const startBinanceServer = async (options: BinanceServerOptions = {}): Promise<BinanceServer> => {
  const apiKey = options.apiKey ?? "test-api-key"
  const secret = options.secret ?? "test-secret"
  const rules: ReadonlyArray<RateLimitRule> = options.rateLimits ?? [
    { rateLimitType: "REQUEST_WEIGHT", interval: "MINUTE", intervalNum: 1, limit: options.weightLimitPerMinute ?? 1200 },
    { rateLimitType: "ORDERS", interval: "SECOND", intervalNum: 10, limit: options.orderLimitPer10s ?? 100 },
    { rateLimitType: "ORDERS", interval: "DAY", intervalNum: 1, limit: options.orderLimitPerDay ?? 200_000 }
  ]
  const limiter = new RateLimiter(rules, options.ban)
  const latencyMs = options.latencyMs ?? 0
  let skew = 0
  /** The time `seedOrders` places an order at; the clock's own otherwise. */
  let pinned: number | undefined
  const clock = () => pinned ?? Date.now() + skew
  const infos = loadSymbolInfos(options.symbolOverrides)
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
  const noCounts = { requests: 0, created: 0, status429: 0, status418: 0, duringBan: 0, status5xx: 0, dropped: 0 }
  let counters = { ...noCounts }
  const logLimit = options.requestLogLimit ?? 10_000

  const routes = new Map<string, Route>([
    ...marketRoutes(engine, infos, clock, advertisedLimits(rules)),
    ...orderRoutes(engine, clock, (n) => {
      counters.created += n
    }),
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
      handle: () => limiter.orderUsage(Date.now())
    }]
  ])

  const { checkApiKey, authenticate, checkSignature } = signedChecks(apiKey, secret, clock)
  const wsApi = new WsApi({ apiKey, now: clock, checkSignature, balances: () => engine.balances })
  engine.subscribe(wsApi.onEngineEvent)

  const rejected = ({ status, code, msg, retryAfterSeconds }: Refusal): Reply => {
    if (status === 429) counters.status429 += 1
    else counters.status418 += 1
    if (code === -1015 && options.bareOrderLimitRefusal === true) return { status, body: { code, msg }, headers: {}, bare: true }
    return { status, body: { code, msg }, headers: { "retry-after": String(retryAfterSeconds) } }
  }

  /** Rate limits, authentication and the endpoint itself; never throws. */
  const processRequest = (req: IncomingMessage, method: string, path: string, p: Params, rawQuery: string, rawBody: string): Reply => {
    const route = routes.get(`${method} ${path}`)
    const now = Date.now()
    if (now < limiter.banEnd) counters.duringBan += 1
    const refused = limiter.admitRequest(now, route?.weight(p) ?? 1)
    if (refused !== undefined) return rejected(refused)
    const headers: Record<string, string> = {}
    if (route === undefined) return { status: 404, body: "<html><body><h2>404 Not found</h2></body></html>", headers }
    try {
      if (route.signed) authenticate(req, p, rawQuery, rawBody)
      else if (route.keyed === true) checkApiKey(req)
      const adding = ordersAdded(method, path)
      const tooMany = adding > 0 ? limiter.admitOrders(now, adding) : undefined
      if (tooMany !== undefined) return rejected(tooMany)
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
      res.writeHead(reply.status, {
        "content-type": json ? "application/json;charset=UTF-8" : "text/html",
        "content-length": String(Buffer.byteLength(body)),
        ...limiter.headers(Date.now(), reply.bare !== true),
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
          : "Too much request weight used; current limit is 1200 request weight per 1 MINUTE. Please use WebSocket Streams for live updates to avoid polling the API."
        return send(res, entry, rejected({ status: fault.status, code: -1003, msg, retryAfterSeconds: fault.retryAfterSeconds }), fault.delayMs)
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
  server.on("upgrade", (req, socket, head) => wsApi.handles(req) ? wsApi.upgrade(req, socket, head) : userStream.upgrade(req, socket, head))
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
  const orderRef = (symbol: string, ref: OrderRef) =>
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
      wsApi.shutdown()
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
    orderLists: () => engine.lists.map(orderListJson),
    fillOrder: (symbol, ref, qty, price) => {
      const order = orderRef(symbol, ref)
      if (!isOpen(order)) throw new Error(`BinanceServer.fillOrder: order is ${order.status}`)
      if (!isWorking(order)) throw new Error("BinanceServer.fillOrder: the stop order has not triggered")
      const remaining = D.sub(order.origQty, order.executedQty)
      const q = qty === undefined ? remaining : D.dec(qty)
      if (!D.isPositive(q) || D.gt(q, remaining)) throw new Error(`BinanceServer.fillOrder: cannot fill ${qty} of ${D.fmt(remaining)}`)
      const at = price !== undefined ? D.dec(price) : D.isPositive(order.price) ? order.price : engine.prices.get(order.rules.symbol)
      if (at === undefined) throw new Error(`BinanceServer.fillOrder: no price for ${order.rules.symbol}`)
      engine.fill(order, q, at)
    },
    unlistTrades: (symbol, ref) => void engine.unlisted.add(String(orderRef(symbol, ref).orderId)),
    setDepth: (symbol, qty) => engine.setDepth(symbol, qty === undefined ? undefined : D.dec(qty)),
    seedOrders: (symbol, orders) =>
      orders.map((o) => {
        pinned = o.time
        try {
          const params = { symbol, side: o.side, type: "LIMIT", timeInForce: "GTC", price: o.price, quantity: o.quantity }
          const order = engine.newOrder(params)
          if (o.filled === true && isOpen(order)) engine.fill(order, D.sub(order.origQty, order.executedQty), order.price)
          return order.orderId
        } finally {
          pinned = undefined
        }
      }),
    deposit: (asset, amount) => engine.deposit(asset, D.dec(amount)),
    userStream: userStream.controls,
    wsApi: wsApi.controls,
    requestLog: () => log.map((e) => ({ ...e })),
    counters: () => ({ ...counters }),
    setClockSkew: (ms) => {
      skew = ms
    },
    serverTime: clock,
    banEnd: () => limiter.banEnd,
    reset: () => {
      engine.reset()
      userStream.reset()
      wsApi.reset()
      faults.clear()
      log = []
      counters = { ...noCounts }
      limiter.clear()
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
    rateLimit: (status, retryAfterSeconds, match = {}) =>
      faults.add({ kind: "rateLimit", status, retryAfterSeconds, delayMs: match.answerAfterMs ?? 0 }, match),
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
