/**
 * The paper exchange's book in memory: balances with locked funds, the open orders,
 * and a settable price per market. Plain synchronous code over exact decimals, so
 * each step is atomic for the fibers that call it and a benchmark measures the book,
 * not the plumbing. `DryRun.ts` wraps it as a `Venue` and persists what it changes.
 *
 * It keeps no history: an order leaves memory when it is final. Every step records
 * the rows it touched (orders, balances, prices), and `takeChange` hands them over
 * to be written to the journal's paper store, which holds the finished orders.
 *
 * Rules it enforces like an exchange: funds are checked and locked at placement
 * (a limit order locks what it could spend at its limit). A limit order that
 * crosses the market when placed takes liquidity: it fills at once, in full, at the
 * market price, paying the taker fee. One that rests makes liquidity: when a later
 * price crosses it, it fills in full at its own limit, paying the maker fee. A
 * market order fills at the current price as a taker. Fees are charged in the
 * asset received, as Binance charges them without BNB.
 *
 * Trigger orders wait in a trigger book until a price reaches them, then work as
 * the market or limit order they become (`DryRunTriggers.ts`); OCO lists are in
 * `DryRunOco.ts`; the checks of a new order in `DryRunChecks.ts`.
 */
import { Option, Result } from "effect"
import { ExchangeError, type ExchangeReason } from "../errors/ExchangeError.ts"
import * as D from "../services/Decimal.ts"
import type { MarketRules } from "../services/MarketRules.ts"
import { acceptedOrder, addFee, averageOf, hasLimitPrice, isTriggerType, type OrderRecord } from "../services/OrderRecord.ts"
import { type PaperBook, type PaperChange, type PaperOrder, paperOrderId } from "../services/PaperStore.ts"
import type { Trade } from "../services/Trade.ts"
import type { Balance, SubmitOrder } from "../services/Venue.ts"
import { checkOrder, crossesAt } from "./DryRunChecks.ts"
import { makeOcoLists } from "./DryRunOco.ts"
import { makeOcoPairs, makeTriggerBook, pendingTriggerOf, resume } from "./DryRunTriggers.ts"

interface Funds {
  free: D.Decimal
  used: D.Decimal
}

export interface SimulatorOptions {
  readonly markets: ReadonlyMap<string, MarketRules>
  /** Where the book starts: a fresh seed, or what the journal's paper store loaded. */
  readonly book: PaperBook
  /** Fee rate of a fill that made liquidity (a resting order crossed later). */
  readonly makerFee: D.Decimal
  /** Fee rate of a fill that took liquidity (a market order, a limit order crossing when placed). */
  readonly takerFee: D.Decimal
}

export type Simulator = ReturnType<typeof makeSimulator>

export const makeSimulator = (options: SimulatorOptions) => {
  let seq = options.book.seq
  const funds = new Map<string, Funds>()
  const prices = new Map(options.book.prices)
  /** Open orders, by symbol, then by id; and by id and client order id across symbols. */
  const open = new Map<string, Map<string, PaperOrder>>()
  const openById = new Map<string, PaperOrder>()
  const openByClientId = new Map<string, PaperOrder>()

  /** The most one fill may take, by symbol (`setDepth`); unlimited when absent. */
  const depth = new Map<string, D.Decimal>()

  // The rows changed since the last `takeChange`.
  let changedOrders: Array<PaperOrder> = []
  let changedTrades: Array<readonly [symbol: string, trade: Trade]> = []
  const changedAssets = new Set<string>()
  const changedPrices = new Set<string>()

  for (const [asset, b] of options.book.balances) funds.set(asset, { free: b.free, used: b.used })

  const fundsOf = (asset: string): Funds => {
    let f = funds.get(asset)
    if (f === undefined) {
      f = { free: D.ZERO, used: D.ZERO }
      funds.set(asset, f)
    }
    return f
  }
  /** `fundsOf`, for a change: the asset's row is written with the step. */
  const touch = (asset: string): Funds => {
    changedAssets.add(asset)
    return fundsOf(asset)
  }
  const rulesOf = (symbol: string) => options.markets.get(symbol)

  const addOpen = (o: PaperOrder) => {
    let bySymbol = open.get(o.record.symbol)
    if (bySymbol === undefined) {
      bySymbol = new Map()
      open.set(o.record.symbol, bySymbol)
    }
    bySymbol.set(o.record.id, o)
    openById.set(o.record.id, o)
    openByClientId.set(o.record.clientOrderId, o)
  }
  for (const o of options.book.open) addOpen(o)

  /** Orders waiting for their trigger, and the legs of running OCO lists. */
  const triggers = makeTriggerBook()
  const pairs = makeOcoPairs()
  resume(options.book.open, triggers, pairs)
  const waitForTrigger = (o: PaperOrder) => {
    const t = pendingTriggerOf(o)
    if (t !== undefined) triggers.add(t)
  }

  const refuse = (op: string, symbol: string, reason: ExchangeReason, detail: string, ids: { orderId?: string; clientOrderId?: string } = {}) =>
    Result.fail(new ExchangeError({ operation: op, symbol, reason, detail, ...ids }))

  /** Records `o`'s new view as a change and takes the order off the book when it is final. */
  const settle = (o: PaperOrder, record: OrderRecord): OrderRecord => {
    const next = record === o.record ? o : { ...o, record }
    changedOrders.push(next)
    if (record.status === "open" && next !== o && openById.has(record.id)) addOpen(next)
    if (record.status !== "open") {
      open.get(record.symbol)?.delete(record.id)
      openById.delete(record.id)
      if (openByClientId.get(record.clientOrderId)?.record.id === record.id) openByClientId.delete(record.clientOrderId)
    }
    return record
  }

  /** The quantity of `o` not filled yet. */
  const remainingOf = (o: PaperOrder) => D.sub(o.quantity, o.record.filled)

  /** What one fill of `o` may take: the rest of it, at most the symbol's depth (`setDepth`). */
  const fillable = (o: PaperOrder) => {
    const cap = depth.get(o.record.symbol)
    const rest = remainingOf(o)
    return cap === undefined ? rest : D.min(rest, cap)
  }

  /**
   * Fills `qty` of `o` at `price`, as a maker (a resting order crossed later) or a
   * taker: releases that part of a limit order's lock, pays for it at `price`, and
   * credits the asset received less the fee. The fill is a trade of its own (id
   * `<order id>/<quantity filled before it>`), and the order's filled, cost and fees
   * are the sums of its trades. A market order's unfilled rest expires.
   */
  const fill = (o: PaperOrder, qty: D.Decimal, price: D.Decimal, role: "maker" | "taker", now: number): OrderRecord => {
    const { record } = o
    const rules = rulesOf(record.symbol)!
    const base = touch(rules.base)
    const quote = touch(rules.quote)
    const rate = role === "maker" ? options.makerFee : options.takerFee
    const cost = D.mul(price, qty)
    const limit = record.type !== "market"
    let fee: D.Decimal
    if (record.side === "buy") {
      if (limit) {
        const locked = D.mul(o.price, qty)
        quote.used = D.sub(quote.used, locked)
        quote.free = D.add(quote.free, locked)
      }
      fee = D.mul(qty, rate)
      quote.free = D.sub(quote.free, cost)
      base.free = D.add(base.free, D.sub(qty, fee))
    } else {
      if (limit) base.used = D.sub(base.used, qty)
      else base.free = D.sub(base.free, qty)
      fee = D.mul(cost, rate)
      quote.free = D.add(quote.free, D.sub(cost, fee))
    }
    const feeAsset = record.side === "buy" ? rules.base : rules.quote
    changedTrades.push([record.symbol, {
      id: `${record.id}/${D.format(record.filled)}`,
      orderId: record.id,
      clientOrderId: record.clientOrderId,
      side: record.side,
      price,
      quantity: qty,
      quoteQuantity: cost,
      fee,
      feeAsset,
      maker: role === "maker",
      timestamp: now
    }])
    const filled = D.add(record.filled, qty)
    const totalCost = D.add(record.cost, cost)
    const done = D.gte(filled, o.quantity)
    return settle(limit ? o : { ...o, price }, {
      ...record,
      filled,
      cost: totalCost,
      averagePrice: averageOf(totalCost, filled),
      fees: D.isZero(fee) ? record.fees : addFee(record.fees, feeAsset, fee),
      status: done ? "closed" : limit ? "open" : "expired"
    })
  }

  const crosses = (o: PaperOrder, price: D.Decimal) => crossesAt(o.record.side, o.price, price)

  /** A new open order's paper form; its lock price is its limit, a stop's trigger, or a market order's last price. */
  const newOrder = (req: SubmitOrder, now: number, lockPrice: D.Decimal, listId: Option.Option<string>): PaperOrder => {
    seq += 1
    return {
      record: {
        ...acceptedOrder({
          id: paperOrderId(seq),
          clientOrderId: req.clientOrderId,
          symbol: req.symbol,
          side: req.side,
          type: req.type,
          price: hasLimitPrice(req.type) ? req.price : Option.none(),
          triggerPrice: req.triggerPrice,
          quantity: req.quantity,
          timestamp: now
        }),
        listId
      },
      price: req.type === "market" ? D.ZERO : lockPrice,
      quantity: req.quantity,
      seq
    }
  }

  const check = (op: string, req: SubmitOrder) =>
    checkOrder(op, req, rulesOf(req.symbol), {
      market: prices.get(req.symbol),
      openOrders: open.get(req.symbol)?.size ?? 0,
      clientIdTaken: openByClientId.has(req.clientOrderId)
    })

  /** Locks `need` of `asset` for an order (with `lock` false, only checks it is free), or refuses it for want of funds. */
  const lockFunds = (op: string, symbol: string, clientOrderId: string, asset: string, need: D.Decimal, lock = true): Result.Result<void, ExchangeError> => {
    const f = fundsOf(asset)
    if (D.lt(f.free, need)) {
      const detail = `Account has insufficient balance for requested action: need ${D.format(need)} ${asset}, free ${D.format(f.free)}`
      return refuse(op, symbol, "InsufficientFunds", detail, { clientOrderId })
    }
    if (!lock) return Result.succeed(undefined)
    touch(asset)
    f.free = D.sub(f.free, need)
    f.used = D.add(f.used, need)
    return Result.succeed(undefined)
  }

  /** Gives `amount` of what `o` locked back to the free balance. */
  const release = (o: PaperOrder, amount: D.Decimal) => {
    const rules = rulesOf(o.record.symbol)!
    const f = touch(o.record.side === "buy" ? rules.quote : rules.base)
    f.used = D.sub(f.used, amount)
    f.free = D.add(f.free, amount)
  }
  /** Gives back the lock of `o`'s unfilled rest. */
  const releaseRest = (o: PaperOrder) => release(o, o.record.side === "buy" ? D.mul(o.price, remainingOf(o)) : remainingOf(o))

  const place = (o: PaperOrder) => {
    addOpen(o)
    waitForTrigger(o)
  }

  const lists = makeOcoLists({
    lists: pairs,
    triggers,
    rulesOf,
    price: (symbol) => prices.get(symbol),
    openOrder: (orderId) => openById.get(orderId),
    check,
    newOrder,
    nextId: () => String(seq + 1),
    lockFunds: (op, symbol, clientOrderId, asset, need) => lockFunds(op, symbol, clientOrderId, asset, need),
    release,
    releaseRest,
    place,
    settle
  })

  const submit = (op: string, req: SubmitOrder, now: number): Result.Result<OrderRecord, ExchangeError> => {
    const checked = check(op, req)
    if (Result.isFailure(checked)) return Result.fail(checked.failure)
    const price = checked.success
    const rules = rulesOf(req.symbol)!
    const asset = req.side === "buy" ? rules.quote : rules.base
    const need = req.side === "buy" ? D.mul(price, req.quantity) : req.quantity
    // A market order fills at once: its funds are checked, then spent by the fill rather than locked.
    const locked = lockFunds(op, req.symbol, req.clientOrderId, asset, need, req.type !== "market")
    if (Result.isFailure(locked)) return Result.fail(locked.failure)
    const o = newOrder(req, now, price, Option.none())
    if (req.type === "market") return Result.succeed(fill(o, fillable(o), price, "taker", now))
    place(o)
    const market = prices.get(req.symbol)
    if (!isTriggerType(req.type) && market !== undefined && crosses(o, market)) return Result.succeed(fill(o, fillable(o), market, "taker", now))
    return Result.succeed(settle(o, o.record))
  }

  /** Cancels an open order (an OCO leg: its whole list) and gives back its lock; `undefined` when no such order is open on `symbol`. */
  const cancel = (symbol: string, orderId: string): OrderRecord | undefined => {
    const o = open.get(symbol)?.get(orderId)
    if (o === undefined) return undefined
    triggers.remove(orderId)
    releaseRest(o)
    const record = settle(o, { ...o.record, status: "canceled" })
    lists.endList(o, "canceled")
    return record
  }

  /** A triggered order works: a stop-loss or take-profit fills at the market, a limit one fills if it crosses (as a taker) or rests. */
  const work = (o: PaperOrder, price: D.Decimal, now: number): OrderRecord | undefined =>
    !hasLimitPrice(o.record.type) || crosses(o, price) ? fill(o, fillable(o), price, "taker", now) : undefined

  /**
   * Moves the market: the triggers it reaches fire (their OCO partners expire) and
   * the orders work; then the resting orders it crosses fill as makers (a leg of a
   * list, even in part, expires the other leg). Gives every order whose state changed.
   */
  const setPrice = (symbol: string, price: D.Decimal, now: number): ReadonlyArray<OrderRecord> => {
    prices.set(symbol, price)
    changedPrices.add(symbol)
    const book = open.get(symbol)
    if (book === undefined || book.size === 0) return []
    const changed: Array<OrderRecord> = []
    for (const t of triggers.fire(symbol, price)) {
      const o = openById.get(t.orderId)
      if (o === undefined) continue
      changed.push(...lists.endList(o, "expired"))
      const worked = work(o, price, now)
      if (worked !== undefined) changed.push(worked)
    }
    // Deleting the entry being visited (a fill, an expired partner) is safe while iterating a Map.
    for (const o of book.values()) {
      if (!crosses(o, price) || triggers.waiting(o.record.id) || !D.isPositive(fillable(o))) continue
      changed.push(fill(o, fillable(o), o.price, "maker", now), ...lists.endList(o, "expired"))
    }
    return changed
  }

  /** The rows changed since the last call, to be written to the paper store. */
  const takeChange = (): PaperChange => {
    const change: PaperChange = {
      orders: changedOrders,
      balances: Array.from(changedAssets, (asset) => {
        const f = fundsOf(asset)
        return [asset, { free: f.free, used: f.used }] as const
      }),
      prices: Array.from(changedPrices, (symbol) => [symbol, prices.get(symbol)!] as const),
      trades: changedTrades
    }
    changedOrders = []
    changedTrades = []
    changedAssets.clear()
    changedPrices.clear()
    return change
  }

  return {
    submit,
    submitOco: lists.submit,
    cancel,
    cancelList: lists.cancel,
    listByClientId: lists.byClientId,
    setPrice,
    takeChange,
    price: (symbol: string): Option.Option<D.Decimal> => Option.fromNullishOr(prices.get(symbol)),
    /** Caps what one fill may take on `symbol` (partial fills); `undefined` lifts the cap. */
    setDepth: (symbol: string, qty: D.Decimal | undefined) => {
      if (qty === undefined) depth.delete(symbol)
      else depth.set(symbol, qty)
    },
    setBalance: (asset: string, free: D.Decimal) => {
      touch(asset).free = free
    },
    balances: (): ReadonlyMap<string, Balance> => new Map([...funds].map(([a, f]) => [a, { free: f.free, used: f.used }])),
    /** An open order by id. */
    openOrder: (orderId: string): Option.Option<OrderRecord> => Option.map(Option.fromNullishOr(openById.get(orderId)), (o) => o.record),
    /** The open order with this client order id. */
    openByClientOrderId: (id: string): Option.Option<OrderRecord> =>
      Option.map(Option.fromNullishOr(openByClientId.get(id)), (o) => o.record),
    openOrders: (symbol: string): ReadonlyArray<OrderRecord> => Array.from(open.get(symbol)?.values() ?? [], (o) => o.record)
  }
}
