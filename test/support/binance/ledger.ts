/**
 * The money side of the Binance test server's engine: balances (free/locked per
 * asset), the orders' locks, fills with their commission (charged on the received
 * asset), closes that release what an order still locks, and the events that
 * announce each change. The matching rules (what fills when) live in ./engine.ts.
 */
import * as D from "./decimal.ts"
import type { Dec } from "./decimal.ts"
import type { OrderList } from "./lists.ts"
import type { SymbolRules } from "./markets.ts"
import { buyLockPrice, type Fill, type Order, randomClientId, type Side } from "./orders.ts"

/** Binance's execution types for the changes the engine makes (a triggered stop is NEW again). */
export type ExecutionType = "NEW" | "TRADE" | "CANCELED" | "EXPIRED"

/**
 * A change the engine just made, announced synchronously, in order. An order's
 * event is sent after the order is updated; `list` after an OCO started or ended;
 * `balances` comes once at the end of each operation (a placement with its
 * immediate fill, one fill, one trigger, one cancel, one deposit) and names the
 * assets whose free/locked amounts it moved.
 */
export type EngineEvent =
  | { readonly kind: "execution"; readonly order: Order; readonly execution: ExecutionType; readonly fill: Fill | undefined }
  | { readonly kind: "list"; readonly list: OrderList }
  | { readonly kind: "balances"; readonly assets: ReadonlyArray<string> }
  | { readonly kind: "deposit"; readonly asset: string; readonly delta: Dec; readonly time: number }

export interface Balance {
  free: Dec
  locked: Dec
}

export abstract class Ledger {
  readonly balances = new Map<string, Balance>()
  readonly orders: Array<Order> = []
  /** Open orders in orderId order, and every order by id: O(1)/O(open) lookups for benchmarks. */
  protected readonly live = new Set<Order>()
  protected readonly byId = new Map<number, Order>()
  protected readonly now: () => number
  private readonly makerFeeRate: Dec
  private readonly takerFeeRate: Dec
  private nextTradeId = 1
  private readonly listeners = new Set<(event: EngineEvent) => void>()
  /** Assets moved by the operation in progress, announced when it ends. */
  private touched: Set<string> | undefined

  /** `fees`: the commission rates of maker and taker fills, e.g. "0.001". */
  constructor(fees: { readonly maker: string; readonly taker: string }, now: () => number) {
    this.makerFeeRate = D.dec(fees.maker)
    this.takerFeeRate = D.dec(fees.taker)
    this.now = now
  }

  /** Forgets every order and balance (the engine then sets the initial ones). */
  protected clearLedger(): void {
    this.orders.length = 0
    this.live.clear()
    this.byId.clear()
    this.balances.clear()
  }

  /** What a fill means beyond the money: an OCO leg ends its list (./engine.ts). */
  protected abstract afterFill(order: Order): void

  /** Calls `listener` with every later {@link EngineEvent}; returns the unsubscribe function. */
  subscribe(listener: (event: EngineEvent) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  protected emit(event: EngineEvent): void {
    for (const listener of this.listeners) listener(event)
  }

  /** Runs one operation; nested calls join it. The balances it moved are announced once at its end. */
  protected operation<A>(f: () => A): A {
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

  protected touch(...assets: ReadonlyArray<string>): void {
    for (const a of assets) this.touched?.add(a)
  }

  /** A deposit (positive `delta`) or withdrawal (negative) of free funds, as Binance's `balanceUpdate`. */
  deposit(asset: string, delta: Dec): void {
    this.operation(() => {
      const b = this.balance(asset)
      b.free = D.add(b.free, delta)
      this.emit({ kind: "deposit", asset, delta, time: this.now() })
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

  protected fundingAsset(o: { readonly side: Side; readonly rules: SymbolRules }): string {
    return o.side === "BUY" ? o.rules.quote : o.rules.base
  }

  /** Moves `amount` of the order's funding asset from free to locked, on the order's account. */
  protected lock(order: Order, amount: Dec): void {
    if (D.isZero(amount)) return
    const asset = this.fundingAsset(order)
    const funds = this.balance(asset)
    funds.free = D.sub(funds.free, amount)
    funds.locked = D.add(funds.locked, amount)
    order.lockedLeft = D.add(order.lockedLeft, amount)
    this.touch(asset)
  }

  /** Fills `qty` of an open order at `price`, moving balances (commission on the received asset). */
  fill(order: Order, qty: Dec, price: Dec, isMaker = true): void {
    this.operation(() => this.applyFill(order, qty, price, isMaker))
  }

  protected applyFill(order: Order, qty: Dec, price: Dec, isMaker: boolean): void {
    const { base, quote } = order.rules
    const cost = D.mul(price, qty)
    const b = this.balance(base)
    const q = this.balance(quote)
    const commission = D.mul(order.side === "BUY" ? qty : cost, isMaker ? this.makerFeeRate : this.takerFeeRate)
    if (order.side === "BUY") {
      const released = D.mul(buyLockPrice(order), qty)
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
    const time = this.now()
    const commissionAsset = order.side === "BUY" ? base : quote
    const fill: Fill = { price, qty, commission, commissionAsset, tradeId: this.nextTradeId++, isMaker, time }
    order.fills.push(fill)
    order.updateTime = time
    order.status = D.gte(order.executedQty, order.origQty) ? "FILLED" : "PARTIALLY_FILLED"
    if (order.status === "FILLED") this.live.delete(order)
    this.emit({ kind: "execution", order, execution: "TRADE", fill })
    this.touch(base, quote)
    this.afterFill(order)
  }

  /**
   * Ends an order (CANCELED/EXPIRED), releasing whatever it still locks. A cancel
   * carries its request's client id (`newClientOrderId`, else a generated one).
   */
  close(order: Order, status: "CANCELED" | "EXPIRED", cancelClientOrderId?: string): void {
    this.operation(() => this.applyClose(order, status, cancelClientOrderId))
  }

  protected applyClose(order: Order, status: "CANCELED" | "EXPIRED", cancelClientOrderId: string | undefined): void {
    const assetName = this.fundingAsset(order)
    const asset = this.balance(assetName)
    const released = order.lockedLeft
    asset.locked = D.sub(asset.locked, released)
    asset.free = D.add(asset.free, released)
    order.lockedLeft = D.ZERO
    order.status = status
    order.updateTime = this.now()
    if (status === "CANCELED") order.cancelClientOrderId = cancelClientOrderId ?? randomClientId()
    this.live.delete(order)
    this.emit({ kind: "execution", order, execution: status, fill: undefined })
    if (!D.isZero(released)) this.touch(assetName)
  }
}
