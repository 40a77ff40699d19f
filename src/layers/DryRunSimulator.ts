/**
 * The paper exchange's book: balances with locked funds, orders, and a settable
 * price per market. Plain synchronous code over exact decimals, so each step is
 * atomic for the fibers that call it and a benchmark measures the book, not the
 * plumbing. `DryRun.ts` wraps it as a `Venue`.
 *
 * Rules it enforces like an exchange: funds are checked and locked at placement
 * (a limit order locks what it could spend at its limit). A limit order that
 * crosses the market when placed takes liquidity: it fills at once, in full, at the
 * market price, paying the taker fee. One that rests makes liquidity: when a later
 * price crosses it, it fills in full at its own limit, paying the maker fee. A
 * market order fills at the current price as a taker. Fees are charged in the
 * asset received, as Binance charges them without BNB.
 */
import { Option, Result } from "effect"
import { ExchangeError, type ExchangeReason } from "../errors/ExchangeError.ts"
import * as D from "../services/Decimal.ts"
import type { MarketRules } from "../services/MarketRules.ts"
import type { OrderRecord, OrderSide, OrderStatus, OrderType } from "../services/OrderRecord.ts"
import type { Balance, SubmitOrder } from "../services/Venue.ts"

/**
 * An open order: its current view, and the exact amounts its lock and its fill are
 * computed from. Only open orders carry decimals; the book's history keeps each
 * order's latest `OrderRecord` and nothing else, so a long paper run costs little memory.
 */
interface OpenOrder {
  readonly record: OrderRecord
  readonly price: D.Decimal
  readonly quantity: D.Decimal
}

interface Funds {
  free: D.Decimal
  used: D.Decimal
}

/** The serialisable form of the book, for resuming a dry-run session from the journal. */
export interface SimulatorState {
  readonly version: 1
  readonly seq: number
  readonly balances: Record<string, { readonly free: string; readonly used: string }>
  readonly prices: Record<string, string>
  readonly orders: ReadonlyArray<{
    readonly id: string
    readonly clientOrderId: string
    readonly symbol: string
    readonly side: OrderSide
    readonly type: OrderType
    readonly price: string
    readonly quantity: string
    readonly filled: string
    readonly status: OrderStatus
    readonly timestamp: number
  }>
}

export interface SimulatorOptions {
  readonly markets: ReadonlyMap<string, MarketRules>
  readonly balances: ReadonlyMap<string, D.Decimal>
  readonly prices: ReadonlyMap<string, D.Decimal>
  /** Fee rate of a fill that made liquidity (a resting order crossed later). */
  readonly makerFee: D.Decimal
  /** Fee rate of a fill that took liquidity (a market order, a limit order crossing when placed). */
  readonly takerFee: D.Decimal
}

export type Simulator = ReturnType<typeof makeSimulator>

export const makeSimulator = (options: SimulatorOptions) => {
  let seq = 0
  const funds = new Map<string, Funds>()
  const prices = new Map(options.prices)
  /** Every order by exchange id, as last seen: the records handed out are these, shared and immutable. */
  const history = new Map<string, OrderRecord>()
  const idByClientId = new Map<string, string>()
  /** Open orders, by symbol, then by id. */
  const open = new Map<string, Map<string, OpenOrder>>()
  const one = D.unsafe(1)
  /** The share of the asset received that a maker or taker fill keeps after its fee. */
  const keepMaker = D.sub(one, options.makerFee)
  const keepTaker = D.sub(one, options.takerFee)

  for (const [asset, amount] of options.balances) funds.set(asset, { free: amount, used: D.ZERO })

  const fundsOf = (asset: string): Funds => {
    let f = funds.get(asset)
    if (f === undefined) {
      f = { free: D.ZERO, used: D.ZERO }
      funds.set(asset, f)
    }
    return f
  }
  const openOn = (symbol: string): Map<string, OpenOrder> => {
    let m = open.get(symbol)
    if (m === undefined) {
      m = new Map()
      open.set(symbol, m)
    }
    return m
  }
  const rulesOf = (symbol: string) => options.markets.get(symbol)

  const refuse = (op: string, symbol: string, reason: ExchangeReason, detail: string, ids: { orderId?: string; clientOrderId?: string } = {}) =>
    Result.fail(new ExchangeError({ operation: op, symbol, reason, detail, ...ids }))

  /** Records `record` as the order's latest view and takes it off the book when it is final. */
  const settle = (record: OrderRecord): OrderRecord => {
    history.set(record.id, record)
    if (record.status !== "open") open.get(record.symbol)?.delete(record.id)
    return record
  }

  /**
   * Fills `o` in full at `price`, as a maker (a resting order crossed later) or a
   * taker: releases a limit order's lock, pays the cost at `price`, and credits the
   * asset received less the fee. The record keeps a limit order's own price, as the
   * exchange's order does; a market order's price is its fill price.
   */
  const fill = (o: OpenOrder, price: D.Decimal, role: "maker" | "taker"): OrderRecord => {
    const { record } = o
    const rules = rulesOf(record.symbol)!
    const base = fundsOf(rules.base)
    const quote = fundsOf(rules.quote)
    const keep = role === "maker" ? keepMaker : keepTaker
    const cost = D.mul(price, o.quantity)
    if (record.side === "buy") {
      if (record.type === "limit") {
        const locked = D.mul(o.price, o.quantity)
        quote.used = D.sub(quote.used, locked)
        quote.free = D.add(quote.free, locked)
      }
      quote.free = D.sub(quote.free, cost)
      base.free = D.add(base.free, D.mul(o.quantity, keep))
    } else {
      if (record.type === "limit") base.used = D.sub(base.used, o.quantity)
      else base.free = D.sub(base.free, o.quantity)
      quote.free = D.add(quote.free, D.mul(cost, keep))
    }
    const shown = record.type === "limit" ? record.price : D.toNumber(price)
    return settle({ ...record, price: shown, filled: record.quantity, status: "closed" })
  }

  const crosses = (o: OpenOrder, price: D.Decimal) => (o.record.side === "buy" ? D.lte(price, o.price) : D.gte(price, o.price))

  const submit = (op: string, req: SubmitOrder, now: number): Result.Result<OrderRecord, ExchangeError> => {
    const rules = rulesOf(req.symbol)
    const ids = { clientOrderId: req.clientOrderId }
    if (rules === undefined) return refuse(op, req.symbol, "MarketClosed", "unknown market", ids)
    const existing = idByClientId.get(req.clientOrderId)
    if (existing !== undefined && history.get(existing)?.status === "open") {
      return refuse(op, req.symbol, "InvalidOrder", "Duplicate order sent.", ids)
    }
    if (!D.isMultipleOf(req.quantity, rules.stepSize)) {
      return refuse(op, req.symbol, "InvalidOrder", `Filter failure: LOT_SIZE (${D.format(req.quantity)})`, ids)
    }
    const market = prices.get(req.symbol)
    let price: D.Decimal
    if (req.type === "limit") {
      if (Option.isNone(req.price)) return refuse(op, req.symbol, "InvalidOrder", "limit order without price", ids)
      price = req.price.value
      if (!D.isMultipleOf(price, rules.tickSize)) {
        return refuse(op, req.symbol, "InvalidOrder", `Filter failure: PRICE_FILTER (${D.format(price)})`, ids)
      }
      const openCount = open.get(req.symbol)?.size ?? 0
      if (Option.isSome(rules.maxOpenOrders) && openCount >= rules.maxOpenOrders.value) {
        return refuse(op, req.symbol, "InvalidOrder", "Filter failure: MAX_NUM_ORDERS", ids)
      }
    } else {
      if (market === undefined) {
        return refuse(op, req.symbol, "InvalidOrder", "no market price yet: set one with DryRunMarket.setPrice", ids)
      }
      price = market
    }
    const need = req.side === "buy" ? D.mul(price, req.quantity) : req.quantity
    const asset = req.side === "buy" ? rules.quote : rules.base
    const f = fundsOf(asset)
    if (D.lt(f.free, need)) {
      return refuse(
        op,
        req.symbol,
        "InsufficientFunds",
        `Account has insufficient balance for requested action: need ${D.format(need)} ${asset}, free ${D.format(f.free)}`,
        ids
      )
    }
    seq += 1
    const id = `dry_run_${seq}`
    const o: OpenOrder = {
      record: {
        id,
        clientOrderId: req.clientOrderId,
        symbol: req.symbol,
        side: req.side,
        type: req.type,
        // A market order's price is its fill price, zero until it fills.
        price: req.type === "limit" ? D.toNumber(price) : 0,
        quantity: D.toNumber(req.quantity),
        filled: 0,
        status: "open",
        timestamp: now
      },
      price,
      quantity: req.quantity
    }
    idByClientId.set(req.clientOrderId, id)
    history.set(id, o.record)
    if (req.type === "market") return Result.succeed(fill(o, price, "taker"))
    f.free = D.sub(f.free, need)
    f.used = D.add(f.used, need)
    openOn(req.symbol).set(id, o)
    return Result.succeed(market !== undefined && crosses(o, market) ? fill(o, market, "taker") : o.record)
  }

  const cancel = (op: string, symbol: string, orderId: string): Result.Result<OrderRecord, ExchangeError> => {
    const o = open.get(symbol)?.get(orderId)
    if (o === undefined) {
      const known = history.get(orderId)
      if (known === undefined || known.symbol !== symbol) {
        return refuse(op, symbol, "OrderNotFound", "Unknown order sent.", { orderId })
      }
      return refuse(op, symbol, "OrderNotOpen", `order is ${known.status}, not open`, {
        orderId,
        clientOrderId: known.clientOrderId
      })
    }
    const rules = rulesOf(symbol)!
    if (o.record.side === "buy") {
      const q = fundsOf(rules.quote)
      const locked = D.mul(o.price, o.quantity)
      q.used = D.sub(q.used, locked)
      q.free = D.add(q.free, locked)
    } else {
      const b = fundsOf(rules.base)
      b.used = D.sub(b.used, o.quantity)
      b.free = D.add(b.free, o.quantity)
    }
    return Result.succeed(settle({ ...o.record, status: "canceled" }))
  }

  /** Moves the market; gives the orders that filled. */
  const setPrice = (symbol: string, price: D.Decimal): ReadonlyArray<OrderRecord> => {
    prices.set(symbol, price)
    const book = open.get(symbol)
    if (book === undefined || book.size === 0) return []
    const filled: Array<OrderRecord> = []
    // Deleting the entry being visited (a fill) is safe while iterating a Map.
    for (const o of book.values()) {
      if (crosses(o, price)) filled.push(fill(o, o.price, "maker"))
    }
    return filled
  }

  const list = (symbol: string, p: (o: OrderRecord) => boolean) => {
    const out: Array<OrderRecord> = []
    for (const o of history.values()) if (o.symbol === symbol && p(o)) out.push(o)
    return out
  }

  const exportState = (): SimulatorState => ({
    version: 1,
    seq,
    balances: Object.fromEntries([...funds].map(([a, f]) => [a, { free: D.format(f.free), used: D.format(f.used) }])),
    prices: Object.fromEntries([...prices].map(([s, p]) => [s, D.format(p)])),
    orders: [...history.values()].map((r) => {
      // An open order's amounts are its exact decimals; a final one's, its record's exact numbers.
      const o = r.status === "open" ? open.get(r.symbol)?.get(r.id) : undefined
      return {
        ...r,
        price: o === undefined ? D.formatNumber(r.price) : D.format(o.price),
        quantity: o === undefined ? D.formatNumber(r.quantity) : D.format(o.quantity),
        filled: D.formatNumber(r.filled)
      }
    })
  })

  /** Replaces the book with a saved one (the journal's last dry-run state). */
  const importState = (state: SimulatorState) => {
    seq = state.seq
    funds.clear()
    prices.clear()
    history.clear()
    idByClientId.clear()
    open.clear()
    for (const [asset, f] of Object.entries(state.balances)) funds.set(asset, { free: D.unsafe(f.free), used: D.unsafe(f.used) })
    for (const [symbol, p] of Object.entries(state.prices)) prices.set(symbol, D.unsafe(p))
    for (const s of state.orders) {
      const record: OrderRecord = { ...s, price: Number(s.price), quantity: Number(s.quantity), filled: Number(s.filled) }
      history.set(record.id, record)
      idByClientId.set(record.clientOrderId, record.id)
      if (record.status === "open") openOn(record.symbol).set(record.id, { record, price: D.unsafe(s.price), quantity: D.unsafe(s.quantity) })
    }
  }

  return {
    submit,
    cancel,
    setPrice,
    price: (symbol: string): Option.Option<D.Decimal> => Option.fromNullishOr(prices.get(symbol)),
    setBalance: (asset: string, free: D.Decimal) => {
      fundsOf(asset).free = free
    },
    balances: (): ReadonlyMap<string, Balance> => new Map([...funds].map(([a, f]) => [a, { free: f.free, used: f.used }])),
    order: (orderId: string): Option.Option<OrderRecord> => Option.fromNullishOr(history.get(orderId)),
    byClientOrderId: (id: string): Option.Option<OrderRecord> => {
      const orderId = idByClientId.get(id)
      return Option.fromNullishOr(orderId === undefined ? undefined : history.get(orderId))
    },
    openOrders: (symbol: string): ReadonlyArray<OrderRecord> => Array.from(open.get(symbol)?.values() ?? [], (o) => o.record),
    orders: (symbol: string, since?: number, until?: number) =>
      list(symbol, (o) => (since === undefined || o.timestamp >= since) && (until === undefined || o.timestamp <= until)),
    exportState,
    importState
  }
}
