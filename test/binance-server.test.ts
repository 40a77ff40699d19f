/**
 * The Binance.US test server, driven end to end over HTTP by real, unmodified
 * ccxt `binanceus`: markets, orders, balances, errors and injected faults map to
 * the ccxt behaviour a live layer will see.
 */
import ccxt from "ccxt"
import { Effect } from "effect"
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { type BinanceServer, type BinanceServerOptions, binanceServer, startBinanceServer } from "./support/BinanceServer.ts"
import { pointAt } from "../src/layers/live/instance.ts"

const API_KEY = "key-0123456789"
const SECRET = "secret-0123456789"
const DEFAULTS: BinanceServerOptions = {
  apiKey: API_KEY,
  secret: SECRET,
  balances: { USDT: "100" },
  prices: { HBARUSDT: "0.06", LTCUSDT: "80" }
}

let server: BinanceServer
const exchanges: Array<InstanceType<typeof ccxt.binanceus>> = []

/** A real ccxt binanceus pointed at `target`, no client-side rate limiting and no ccxt retries. */
const binanceus = (target: BinanceServer = server, overrides: { apiKey?: string; secret?: string; timeout?: number } = {}) => {
  const exchange = new ccxt.binanceus({
    apiKey: overrides.apiKey ?? API_KEY,
    secret: overrides.secret ?? SECRET,
    enableRateLimit: false,
    timeout: overrides.timeout ?? 5_000,
    options: { maxRetriesOnFailure: 0 }
  })
  pointAt(exchange, target.url)
  exchanges.push(exchange)
  return exchange
}

/** A ready exchange with markets loaded. */
const ready = async (target: BinanceServer = server, overrides: Parameters<typeof binanceus>[1] = {}) => {
  const exchange = binanceus(target, overrides)
  await exchange.loadMarkets()
  return exchange
}

const rejection = async (p: Promise<unknown>): Promise<Error> => {
  try {
    await p
  } catch (e) {
    return e as Error
  }
  throw new Error("expected a rejection")
}

beforeAll(async () => {
  server = await startBinanceServer(DEFAULTS)
})
afterAll(async () => {
  await Promise.all(exchanges.map((e) => e.close()))
  await server.close()
})
beforeEach(() => server.reset())

describe("BinanceServer with real ccxt binanceus", () => {
  it("loadMarkets reads exchangeInfo only (no sapi calls) and parses the filters", async () => {
    const exchange = await ready()
    const hbar = exchange.market("HBAR/USDT")
    expect(hbar.precision).toMatchObject({ price: 0.00001, amount: 1 })
    expect(hbar.limits.amount).toMatchObject({ min: 1, max: 9000000 })
    expect(hbar.limits.cost?.min).toBe(1)
    expect(exchange.market("LTC/USDT").precision).toMatchObject({ amount: 0.001, price: 0.01 })
    expect(server.requestLog().map((r) => `${r.method} ${r.path}`)).toEqual(["GET /api/v3/exchangeInfo"])
  })

  it("a limit buy locks quote funds and fills when setPrice crosses it", async () => {
    const exchange = await ready()
    const order = await exchange.createOrder("HBAR/USDT", "limit", "buy", 100, 0.05, { clientOrderId: "buy-1" })
    expect(order).toMatchObject({ status: "open", clientOrderId: "buy-1", filled: 0, amount: 100, price: 0.05 })
    expect(server.requestLog().at(-1)?.params).toMatchObject({ newClientOrderId: "buy-1", quantity: "100", price: "0.05" })
    expect(server.balances()["USDT"]).toEqual({ free: "95.00000000", locked: "5.00000000" })
    const balance = await exchange.fetchBalance()
    expect(balance["USDT"]).toMatchObject({ free: 95, used: 5, total: 100 })

    server.setPrice("HBARUSDT", "0.05001") // not crossed yet
    expect(server.openOrders("HBARUSDT")).toHaveLength(1)
    server.setPrice("HBARUSDT", "0.05")
    const filled = await exchange.fetchOrder(order.id!, "HBAR/USDT")
    expect(filled).toMatchObject({ status: "closed", filled: 100, cost: 5, average: 0.05 })
    expect(server.balances()["USDT"]).toEqual({ free: "95.00000000", locked: "0.00000000" })
    expect(server.balances()["HBAR"]).toEqual({ free: "100.00000000", locked: "0.00000000" })
  })

  it("a crossing limit order fills at once at the market price and refunds the difference", async () => {
    const exchange = await ready()
    const order = await exchange.createOrder("HBAR/USDT", "limit", "buy", 100, 0.07)
    expect(order).toMatchObject({ status: "closed", filled: 100, cost: 6, average: 0.06 })
    expect(order.trades).toHaveLength(1)
    expect(server.balances()["USDT"]).toEqual({ free: "94.00000000", locked: "0.00000000" })
  })

  it("a market sell fills at the current price with exact decimal proceeds", async () => {
    server.setBalance("HBAR", "100")
    server.setPrice("HBARUSDT", "0.07")
    const exchange = await ready()
    const order = await exchange.createOrder("HBAR/USDT", "market", "sell", 40)
    expect(order).toMatchObject({ status: "closed", type: "market", side: "sell", filled: 40, average: 0.07 })
    expect(order.cost).toBeCloseTo(2.8, 12)
    // 40 × 0.07 is 2.8000000000000003 in floats; the server keeps it exact
    expect(server.balances()["USDT"]?.free).toBe("102.80000000")
    expect(server.balances()["HBAR"]?.free).toBe("60.00000000")
  })

  it("cancelOrder releases the locked funds; a second cancel is OrderNotFound (-2011)", async () => {
    const exchange = await ready()
    const order = await exchange.createOrder("HBAR/USDT", "limit", "buy", 100, 0.05, { clientOrderId: "c-1" })
    const canceled = await exchange.cancelOrder(order.id!, "HBAR/USDT")
    expect(canceled.status).toBe("canceled")
    // Binance answers a cancel with the cancel request's own clientOrderId; the order's is origClientOrderId
    expect(canceled.clientOrderId).not.toBe("c-1")
    expect(canceled.info["origClientOrderId"]).toBe("c-1")
    expect(server.balances()["USDT"]).toEqual({ free: "100.00000000", locked: "0.00000000" })
    const again = await rejection(exchange.cancelOrder(order.id!, "HBAR/USDT"))
    expect(again).toBeInstanceOf(ccxt.OrderNotFound)
    expect(again.message).toContain("-2011")
  })

  it("cancelAllOrders cancels every open order of the symbol; with none open it is -2011", async () => {
    const exchange = await ready()
    await exchange.createOrder("HBAR/USDT", "limit", "buy", 100, 0.05)
    await exchange.createOrder("HBAR/USDT", "limit", "buy", 100, 0.04)
    const canceled = await exchange.cancelAllOrders("HBAR/USDT")
    expect(canceled.map((o) => o.status)).toEqual(["canceled", "canceled"])
    expect(await exchange.fetchOpenOrders("HBAR/USDT")).toEqual([])
    expect(server.requestLog().at(-2)).toMatchObject({ method: "DELETE", path: "/api/v3/openOrders", status: 200 })
    expect(await rejection(exchange.cancelAllOrders("HBAR/USDT"))).toBeInstanceOf(ccxt.OrderNotFound)
  })

  it("fetchOrder finds an order by client order id; an unknown one is OrderNotFound (-2013)", async () => {
    const exchange = await ready()
    const placed = await exchange.createOrder("HBAR/USDT", "limit", "buy", 20, 0.05, { clientOrderId: "mine-7" })
    const byClientId = await exchange.fetchOrder("", "HBAR/USDT", { clientOrderId: "mine-7" })
    expect(byClientId).toMatchObject({ id: placed.id, clientOrderId: "mine-7", status: "open" })
    expect(server.requestLog().at(-1)?.params).toMatchObject({ origClientOrderId: "mine-7" })
    const byOrig = await exchange.fetchOrder("", "HBAR/USDT", { origClientOrderId: "mine-7" })
    expect(byOrig.id).toBe(placed.id)
    const missing = await rejection(exchange.fetchOrder("", "HBAR/USDT", { clientOrderId: "nope" }))
    expect(missing).toBeInstanceOf(ccxt.OrderNotFound)
    expect(missing.message).toContain("-2013")
  })

  it("fetchOrders honours since (startTime); fetchOpenOrders lists only open orders", async () => {
    const exchange = await ready()
    const first = await exchange.createOrder("HBAR/USDT", "limit", "buy", 100, 0.07) // fills at once
    // Step the server's clock forward instead of waiting: the first order is strictly before `since`.
    server.setClockSkew(10)
    const since = server.serverTime()
    server.setClockSkew(20)
    const second = await exchange.createOrder("HBAR/USDT", "limit", "buy", 100, 0.05)
    expect((await exchange.fetchOrders("HBAR/USDT")).map((o) => o.id)).toEqual([first.id, second.id])
    expect((await exchange.fetchOrders("HBAR/USDT", since)).map((o) => o.id)).toEqual([second.id])
    expect(server.requestLog().at(-1)?.params).toMatchObject({ startTime: String(since) })
    expect((await exchange.fetchOpenOrders("HBAR/USDT")).map((o) => o.id)).toEqual([second.id])
  })

  it("fetchBalance, fetchTicker and fetchTime read the server state", async () => {
    server.setBalance("LTC", "1.5")
    const exchange = await ready()
    const balance = await exchange.fetchBalance()
    expect(balance["LTC"]).toMatchObject({ free: 1.5, used: 0, total: 1.5 })
    expect(balance["USDT"]).toMatchObject({ free: 100, total: 100 })
    server.setPrice("LTCUSDT", "81.23")
    expect((await exchange.fetchTicker("LTC/USDT")).last).toBe(81.23)
    server.setClockSkew(-5_000)
    expect(Math.abs((await exchange.fetchTime())! - (Date.now() - 5_000))).toBeLessThan(1_000)
  })

  it("a wrong API key is AuthenticationError (-2015, HTTP 401); so is a wrong secret (-1022)", async () => {
    const wrongKey = await ready(server, { apiKey: "someone-else" })
    const e = await rejection(wrongKey.fetchBalance())
    expect(e).toBeInstanceOf(ccxt.AuthenticationError)
    expect(e.message).toContain("-2015")
    expect(server.requestLog().at(-1)).toMatchObject({ path: "/api/v3/account", status: 401 })
    const wrongSecret = await ready(server, { secret: "not-the-secret" })
    const bad = await rejection(wrongSecret.fetchBalance())
    expect(bad).toBeInstanceOf(ccxt.AuthenticationError)
    expect(bad.message).toContain("-1022")
  })

  it("ccxt turns -2015 into DDoSProtection once the instance has authenticated successfully", async () => {
    const exchange = await ready()
    await exchange.fetchBalance()
    server.binanceError(401, -2015, "Invalid API-key, IP, or permissions for action.", { path: "/api/v3/account" })
    const e = await rejection(exchange.fetchBalance())
    expect(e).toBeInstanceOf(ccxt.DDoSProtection)
    expect(e).not.toBeInstanceOf(ccxt.AuthenticationError)
  })

  it("filter failures and funds: NOTIONAL is BadRequest, LOT_SIZE InvalidOrder, balance InsufficientFunds", async () => {
    const exchange = await ready()
    const notional = await rejection(exchange.createOrder("HBAR/USDT", "limit", "buy", 10, 0.05)) // 0.5 USDT < 1
    expect(notional).toBeInstanceOf(ccxt.BadRequest)
    expect(notional).not.toBeInstanceOf(ccxt.InvalidOrder)
    expect(notional.message).toContain("Filter failure: MIN_NOTIONAL")
    const lot = await rejection(exchange.createOrder("HBAR/USDT", "limit", "buy", 9_000_001, 0.05)) // > maxQty
    expect(lot).toBeInstanceOf(ccxt.InvalidOrder)
    expect(lot.message).toContain("Filter failure: LOT_SIZE")
    const funds = await rejection(exchange.createOrder("HBAR/USDT", "limit", "buy", 2_001, 0.05)) // 100.05 > 100
    expect(funds).toBeInstanceOf(ccxt.InsufficientFunds)
    expect(server.orders()).toEqual([])
    expect(server.balances()["USDT"]).toEqual({ free: "100.00000000", locked: "0.00000000" })
  })

  it("a clientOrderId is rejected while its order is open and accepted again once it has filled", async () => {
    const exchange = await ready()
    await exchange.createOrder("HBAR/USDT", "limit", "buy", 100, 0.05, { clientOrderId: "same" })
    const duplicate = await rejection(exchange.createOrder("HBAR/USDT", "limit", "buy", 100, 0.04, { clientOrderId: "same" }))
    expect(duplicate).toBeInstanceOf(ccxt.InvalidOrder)
    expect(duplicate.message).toContain("Duplicate order sent.")
    server.setPrice("HBARUSDT", "0.05")
    const reused = await exchange.createOrder("HBAR/USDT", "limit", "buy", 100, 0.04, { clientOrderId: "same" })
    expect(reused.status).toBe("open")
    expect(server.orders().map((o) => [o.clientOrderId, o.status])).toEqual([["same", "FILLED"], ["same", "NEW"]])
  })

  it("dropBeforeProcessing: NetworkError and no order; processThenDrop: NetworkError but the order exists", async () => {
    const exchange = await ready()
    server.dropBeforeProcessing({ method: "POST", path: "/api/v3/order" })
    const dropped = await rejection(exchange.createOrder("HBAR/USDT", "limit", "buy", 100, 0.05, { clientOrderId: "d-1" }))
    expect(dropped).toBeInstanceOf(ccxt.NetworkError)
    expect(dropped).not.toBeInstanceOf(ccxt.RequestTimeout)
    expect(server.counters().created).toBe(0)
    expect(server.orders()).toHaveLength(0)

    server.processThenDrop({ method: "POST", path: "/api/v3/order" })
    const lost = await rejection(exchange.createOrder("HBAR/USDT", "limit", "buy", 100, 0.05, { clientOrderId: "d-2" }))
    expect(lost).toBeInstanceOf(ccxt.NetworkError)
    expect(server.counters().created).toBe(1)
    expect(server.orders().map((o) => o.clientOrderId)).toEqual(["d-2"])
    // the client can recover the order's fate by its client id
    expect((await exchange.fetchOrder("", "HBAR/USDT", { clientOrderId: "d-2" })).status).toBe("open")
    expect(server.requestLog().filter((r) => r.outcome !== "answered").map((r) => r.outcome)).toEqual(["dropped", "processedThenDropped"])
  })

  it("a forced 429 is DDoSProtection with Retry-After in last_response_headers; so is a 418", async () => {
    const exchange = await ready()
    server.rateLimit(429, 7, { path: "/api/v3/account" })
    expect(await rejection(exchange.fetchBalance())).toBeInstanceOf(ccxt.DDoSProtection)
    // ccxt capitalizes header names: Retry-After, X-Mbx-Used-Weight-1m
    expect(exchange.last_response_headers?.["Retry-After"]).toBe("7")
    server.rateLimit(418, 120)
    expect(await rejection(exchange.fetchTicker("HBAR/USDT"))).toBeInstanceOf(ccxt.DDoSProtection)
    expect(exchange.last_response_headers?.["Retry-After"]).toBe("120")
    expect(server.counters()).toMatchObject({ status429: 1, status418: 1 })
    expect((await exchange.fetchBalance())["USDT"]?.free).toBe(100) // faults were used up
  })

  it("weight and order limits answer 429 (-1003 / -1015) with Retry-After and weight headers", async () => {
    const limited = await startBinanceServer({ ...DEFAULTS, weightLimitPerMinute: 25, orderLimitPer10s: 2 })
    try {
      const exchange = await ready(limited) // exchangeInfo: weight 10
      await exchange.fetchBalance() // account: 10
      expect(exchange.last_response_headers?.["X-Mbx-Used-Weight-1m"]).toBe("20")
      await exchange.createOrder("HBAR/USDT", "limit", "buy", 100, 0.05) // 21
      expect(exchange.last_response_headers?.["X-Mbx-Order-Count-10s"]).toBe("1")
      await exchange.createOrder("HBAR/USDT", "limit", "buy", 100, 0.04) // 22
      const orders = await rejection(exchange.createOrder("HBAR/USDT", "limit", "buy", 100, 0.03)) // 23, third order in 10 s
      expect(orders).toBeInstanceOf(ccxt.DDoSProtection)
      expect(orders.message).toContain("-1015")
      const weight = await rejection(exchange.fetchBalance()) // 23 + 10 > 25
      expect(weight).toBeInstanceOf(ccxt.DDoSProtection)
      expect(weight.message).toContain("-1003")
      const retryAfter = Number(exchange.last_response_headers?.["Retry-After"])
      expect(retryAfter).toBeGreaterThanOrEqual(55)
      expect(retryAfter).toBeLessThanOrEqual(60)
      expect(limited.counters()).toMatchObject({ status429: 2, created: 2 })
    } finally {
      await limited.close()
    }
  })

  it("limits as configured: usage headers on every answer; repeated 429s end in a 418 ban that each request during it lengthens", async () => {
    const limited = await startBinanceServer({
      ...DEFAULTS,
      rateLimits: [
        { rateLimitType: "REQUEST_WEIGHT", interval: "SECOND", intervalNum: 10, limit: 3 },
        { rateLimitType: "ORDERS", interval: "SECOND", intervalNum: 10, limit: 5 },
        { rateLimitType: "ORDERS", interval: "DAY", intervalNum: 1, limit: 100 }
      ],
      ban: { after429s: 2, ms: 60_000 }
    })
    try {
      const time = async () => {
        const r = await fetch(`${limited.url}/api/v3/time`)
        return { status: r.status, headers: Object.fromEntries(r.headers), body: await r.json() as { code?: number } }
      }
      const ok = await time()
      expect(ok.status).toBe(200)
      expect(ok.headers).toMatchObject({ "x-mbx-used-weight-10s": "1", "x-mbx-order-count-10s": "0", "x-mbx-order-count-1d": "0" })
      await time()
      await time()
      // Past the limit: 429 -1003 with Retry-After, twice tolerated; the third violation is a ban.
      for (let i = 0; i < 2; i++) {
        const refused = await time()
        expect(refused.status).toBe(429)
        expect(refused.body.code).toBe(-1003)
        expect(Number(refused.headers["retry-after"])).toBeGreaterThanOrEqual(1)
        expect(refused.headers["x-mbx-used-weight-10s"]).toBe("3")
      }
      const banned = await time()
      expect(banned.status).toBe(418)
      expect(banned.headers["retry-after"]).toBe("60")
      const end = limited.banEnd()
      const during = await time()
      expect(during.status).toBe(418)
      expect(limited.banEnd()).toBeGreaterThanOrEqual(end)
      expect(limited.counters()).toMatchObject({ status429: 2, status418: 2, duringBan: 1 })
    } finally {
      await limited.close()
    }
  })

  it("hang with a short ccxt timeout is RequestTimeout; delay processes at once and answers late", async () => {
    const exchange = await ready(server, { timeout: 300 })
    server.hang({ path: "/api/v3/account" })
    const started = Date.now()
    expect(await rejection(exchange.fetchBalance())).toBeInstanceOf(ccxt.RequestTimeout)
    expect(Date.now() - started).toBeGreaterThanOrEqual(290)
    expect(server.requestLog().at(-1)?.outcome).toBe("hung")

    server.delay(600, { method: "POST", path: "/api/v3/order" })
    const late = await rejection(exchange.createOrder("HBAR/USDT", "limit", "buy", 100, 0.05, { clientOrderId: "late-1" }))
    expect(late).toBeInstanceOf(ccxt.RequestTimeout)
    expect(server.orders().map((o) => [o.clientOrderId, o.status])).toEqual([["late-1", "NEW"]])
    expect((await exchange.fetchBalance())["USDT"]?.used).toBe(5)
  })

  it("5xx answers: 502 ExchangeNotAvailable, 504 RequestTimeout, 500/-1001 OperationFailed", async () => {
    const exchange = await ready()
    server.status5xx(502)
    expect(await rejection(exchange.fetchBalance())).toBeInstanceOf(ccxt.ExchangeNotAvailable)
    server.status5xx(504)
    expect(await rejection(exchange.fetchBalance())).toBeInstanceOf(ccxt.RequestTimeout)
    server.status5xx(500)
    const internal = await rejection(exchange.fetchBalance())
    expect(internal).toBeInstanceOf(ccxt.OperationFailed)
    expect(internal).not.toBeInstanceOf(ccxt.NetworkError)
    // -1008 is mapped (to OperationFailed) only for https://api.binance.us URLs; at a local URL it is a bare ExchangeError
    server.status5xx(503, { binanceBody: true, afterProcessing: true, method: "POST" })
    const busy = await rejection(exchange.createOrder("HBAR/USDT", "limit", "buy", 100, 0.05))
    expect(busy.constructor).toBe(ccxt.ExchangeError)
    expect(busy.message).toContain("-1008")
    expect(server.orders()).toHaveLength(1) // 5xx: execution status unknown, here it did execute
    expect(server.counters().status5xx).toBe(4)
  })

  it("a server clock 20 s behind is InvalidNonce (-1021) until loadTimeDifference()", async () => {
    const exchange = await ready()
    server.setClockSkew(-20_000)
    const e = await rejection(exchange.fetchBalance())
    expect(e).toBeInstanceOf(ccxt.InvalidNonce)
    expect(e.message).toContain("-1021")
    const difference = await exchange.loadTimeDifference()
    expect(difference).toBeGreaterThan(19_000)
    expect(difference).toBeLessThan(21_000)
    expect((await exchange.fetchBalance())["USDT"]?.free).toBe(100)
  })

  it("binanceServer (scoped): latency, fees, partial fills and myTrades; closed with its scope", async () => {
    const { url, trades, order, elapsed } = await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function*() {
          const slow = yield* binanceServer({ ...DEFAULTS, latencyMs: 40, feeRate: "0.001" })
          const exchange = yield* Effect.promise(() => ready(slow))
          const placed = yield* Effect.promise(() => exchange.createOrder("HBAR/USDT", "limit", "buy", 100, 0.05, { clientOrderId: "p-1" }))
          slow.fillOrder("HBARUSDT", { clientOrderId: "p-1" }, "40")
          const started = Date.now()
          const order = yield* Effect.promise(() => exchange.fetchOrder(placed.id!, "HBAR/USDT"))
          const elapsed = Date.now() - started
          const trades = yield* Effect.promise(() => exchange.fetchMyTrades("HBAR/USDT"))
          expect(slow.balances()["HBAR"]?.free).toBe("39.96000000") // 40 less the 0.1% fee, in HBAR
          expect(slow.balances()["USDT"]).toEqual({ free: "95.00000000", locked: "3.00000000" })
          return { url: slow.url, trades, order, elapsed }
        })
      )
    )
    expect(order).toMatchObject({ status: "open", filled: 40, remaining: 60 })
    expect(order.info["status"]).toBe("PARTIALLY_FILLED")
    expect(elapsed).toBeGreaterThanOrEqual(35)
    expect(trades).toHaveLength(1)
    expect(trades[0]).toMatchObject({ amount: 40, price: 0.05, takerOrMaker: "maker", fee: { cost: 0.04, currency: "HBAR" } })
    expect(await rejection(fetch(`${url}/api/v3/ping`))).toBeInstanceOf(TypeError) // the scope closed the server
  })
})
