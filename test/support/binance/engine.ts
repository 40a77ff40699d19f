/**
 * The matching "engine" of the Binance test server: balances (free/locked per
 * asset), orders, filter validation and fills against a settable last price.
 * There is no order book: a limit order fills in full when the price crosses it
 * (at the market price when it crosses on placement, at its own limit price when
 * a later `setPrice` crosses it); market orders fill at the current price.
 * Every change is also announced to `subscribe`rs as an {@link EngineEvent}
 * (the user data stream, ./userStream.ts, turns them into Binance's events).
 */
import { randomBytes } from "node:crypto"
import * as D from "./decimal.ts"
import type { Dec } from "./decimal.ts"
import type { SymbolRules } from "./markets.ts"

/** A Binance API error: HTTP status plus Binance's `{ code, msg }` body. */
export class BinanceError extends Error {
  readonly status: number
  readonly code: number
  constructor(status: number, code: number, msg: string) {
    super(msg)
    this.status = status
    this.code = code
  }
}

export const fail = (code: number, msg: string, status = 400): never => {
  throw new BinanceError(status, code, msg)
}
const mandatory = (name: string): never => fail(-1102, `Mandatory parameter '${name}' was not sent, was empty/null, or malformed.`)
const notRequired = (name: string): never => fail(-1106, `Parameter '${name}' sent when not required.`)
const filterFailure = (filter: string): never => fail(-1013, `Filter failure: ${filter}`)
export const INSUFFICIENT = "Account has insufficient balance for requested action."

export type Params = Readonly<Record<string, string>>
export type OrderStatus = "NEW" | "PARTIALLY_FILLED" | "FILLED" | "CANCELED" | "EXPIRED"
type Side = "BUY" | "SELL"

export interface Fill {
  readonly price: Dec
  readonly qty: Dec
  readonly commission: Dec
  readonly commissionAsset: string
  readonly tradeId: number
  readonly isMaker: boolean
  readonly time: number
}

export interface Order {
  readonly rules: SymbolRules
  readonly orderId: number
  readonly clientOrderId: string
  readonly side: Side
  readonly type: "LIMIT" | "LIMIT_MAKER" | "MARKET"
  readonly timeInForce: string
  readonly price: Dec
  readonly origQty: Dec
  readonly origQuoteOrderQty: Dec
  readonly time: number
  executedQty: Dec
  cummulativeQuoteQty: Dec
  status: OrderStatus
  updateTime: number
  /** What this order still holds locked (quote for a buy, base for a sell). */
  lockedLeft: Dec
  readonly fills: Array<Fill>
  /** The `newClientOrderId` of the request that cancelled it (Binance's `clientOrderId` of a cancel). */
  cancelClientOrderId?: string
}

/** Binance's execution types for the changes this engine makes. */
export type ExecutionType = "NEW" | "TRADE" | "CANCELED" | "EXPIRED"

/**
 * A change the engine just made, announced synchronously, in order. An order's
 * event is sent after the order is updated; `balances` comes once at the end of
 * each operation (a placement with its immediate fill, one fill, one cancel, one
 * deposit) and names the assets whose free/locked amounts it moved.
 */
export type EngineEvent =
  | { readonly kind: "execution"; readonly order: Order; readonly execution: ExecutionType; readonly fill: Fill | undefined }
  | { readonly kind: "balances"; readonly assets: ReadonlyArray<string> }
  | { readonly kind: "deposit"; readonly asset: string; readonly delta: Dec; readonly time: number }

export const isOpen = (o: Order): boolean => o.status === "NEW" || o.status === "PARTIALLY_FILLED"

const CLIENT_ID = /^[.A-Z:/a-z0-9_-]{1,36}$/
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
/** A 22-character id like the ones Binance generates. */
export const randomClientId = (): string => Array.from(randomBytes(22), (b) => ALPHABET[b % 62]).join("")

/** Reads a DECIMAL parameter the way Binance does (-1100 illegal characters, -1111 more than 8 decimals). */
const decimalParam = (params: Params, name: string): Dec | undefined => {
  const raw = params[name]
  if (raw === undefined || raw === "") return undefined
  const value = D.parseParam(raw)
  if (value === undefined) {
    return fail(-1100, `Illegal characters found in parameter '${name}'; legal range is '^([0-9]{1,20})(\\.[0-9]{1,20})?$'.`)
  }
  if (D.fractionDigits(raw) > 8) fail(-1111, "Precision is over the maximum defined for this asset.")
  return value
}

const UNSUPPORTED_TYPE: Record<string, string> = {
  MARKET: "Market orders are not supported for this symbol.",
  LIMIT_MAKER: "Limit maker orders are not supported for this symbol.",
  STOP_LOSS: "Stop loss orders are not supported for this symbol.",
  STOP_LOSS_LIMIT: "Stop loss limit orders are not supported for this symbol.",
  TAKE_PROFIT: "Take profit orders are not supported for this symbol.",
  TAKE_PROFIT_LIMIT: "Take profit limit orders are not supported for this symbol."
}

export interface EngineOptions {
  readonly symbols: ReadonlyArray<SymbolRules>
  readonly balances: Readonly<Record<string, string>>
  readonly prices: Readonly<Record<string, string>>
  /** Commission rate charged on the received asset of every fill, e.g. "0.001"; "0" by default. */
  readonly feeRate: string
  /** Commission rate of maker fills (resting orders filled later); `feeRate` when absent. */
  readonly makerFeeRate?: string | undefined
  /** Commission rate of taker fills (market orders, limit orders crossing when placed); `feeRate` when absent. */
  readonly takerFeeRate?: string | undefined
  readonly now: () => number
}

interface Balance {
  free: Dec
  locked: Dec
}

export class Engine {
  readonly symbols: ReadonlyMap<string, SymbolRules>
  readonly prices = new Map<string, Dec>()
  readonly balances = new Map<string, Balance>()
  readonly orders: Array<Order> = []
  /** Open orders in orderId order, and every order by id: O(1)/O(open) lookups for benchmarks. */
  private readonly live = new Set<Order>()
  private readonly byId = new Map<number, Order>()
  private readonly options: EngineOptions
  private readonly makerFeeRate: Dec
  private readonly takerFeeRate: Dec
  private nextOrderId = 1
  private nextTradeId = 1
  private readonly listeners = new Set<(event: EngineEvent) => void>()
  /** Assets moved by the operation in progress, announced when it ends. */
  private touched: Set<string> | undefined

  constructor(options: EngineOptions) {
    this.options = options
    this.makerFeeRate = D.dec(options.makerFeeRate ?? options.feeRate)
    this.takerFeeRate = D.dec(options.takerFeeRate ?? options.feeRate)
    this.symbols = new Map(options.symbols.map((s) => [s.symbol, s]))
    this.reset()
  }

  reset(): void {
    this.orders.length = 0
    this.live.clear()
    this.byId.clear()
    this.prices.clear()
    this.balances.clear()
    for (const s of this.symbols.values()) {
      this.balance(s.base)
      this.balance(s.quote)
    }
    for (const [asset, free] of Object.entries(this.options.balances)) this.balance(asset).free = D.dec(free)
    for (const [symbol, price] of Object.entries(this.options.prices)) this.prices.set(this.rules(symbol).symbol, D.dec(price))
  }

  /** Calls `listener` with every later {@link EngineEvent}; returns the unsubscribe function. */
  subscribe(listener: (event: EngineEvent) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  private emit(event: EngineEvent): void {
    for (const listener of this.listeners) listener(event)
  }

  /** Runs one operation; nested calls join it. The balances it moved are announced once at its end. */
  private operation<A>(f: () => A): A {
    if (this.touched !== undefined) return f()
    const touched = new Set<string>()
    this.touched = touched
    try {
      return f()
    } finally {
      this.touched = undefined
      if (touched.size > 0) this.emit({ kind: "balances", assets: [...touched] })
    }
  }

  private touch(...assets: ReadonlyArray<string>): void {
    for (const a of assets) this.touched?.add(a)
  }

  /** A deposit (positive `delta`) or withdrawal (negative) of free funds, as Binance's `balanceUpdate`. */
  deposit(asset: string, delta: Dec): void {
    this.operation(() => {
      const b = this.balance(asset)
      b.free = D.add(b.free, delta)
      this.emit({ kind: "deposit", asset, delta, time: this.options.now() })
      this.touch(asset)
    })
  }

  balance(asset: string): Balance {
    let b = this.balances.get(asset)
    if (b === undefined) {
      b = { free: D.ZERO, locked: D.ZERO }
      this.balances.set(asset, b)
    }
    return b
  }

  rules(symbol: string | undefined): SymbolRules {
    if (symbol === undefined || symbol === "") return mandatory("symbol")
    return this.symbols.get(symbol) ?? fail(-1121, "Invalid symbol.")
  }

  /** Sets the last price and fills every open order it crosses (at the order's limit price). */
  setPrice(symbol: string, price: string): void {
    const rules = this.rules(symbol)
    const p = D.dec(price)
    this.prices.set(rules.symbol, p)
    for (const o of [...this.live]) {
      if (o.rules === rules && this.crosses(o.side, o.price, p)) this.fill(o, D.sub(o.origQty, o.executedQty), o.price)
    }
  }

  private crosses(side: Side, limit: Dec, market: Dec | undefined): boolean {
    return market !== undefined && (side === "BUY" ? D.lte(market, limit) : D.gte(market, limit))
  }

  /** POST /api/v3/order: validates like Binance, then places, locks and (maybe) fills. */
  newOrder(params: Params): Order {
    return this.operation(() => this.place(params))
  }

  private place(params: Params): Order {
    const rules = this.rules(params["symbol"])
    const side = params["side"] ?? mandatory("side")
    if (side !== "BUY" && side !== "SELL") return fail(-1100, "Illegal characters found in parameter 'side'; legal range is 'BUY, SELL'.")
    const type = params["type"] ?? mandatory("type")
    if (!(type in UNSUPPORTED_TYPE) && type !== "LIMIT") return fail(-1116, "Invalid orderType.")
    const clientOrderId = params["newClientOrderId"] ?? randomClientId()
    if (!CLIENT_ID.test(clientOrderId)) {
      fail(-1100, "Illegal characters found in parameter 'newClientOrderId'; legal range is '^[\\.A-Z\\:/a-z0-9_-]{1,36}$'.")
    }
    const respType = params["newOrderRespType"]
    if (respType !== undefined && !["ACK", "RESULT", "FULL"].includes(respType)) {
      fail(-1100, "Illegal characters found in parameter 'newOrderRespType'; legal range is 'ACK, RESULT, FULL'.")
    }
    let quantity = decimalParam(params, "quantity")
    const price = decimalParam(params, "price")
    const quoteOrderQty = decimalParam(params, "quoteOrderQty")
    let timeInForce = params["timeInForce"]
    if (type === "LIMIT") {
      if (timeInForce === undefined) return mandatory("timeInForce")
      if (!["GTC", "IOC", "FOK"].includes(timeInForce)) return fail(-1115, "Invalid timeInForce.")
    } else if (timeInForce !== undefined) {
      return notRequired("timeInForce")
    }
    if (type === "MARKET") {
      if (price !== undefined) notRequired("price")
      if (quantity === undefined && quoteOrderQty === undefined) fail(-1102, "Param 'quantity' or 'quoteOrderQty' must be sent, but both were empty/null!")
      if (quantity !== undefined && quoteOrderQty !== undefined) notRequired("quoteOrderQty")
    } else {
      if (quantity === undefined) return mandatory("quantity")
      if (price === undefined) return mandatory("price")
      if (quoteOrderQty !== undefined) notRequired("quoteOrderQty")
    }
    if (rules.info.status !== "TRADING") fail(-1013, "Market is closed.")
    if (!rules.info.orderTypes.includes(type)) fail(-2010, UNSUPPORTED_TYPE[type] ?? "Unsupported order combination")
    if (type !== "LIMIT" && type !== "LIMIT_MAKER" && type !== "MARKET") return fail(-1020, "This operation is not supported.")
    if (quoteOrderQty !== undefined && rules.info["quoteOrderQtyMarketAllowed"] === false) {
      fail(-2010, "Quote order qty market orders are not support for this symbol.")
    }

    const market = this.prices.get(rules.symbol)
    if (quoteOrderQty !== undefined) {
      // buy as much as quoteOrderQty buys / sell what quoteOrderQty needs, on the LOT_SIZE step
      const step = [rules.marketLot?.step, rules.lot?.step].find((s) => s !== undefined && D.isPositive(s)) ?? D.dec("0.00000001")
      quantity = market === undefined || !D.isPositive(market) ? D.ZERO : D.times(D.floorDiv(quoteOrderQty, D.mul(market, step)), step)
    }
    const qty = quantity ?? D.ZERO
    if (type !== "MARKET" && !D.isPositive(price ?? D.ZERO)) fail(-1013, "Invalid price.")
    if (!D.isPositive(qty) && quoteOrderQty === undefined) fail(-1013, "Invalid quantity.")
    if (quoteOrderQty === undefined || market !== undefined) this.checkFilters(rules, type, qty, price, market)

    if (this.openOrders(rules.symbol).some((o) => o.clientOrderId === clientOrderId)) fail(-2010, "Duplicate order sent.")
    const limit = price ?? D.ZERO
    const crossing = type === "MARKET" ? market !== undefined : this.crosses(side, limit, market)
    if (type === "LIMIT_MAKER" && crossing) fail(-2010, "Order would immediately match and take.")

    // funds: a limit order locks what it could spend; a market order needs what it will spend now
    const needAsset = side === "BUY" ? rules.quote : rules.base
    const need = side === "SELL" ? qty : type === "MARKET" ? D.mul(market ?? D.ZERO, qty) : D.mul(limit, qty)
    const funds = this.balance(needAsset)
    if (D.lt(funds.free, need)) fail(-2010, INSUFFICIENT)

    const now = this.options.now()
    const order: Order = {
      rules,
      orderId: this.nextOrderId++,
      clientOrderId,
      side,
      type,
      timeInForce: timeInForce ?? "GTC",
      price: limit,
      origQty: qty,
      origQuoteOrderQty: quoteOrderQty ?? D.ZERO,
      time: now,
      updateTime: now,
      executedQty: D.ZERO,
      cummulativeQuoteQty: D.ZERO,
      status: "NEW",
      lockedLeft: D.ZERO,
      fills: []
    }
    this.orders.push(order)
    this.byId.set(order.orderId, order)
    this.live.add(order)
    if (type !== "MARKET") {
      funds.free = D.sub(funds.free, need)
      funds.locked = D.add(funds.locked, need)
      order.lockedLeft = need
    }
    this.emit({ kind: "execution", order, execution: "NEW", fill: undefined })
    if (type !== "MARKET") this.touch(needAsset)
    if (crossing && market !== undefined && D.isPositive(qty)) this.fill(order, qty, market, false)
    else if (type === "MARKET" || timeInForce === "IOC" || timeInForce === "FOK") this.close(order, "EXPIRED")
    return order
  }

  private checkFilters(rules: SymbolRules, type: string, qty: Dec, price: Dec | undefined, market: Dec | undefined): void {
    const isMarket = type === "MARKET"
    for (const f of rules.info.filters) {
      switch (f["filterType"]) {
        case "PRICE_FILTER": {
          const r = rules.price
          if (isMarket || r === undefined || price === undefined) break
          if (
            (D.isPositive(r.min) && D.lt(price, r.min)) ||
            (D.isPositive(r.max) && D.gt(price, r.max)) ||
            !D.isMultipleOf(D.sub(price, r.min), r.tick)
          ) filterFailure("PRICE_FILTER")
          break
        }
        case "PERCENT_PRICE": {
          const r = rules.percentPrice
          if (isMarket || r === undefined || price === undefined || market === undefined) break
          if (D.gt(price, D.mul(market, r.up)) || D.lt(price, D.mul(market, r.down))) filterFailure("PERCENT_PRICE")
          break
        }
        case "LOT_SIZE":
        case "MARKET_LOT_SIZE": {
          const r = f["filterType"] === "LOT_SIZE" ? rules.lot : isMarket ? rules.marketLot : undefined
          if (r === undefined) break
          if (
            (D.isPositive(r.min) && D.lt(qty, r.min)) ||
            (D.isPositive(r.max) && D.gt(qty, r.max)) ||
            !D.isMultipleOf(D.sub(qty, r.min), r.step)
          ) filterFailure(String(f["filterType"]))
          break
        }
        case "MIN_NOTIONAL":
        case "NOTIONAL": {
          const r = rules.notional
          const p = isMarket ? market : price
          if (r === undefined || p === undefined) break
          const notional = D.mul(p, qty)
          if ((!isMarket || r.minToMarket) && D.lt(notional, r.min)) filterFailure(r.filter)
          if ((!isMarket || r.maxToMarket) && r.max !== undefined && D.isPositive(r.max) && D.gt(notional, r.max)) filterFailure(r.filter)
          break
        }
        case "MAX_NUM_ORDERS": {
          const max = rules.maxNumOrders
          if (isMarket || max === undefined) break
          if (this.openOrders(rules.symbol).length >= max) filterFailure("MAX_NUM_ORDERS")
          break
        }
      }
    }
  }

  /** Fills `qty` of an open order at `price`, moving balances (commission on the received asset). */
  fill(order: Order, qty: Dec, price: Dec, isMaker = true): void {
    this.operation(() => this.applyFill(order, qty, price, isMaker))
  }

  private applyFill(order: Order, qty: Dec, price: Dec, isMaker: boolean): void {
    const { base, quote } = order.rules
    const cost = D.mul(price, qty)
    const b = this.balance(base)
    const q = this.balance(quote)
    const commission = D.mul(order.side === "BUY" ? qty : cost, isMaker ? this.makerFeeRate : this.takerFeeRate)
    if (order.side === "BUY") {
      const released = order.type === "MARKET" ? D.ZERO : D.mul(order.price, qty)
      q.locked = D.sub(q.locked, released)
      q.free = D.sub(D.add(q.free, released), cost)
      b.free = D.add(b.free, D.sub(qty, commission))
      order.lockedLeft = D.sub(order.lockedLeft, released)
    } else {
      if (order.type === "MARKET") b.free = D.sub(b.free, qty)
      else {
        b.locked = D.sub(b.locked, qty)
        order.lockedLeft = D.sub(order.lockedLeft, qty)
      }
      q.free = D.add(q.free, D.sub(cost, commission))
    }
    order.executedQty = D.add(order.executedQty, qty)
    order.cummulativeQuoteQty = D.add(order.cummulativeQuoteQty, cost)
    const time = this.options.now()
    const commissionAsset = order.side === "BUY" ? base : quote
    const fill: Fill = { price, qty, commission, commissionAsset, tradeId: this.nextTradeId++, isMaker, time }
    order.fills.push(fill)
    order.updateTime = time
    order.status = D.gte(order.executedQty, order.origQty) ? "FILLED" : "PARTIALLY_FILLED"
    if (order.status === "FILLED") this.live.delete(order)
    this.emit({ kind: "execution", order, execution: "TRADE", fill })
    this.touch(base, quote)
  }

  /**
   * Ends an order (CANCELED/EXPIRED), releasing whatever it still locks. A cancel
   * carries its request's client id (`newClientOrderId`, else a generated one).
   */
  close(order: Order, status: "CANCELED" | "EXPIRED", cancelClientOrderId?: string): void {
    this.operation(() => this.applyClose(order, status, cancelClientOrderId))
  }

  private applyClose(order: Order, status: "CANCELED" | "EXPIRED", cancelClientOrderId: string | undefined): void {
    const assetName = order.side === "BUY" ? order.rules.quote : order.rules.base
    const asset = this.balance(assetName)
    const released = order.lockedLeft
    asset.locked = D.sub(asset.locked, released)
    asset.free = D.add(asset.free, released)
    order.lockedLeft = D.ZERO
    order.status = status
    order.updateTime = this.options.now()
    if (status === "CANCELED") order.cancelClientOrderId = cancelClientOrderId ?? randomClientId()
    this.live.delete(order)
    this.emit({ kind: "execution", order, execution: status, fill: undefined })
    if (!D.isZero(released)) this.touch(assetName)
  }

  /** An order by `orderId` (preferred when both are sent) or `origClientOrderId` (its latest use). */
  find(params: Params, notFound: () => never): Order {
    const rules = this.rules(params["symbol"])
    const orderId = params["orderId"]
    const clientId = params["origClientOrderId"]
    if (orderId === undefined && clientId === undefined) {
      return fail(-1102, "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!")
    }
    if (orderId !== undefined) {
      const order = this.byId.get(Number(orderId))
      return order !== undefined && order.rules === rules ? order : notFound()
    }
    const matches = this.orders.filter((o) => o.rules === rules && o.clientOrderId === clientId)
    return matches[matches.length - 1] ?? notFound()
  }

  cancel(params: Params): Order {
    const unknown = () => fail(-2011, "Unknown order sent.")
    const order = this.find(params, unknown)
    if (!isOpen(order)) return unknown()
    this.close(order, "CANCELED", params["newClientOrderId"])
    return order
  }

  openOrders(symbol?: string): ReadonlyArray<Order> {
    const rules = symbol === undefined ? undefined : this.rules(symbol)
    return [...this.live].filter((o) => rules === undefined || o.rules === rules)
  }

  /** GET /api/v3/allOrders: ascending by orderId; from `orderId`/`startTime` upwards, else the most recent. */
  allOrders(params: Params): ReadonlyArray<Order> {
    const rules = this.rules(params["symbol"])
    const limit = Math.min(Number(params["limit"] ?? 500), 1000)
    const startTime = params["startTime"] === undefined ? undefined : Number(params["startTime"])
    const endTime = params["endTime"] === undefined ? undefined : Number(params["endTime"])
    const fromId = params["orderId"] === undefined ? undefined : Number(params["orderId"])
    const selected = this.orders.filter(
      (o) =>
        o.rules === rules &&
        (fromId === undefined || o.orderId >= fromId) &&
        (startTime === undefined || o.time >= startTime) &&
        (endTime === undefined || o.time <= endTime)
    )
    return fromId !== undefined || startTime !== undefined ? selected.slice(0, limit) : selected.slice(-limit)
  }

  /** GET /api/v3/myTrades: the fills of one symbol's orders, ascending by trade id. */
  trades(params: Params): ReadonlyArray<Record<string, unknown>> {
    const rules = this.rules(params["symbol"])
    const limit = Math.min(Number(params["limit"] ?? 500), 1000)
    const startTime = params["startTime"] === undefined ? undefined : Number(params["startTime"])
    const endTime = params["endTime"] === undefined ? undefined : Number(params["endTime"])
    const orderId = params["orderId"]
    const trades = this.orders
      .filter((o) => o.rules === rules && (orderId === undefined || String(o.orderId) === orderId))
      .flatMap((o) =>
        o.fills.map((f) => ({
          symbol: rules.symbol,
          id: f.tradeId,
          orderId: o.orderId,
          orderListId: -1,
          price: D.fmt(f.price),
          qty: D.fmt(f.qty),
          quoteQty: D.fmt(D.mul(f.price, f.qty)),
          commission: D.fmt(f.commission),
          commissionAsset: f.commissionAsset,
          time: f.time,
          isBuyer: o.side === "BUY",
          isMaker: f.isMaker,
          isBestMatch: true
        }))
      )
      .filter((t) => (startTime === undefined || t.time >= startTime) && (endTime === undefined || t.time <= endTime))
      .sort((a, b) => a.id - b.id)
    return trades.slice(-limit)
  }
}

// ---- wire formats --------------------------------------------------------------------------

const ZERO_STR = "0.00000000"

/** An order as GET /api/v3/order, openOrders and allOrders return it (decimals as strings). */
export interface BinanceOrderJson {
  readonly symbol: string
  readonly orderId: number
  readonly orderListId: number
  readonly clientOrderId: string
  readonly price: string
  readonly origQty: string
  readonly executedQty: string
  readonly cummulativeQuoteQty: string
  readonly status: OrderStatus
  readonly timeInForce: string
  readonly type: string
  readonly side: "BUY" | "SELL"
  readonly stopPrice: string
  readonly icebergQty: string
  readonly time: number
  readonly updateTime: number
  readonly isWorking: boolean
  readonly workingTime: number
  readonly origQuoteOrderQty: string
  readonly selfTradePreventionMode: string
}

export const orderJson = (o: Order): BinanceOrderJson => ({
  symbol: o.rules.symbol,
  orderId: o.orderId,
  orderListId: -1,
  clientOrderId: o.clientOrderId,
  price: D.fmt(o.price),
  origQty: D.fmt(o.origQty),
  executedQty: D.fmt(o.executedQty),
  cummulativeQuoteQty: D.fmt(o.cummulativeQuoteQty),
  status: o.status,
  timeInForce: o.timeInForce,
  type: o.type,
  side: o.side,
  stopPrice: ZERO_STR,
  icebergQty: ZERO_STR,
  time: o.time,
  updateTime: o.updateTime,
  isWorking: true,
  workingTime: o.time,
  origQuoteOrderQty: D.fmt(o.origQuoteOrderQty),
  selfTradePreventionMode: "NONE"
})

/** POST /api/v3/order in the requested `newOrderRespType` (Binance's default: FULL for LIMIT/MARKET). */
export const newOrderJson = (o: Order, respType: string | undefined): Record<string, unknown> => {
  const ack = { symbol: o.rules.symbol, orderId: o.orderId, orderListId: -1, clientOrderId: o.clientOrderId, transactTime: o.time }
  if (respType === "ACK" || (respType === undefined && o.type === "LIMIT_MAKER")) return ack
  const result = {
    ...ack,
    price: D.fmt(o.price),
    origQty: D.fmt(o.origQty),
    executedQty: D.fmt(o.executedQty),
    cummulativeQuoteQty: D.fmt(o.cummulativeQuoteQty),
    status: o.status,
    timeInForce: o.timeInForce,
    type: o.type,
    side: o.side,
    workingTime: o.time,
    selfTradePreventionMode: "NONE"
  }
  if (respType === "RESULT") return result
  const fills = o.fills.map((f) => ({
    price: D.fmt(f.price),
    qty: D.fmt(f.qty),
    commission: D.fmt(f.commission),
    commissionAsset: f.commissionAsset,
    tradeId: f.tradeId
  }))
  return { ...result, fills }
}

/** DELETE /api/v3/order: `clientOrderId` is the cancel request's own id, the order's is `origClientOrderId`. */
export const cancelJson = (o: Order, cancelClientOrderId: string, transactTime: number): Record<string, unknown> => ({
  symbol: o.rules.symbol,
  origClientOrderId: o.clientOrderId,
  orderId: o.orderId,
  orderListId: -1,
  clientOrderId: cancelClientOrderId,
  transactTime,
  price: D.fmt(o.price),
  origQty: D.fmt(o.origQty),
  executedQty: D.fmt(o.executedQty),
  cummulativeQuoteQty: D.fmt(o.cummulativeQuoteQty),
  status: o.status,
  timeInForce: o.timeInForce,
  type: o.type,
  side: o.side,
  selfTradePreventionMode: "NONE"
})
