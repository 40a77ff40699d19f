/**
 * The matching "engine" of the Binance test server: orders and OCO lists,
 * validation and fills against a settable last price (the money moves in
 * ./ledger.ts). There is no order book: a limit order fills when the price crosses it
 * (at the market price as taker when it crosses on placement, at its own limit
 * as maker when a later `setPrice` crosses it); market orders fill at the last
 * price. Stop orders wait, untriggered, until `setPrice` reaches their trigger
 * (./triggers.ts), then work as the market or limit order they become. How much
 * one fill may take is unlimited unless `setDepth` caps it, which is how tests
 * get partial fills on their own; `fill` makes any fill by hand.
 * Every change is also announced to `subscribe`rs as an {@link EngineEvent}
 * (the user data stream, ./userStream.ts, turns them into Binance's events).
 */
import * as D from "./decimal.ts"
import type { Dec } from "./decimal.ts"
import { DUPLICATE, fail, INSUFFICIENT, mandatory, rejected } from "./errors.ts"
import { Ledger } from "./ledger.ts"
import { isExecuting, type OcoInput, type OrderList, otherLeg, readOcoParams } from "./lists.ts"
import type { SymbolRules } from "./markets.ts"
import {
  buyLockPrice,
  checkAllowed,
  checkFilters,
  isMarketLike,
  isOpen,
  isStopType,
  isWorking,
  type Order,
  type OrderInput,
  type Params,
  randomClientId,
  readOrderParams,
  type Side
} from "./orders.ts"
import { checkNotTriggered, triggers } from "./triggers.ts"

export type { EngineEvent, ExecutionType } from "./ledger.ts"

/** What DELETE /api/v3/openOrders cancelled: single orders and whole lists, in orderId order. */
export type Cancelled = { readonly kind: "order"; readonly order: Order } | { readonly kind: "list"; readonly list: OrderList }

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

const min = (a: Dec, b: Dec | undefined): Dec => (b === undefined || D.lte(a, b) ? a : b)
const remaining = (o: Order): Dec => D.sub(o.origQty, o.executedQty)

export class Engine extends Ledger {
  readonly symbols: ReadonlyMap<string, SymbolRules>
  readonly prices = new Map<string, Dec>()
  readonly lists: Array<OrderList> = []
  private readonly listsById = new Map<number, OrderList>()
  /** The most one fill may take by symbol (`setDepth`); unlimited when absent. */
  private readonly depth = new Map<string, Dec>()
  /** Orders whose trades `myTrades` leaves out (`unlistTrades`), by order id. */
  readonly unlisted = new Set<string>()
  private readonly options: EngineOptions
  private nextOrderId = 1
  private nextListId = 1

  constructor(options: EngineOptions) {
    super({ maker: options.makerFeeRate ?? options.feeRate, taker: options.takerFeeRate ?? options.feeRate }, options.now)
    this.options = options
    this.symbols = new Map(options.symbols.map((s) => [s.symbol, s]))
    this.reset()
  }

  reset(): void {
    this.clearLedger()
    this.lists.length = 0
    this.listsById.clear()
    this.depth.clear()
    this.unlisted.clear()
    this.prices.clear()
    for (const s of this.symbols.values()) {
      this.balance(s.base)
      this.balance(s.quote)
    }
    for (const [asset, free] of Object.entries(this.options.balances)) this.balance(asset).free = D.dec(free)
    for (const [symbol, price] of Object.entries(this.options.prices)) this.prices.set(this.rules(symbol).symbol, D.dec(price))
  }

  rules(symbol: string | undefined): SymbolRules {
    if (symbol === undefined || symbol === "") return mandatory("symbol")
    return this.symbols.get(symbol) ?? fail(-1121, "Invalid symbol.")
  }

  /** Caps every fill the engine makes by itself on `symbol` at `qty` (undefined: no cap). */
  setDepth(symbol: string, qty: Dec | undefined): void {
    const rules = this.rules(symbol)
    if (qty === undefined) this.depth.delete(rules.symbol)
    else this.depth.set(rules.symbol, qty)
  }

  /**
   * Sets the last price: triggers the stops it reaches and fills the resting
   * limit orders it crosses (at their limit price, as maker), each in its own operation.
   */
  setPrice(symbol: string, price: string): void {
    const rules = this.rules(symbol)
    const p = D.dec(price)
    this.prices.set(rules.symbol, p)
    for (const o of [...this.live]) {
      if (o.rules !== rules || !isOpen(o)) continue // an earlier one may have ended it (OCO)
      if (!isWorking(o)) {
        if (triggers(o.type, o.side, o.stopPrice, p)) this.operation(() => this.trigger(o, p))
      } else if (!isMarketLike(o.type) && this.crosses(o.side, o.price, p)) {
        const qty = min(remaining(o), this.depth.get(rules.symbol))
        if (D.isPositive(qty)) this.fill(o, qty, o.price)
      }
    }
  }

  private crosses(side: Side, limit: Dec, market: Dec | undefined): boolean {
    return market !== undefined && (side === "BUY" ? D.lte(market, limit) : D.gte(market, limit))
  }

  /** POST /api/v3/order: validates like Binance, then places, locks and (maybe) fills. */
  newOrder(params: Params): Order {
    return this.operation(() => {
      const rules = this.rules(params["symbol"])
      const market = this.prices.get(rules.symbol)
      const input = this.checked(this.withQuoteQuantity(readOrderParams(params, rules), market), market, 1)
      this.checkDuplicates(rules, [input.clientOrderId])
      const need = this.need(input, market)
      if (D.lt(this.balance(this.fundingAsset(input)).free, need)) rejected(INSUFFICIENT)
      const order = this.create(input, -1, input.type === "MARKET" ? D.ZERO : need)
      if (isWorking(order)) this.work(order, market)
      return order
    })
  }

  /** POST /api/v3/order/oco: both legs validated, funds locked once for the pair, both placed. */
  newOco(params: Params): OrderList {
    return this.operation(() => {
      const rules = this.rules(params["symbol"])
      const market = this.prices.get(rules.symbol)
      const oco: OcoInput = readOcoParams(params, rules, market)
      const stop = this.checked(oco.stop, market, 2)
      const limit = this.checked(oco.limit, market, 2)
      if (this.lists.some((l) => isExecuting(l) && l.listClientOrderId === oco.listClientOrderId)) rejected(DUPLICATE)
      this.checkDuplicates(rules, [stop.clientOrderId, limit.clientOrderId])
      // one lock covers the pair: the limit leg holds its own need, the stop leg any excess
      const limitNeed = this.need(limit, market)
      const total = D.gt(this.need(stop, market), limitNeed) ? this.need(stop, market) : limitNeed
      if (D.lt(this.balance(this.fundingAsset(limit)).free, total)) rejected(INSUFFICIENT)
      const orderListId = this.nextListId++
      const legs = [this.create(stop, orderListId, D.sub(total, limitNeed)), this.create(limit, orderListId, limitNeed)] as const
      const list: OrderList = {
        orderListId,
        listClientOrderId: oco.listClientOrderId,
        rules,
        legs,
        listStatusType: "EXEC_STARTED",
        listOrderStatus: "EXECUTING",
        transactionTime: legs[0].time
      }
      this.lists.push(list)
      this.listsById.set(orderListId, list)
      this.emit({ kind: "list", list })
      return list
    })
  }

  /** Checks a new order against the symbol: type allowed, sane amounts, filters, trigger and maker rules. */
  private checked(input: OrderInput, market: Dec | undefined, adding: number): OrderInput {
    checkAllowed(input)
    if (!isMarketLike(input.type) && !D.isPositive(input.price ?? D.ZERO)) fail(-1013, "Invalid price.")
    if (input.stopPrice !== undefined && !D.isPositive(input.stopPrice)) fail(-1013, "Invalid stop price.")
    if (!D.isPositive(input.quantity) && input.quoteOrderQty === undefined) fail(-1013, "Invalid quantity.")
    if (input.quoteOrderQty === undefined || market !== undefined) {
      const open = this.openOrders(input.rules.symbol)
      checkFilters(input, market, { open: open.length, openStops: open.filter((o) => isStopType(o.type)).length, adding })
    }
    if (input.stopPrice !== undefined) checkNotTriggered(input.type, input.side, input.stopPrice, market)
    if (input.type === "LIMIT_MAKER" && this.crosses(input.side, input.price ?? D.ZERO, market)) {
      rejected("Order would immediately match and take.")
    }
    return input
  }

  /** A MARKET order by `quoteOrderQty`: as much as it buys / what it needs to sell, on the LOT_SIZE step. */
  private withQuoteQuantity(input: OrderInput, market: Dec | undefined): OrderInput {
    const quote = input.quoteOrderQty
    if (quote === undefined) return input
    const { rules } = input
    const step = [rules.marketLot?.step, rules.lot?.step].find((s) => s !== undefined && D.isPositive(s)) ?? D.dec("0.00000001")
    const quantity = market === undefined || !D.isPositive(market) ? D.ZERO : D.times(D.floorDiv(quote, D.mul(market, step)), step)
    return { ...input, quantity }
  }

  private checkDuplicates(rules: SymbolRules, clientIds: ReadonlyArray<string>): void {
    if (new Set(clientIds).size < clientIds.length) rejected(DUPLICATE)
    if (this.openOrders(rules.symbol).some((o) => clientIds.includes(o.clientOrderId))) rejected(DUPLICATE)
  }

  /** What an order needs free: a sell its quantity; a buy what it could spend (a market buy: at the last price). */
  private need(input: OrderInput, market: Dec | undefined): Dec {
    if (input.side === "SELL") return input.quantity
    const unit = input.type === "MARKET" ? market ?? D.ZERO : buyLockPrice({ ...input, price: input.price ?? D.ZERO, stopPrice: input.stopPrice ?? D.ZERO })
    return D.mul(unit, input.quantity)
  }

  /** Records a validated order, locks `lock` of its funding asset and announces it (NEW). */
  private create(input: OrderInput, orderListId: number, lock: Dec): Order {
    const now = this.now()
    const order: Order = {
      rules: input.rules,
      orderId: this.nextOrderId++,
      orderListId,
      clientOrderId: input.clientOrderId,
      side: input.side,
      type: input.type,
      timeInForce: input.timeInForce ?? "GTC",
      price: input.price ?? D.ZERO,
      stopPrice: input.stopPrice ?? D.ZERO,
      origQty: input.quantity,
      origQuoteOrderQty: input.quoteOrderQty ?? D.ZERO,
      time: now,
      workingTime: isStopType(input.type) ? -1 : now,
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
    this.lock(order, lock)
    this.emit({ kind: "execution", order, execution: "NEW", fill: undefined })
    return order
  }

  /**
   * A working order meets the market: a market-like one fills at the last price,
   * a crossing limit fills there as taker; each at most the symbol's depth. What a
   * market, IOC or FOK order could not fill expires; a limit order's rest rests.
   */
  private work(order: Order, market: Dec | undefined): void {
    const crossing = market !== undefined && (isMarketLike(order.type) || this.crosses(order.side, order.price, market))
    if (crossing && market !== undefined) {
      const qty = min(remaining(order), this.depth.get(order.rules.symbol))
      const affordable = order.side === "SELL" || order.type === "MARKET" ||
        D.gte(D.add(this.balance(order.rules.quote).free, order.lockedLeft), D.mul(market, qty))
      const fok = order.timeInForce === "FOK" && D.lt(qty, remaining(order))
      if (D.isPositive(qty) && affordable && !fok) this.applyFill(order, qty, market, false)
    }
    if (isOpen(order) && (isMarketLike(order.type) || order.timeInForce === "IOC" || order.timeInForce === "FOK")) {
      this.applyClose(order, "EXPIRED", undefined)
    }
  }

  /** A stop reached its trigger: the other OCO leg expires, the order works (NEW again), then meets the market. */
  private trigger(order: Order, last: Dec): void {
    const now = this.now()
    order.workingTime = now
    order.updateTime = now
    this.endList(order)
    const need = order.side === "SELL" ? remaining(order) : D.mul(buyLockPrice(order), remaining(order))
    if (D.gt(need, order.lockedLeft)) this.lock(order, D.sub(need, order.lockedLeft))
    this.emit({ kind: "execution", order, execution: "NEW", fill: undefined })
    this.work(order, last)
  }

  /** The OCO `order` is a leg of, if any. */
  private listOf(order: Order): OrderList | undefined {
    return order.orderListId === -1 ? undefined : this.listsById.get(order.orderListId)
  }

  protected afterFill(order: Order): void {
    this.endList(order)
  }

  /** `order`'s OCO (if still executing) is done: its other leg expires; announced as ALL_DONE. */
  private endList(order: Order): void {
    const list = this.listOf(order)
    if (list === undefined || !isExecuting(list)) return
    const other = otherLeg(list, order)
    if (isOpen(other)) this.applyClose(other, "EXPIRED", undefined)
    this.finishList(list)
  }

  private finishList(list: OrderList): void {
    list.listStatusType = "ALL_DONE"
    list.listOrderStatus = "ALL_DONE"
    list.transactionTime = this.now()
    this.emit({ kind: "list", list })
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

  /** DELETE /api/v3/order; a leg of an executing OCO takes its whole list with it, as on Binance. */
  cancel(params: Params): Order {
    const unknown = () => fail(-2011, "Unknown order sent.")
    const order = this.find(params, unknown)
    if (!isOpen(order)) return unknown()
    const list = this.listOf(order)
    const cancelId = params["newClientOrderId"] ?? randomClientId()
    if (list !== undefined && isExecuting(list)) this.cancelListLegs(list, cancelId)
    else this.close(order, "CANCELED", cancelId)
    return order
  }

  /** DELETE /api/v3/orderList: by `orderListId` (preferred) or `listClientOrderId`. */
  cancelList(params: Params): OrderList {
    const rules = this.rules(params["symbol"])
    const id = params["orderListId"]
    const clientId = params["listClientOrderId"]
    if (id === undefined && clientId === undefined) {
      return fail(-1102, "Param 'listClientOrderId' or 'orderListId' must be sent, but both were empty/null!")
    }
    const matches = this.lists.filter((l) => l.rules === rules && (id !== undefined ? String(l.orderListId) === id : l.listClientOrderId === clientId))
    const list = matches[matches.length - 1]
    if (list === undefined || !isExecuting(list)) return fail(-2011, "Unknown order list sent.")
    this.cancelListLegs(list, params["newClientOrderId"] ?? randomClientId())
    return list
  }

  private cancelListLegs(list: OrderList, cancelClientOrderId: string): void {
    this.operation(() => {
      for (const leg of list.legs) if (isOpen(leg)) this.applyClose(leg, "CANCELED", cancelClientOrderId)
      this.finishList(list)
    })
  }

  /** DELETE /api/v3/openOrders: every open order of the symbol, whole lists for OCO legs; one cancel id for all. */
  cancelAll(symbol: string | undefined): ReadonlyArray<Cancelled> {
    const open = this.openOrders(this.rules(symbol).symbol)
    if (open.length === 0) fail(-2011, "Unknown order sent.")
    const cancelId = randomClientId()
    const out: Array<Cancelled> = []
    for (const order of open) {
      const list = this.listOf(order)
      if (list !== undefined && isExecuting(list)) {
        this.cancelListLegs(list, cancelId)
        out.push({ kind: "list", list })
      } else if (isOpen(order)) {
        this.close(order, "CANCELED", cancelId)
        out.push({ kind: "order", order })
      }
    }
    return out
  }

  openOrders(symbol?: string): ReadonlyArray<Order> {
    const rules = symbol === undefined ? undefined : this.rules(symbol)
    return [...this.live].filter((o) => rules === undefined || o.rules === rules)
  }
}
