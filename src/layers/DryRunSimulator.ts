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
 */
import { Option, Result } from "effect"
import { ExchangeError, type ExchangeReason } from "../errors/ExchangeError.ts"
import * as D from "../services/Decimal.ts"
import type { MarketRules } from "../services/MarketRules.ts"
import { addFee, averageOf, hasLimitPrice, isTriggerType, type OrderRecord } from "../services/OrderRecord.ts"
import { type PaperBook, type PaperChange, type PaperOrder, paperOrderId } from "../services/PaperStore.ts"
import type { Balance, OcoRecord, SubmitOco, SubmitOrder } from "../services/Venue.ts"
import { triggerKindOf } from "../services/TriggerRules.ts"
import { checkOrder, crossesAt } from "./DryRunChecks.ts"
import { makeOcoPairs, makeTriggerBook } from "./DryRunTriggers.ts"

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

  // The rows changed since the last `takeChange`.
  let changedOrders: Array<PaperOrder> = []
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

  /** Orders waiting for their trigger, and the legs of running OCO lists (rebuilt from the open orders on resume). */
  const triggers = makeTriggerBook()
  const lists = makeOcoPairs()
  const waitForTrigger = (o: PaperOrder) => {
    const { record } = o
    if (!isTriggerType(record.type) || Option.isNone(record.triggerPrice)) return
    triggers.add({
      orderId: record.id,
      symbol: record.symbol,
      kind: triggerKindOf(record.type),
      side: record.side,
      triggerPrice: record.triggerPrice.value,
      seq: o.seq
    })
  }
  // A resumed trigger order waits again: one that had fired and rests at its limit fires again at the next price past it.
  for (const o of options.book.open) waitForTrigger(o)
  for (const o of options.book.open) {
    if (o.record.type !== "limit-maker" || Option.isNone(o.record.listId)) continue
    const stop = options.book.open.find((s) => s !== o && Option.getOrUndefined(s.record.listId) === Option.getOrUndefined(o.record.listId))
    if (stop !== undefined) lists.link({ listId: o.record.listId.value, listClientOrderId: "", limitOrderId: o.record.id, stopOrderId: stop.record.id })
  }

  const refuse = (op: string, symbol: string, reason: ExchangeReason, detail: string, ids: { orderId?: string; clientOrderId?: string } = {}) =>
    Result.fail(new ExchangeError({ operation: op, symbol, reason, detail, ...ids }))

  /** Records `o`'s new view as a change and takes the order off the book when it is final. */
  const settle = (o: PaperOrder, record: OrderRecord): OrderRecord => {
    changedOrders.push(record === o.record ? o : { ...o, record })
    if (record.status !== "open") {
      open.get(record.symbol)?.delete(record.id)
      openById.delete(record.id)
      if (openByClientId.get(record.clientOrderId)?.record.id === record.id) openByClientId.delete(record.clientOrderId)
    }
    return record
  }

  /**
   * Fills `o` in full at `price`, as a maker (a resting order crossed later) or a
   * taker: releases a limit order's lock, pays the cost at `price`, and credits the
   * asset received less the fee. The record keeps a limit order's own price, as the
   * exchange's order does; a market order's price is its fill price.
   */
  const fill = (o: PaperOrder, price: D.Decimal, role: "maker" | "taker"): OrderRecord => {
    const { record } = o
    const rules = rulesOf(record.symbol)!
    const base = touch(rules.base)
    const quote = touch(rules.quote)
    const rate = role === "maker" ? options.makerFee : options.takerFee
    const cost = D.mul(price, o.quantity)
    const limit = record.type !== "market"
    let fee: D.Decimal
    if (record.side === "buy") {
      if (limit) {
        const locked = D.mul(o.price, o.quantity)
        quote.used = D.sub(quote.used, locked)
        quote.free = D.add(quote.free, locked)
      }
      fee = D.mul(o.quantity, rate)
      quote.free = D.sub(quote.free, cost)
      base.free = D.add(base.free, D.sub(o.quantity, fee))
    } else {
      if (limit) base.used = D.sub(base.used, o.quantity)
      else base.free = D.sub(base.free, o.quantity)
      fee = D.mul(cost, rate)
      quote.free = D.add(quote.free, D.sub(cost, fee))
    }
    const feeAsset = record.side === "buy" ? rules.base : rules.quote
    const filled = limit ? o : { ...o, price }
    return settle(filled, {
      ...record,
      filled: record.quantity,
      cost,
      averagePrice: averageOf(cost, record.quantity),
      fees: D.isZero(fee) ? record.fees : addFee(record.fees, feeAsset, fee),
      status: "closed"
    })
  }

  const crosses = (o: PaperOrder, price: D.Decimal) => crossesAt(o.record.side, o.price, price)

  /** A new open order's paper form: its lock price is its limit, a stop's trigger, or a market order's `market`. */
  const newOrder = (req: SubmitOrder, now: number, market: D.Decimal, listId: Option.Option<string>): PaperOrder => {
    seq += 1
    const lockPrice = Option.getOrElse(Option.orElse(req.price, () => req.triggerPrice), () => market)
    return {
      record: {
        id: paperOrderId(seq),
        clientOrderId: req.clientOrderId,
        symbol: req.symbol,
        side: req.side,
        type: req.type,
        price: hasLimitPrice(req.type) ? req.price : Option.none(),
        triggerPrice: req.triggerPrice,
        quantity: req.quantity,
        filled: D.ZERO,
        cost: D.ZERO,
        averagePrice: Option.none(),
        fees: {},
        listId,
        status: "open",
        timestamp: now
      },
      price: req.type === "market" ? D.ZERO : lockPrice,
      quantity: req.quantity,
      seq
    }
  }

  const check = (op: string, req: SubmitOrder, rules: MarketRules | undefined) =>
    checkOrder(op, req, rules, {
      market: prices.get(req.symbol),
      openOrders: open.get(req.symbol)?.size ?? 0,
      clientIdTaken: openByClientId.has(req.clientOrderId)
    })

  /** Locks `need` of `asset` for an order (or, with `lock` false, only checks it is free), or refuses it for want of funds. */
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

  const submit = (op: string, req: SubmitOrder, now: number): Result.Result<OrderRecord, ExchangeError> => {
    const rules = rulesOf(req.symbol)
    const checked = check(op, req, rules)
    if (Result.isFailure(checked)) return Result.fail(checked.failure)
    const price = checked.success
    const asset = req.side === "buy" ? rules!.quote : rules!.base
    const need = req.side === "buy" ? D.mul(price, req.quantity) : req.quantity
    // A market order fills at once: its funds are checked, then spent by the fill rather than locked.
    const locked = lockFunds(op, req.symbol, req.clientOrderId, asset, need, req.type !== "market")
    if (Result.isFailure(locked)) return Result.fail(locked.failure)
    if (req.type === "market") return Result.succeed(fill(newOrder(req, now, price, Option.none()), price, "taker"))
    const o = newOrder(req, now, price, Option.none())
    const market = prices.get(req.symbol)
    if (!isTriggerType(req.type) && market !== undefined && crosses(o, market)) return Result.succeed(fill(o, market, "taker"))
    addOpen(o)
    waitForTrigger(o)
    return Result.succeed(settle(o, o.record))
  }

  /**
   * Places an OCO: both legs checked as orders, Binance's price order against the
   * last price, one lock for the pair (the larger of the legs' needs), the limit
   * (limit-maker) leg resting and the stop leg waiting for its trigger.
   */
  const submitOco = (op: string, req: SubmitOco, now: number): Result.Result<OcoRecord, ExchangeError> => {
    const rules = rulesOf(req.symbol)
    const ids = { clientOrderId: req.listClientOrderId }
    if (rules !== undefined && !rules.ocoAllowed) return refuse(op, req.symbol, "InvalidOrder", "OCO orders are not supported for this symbol", ids)
    if (lists.lists().some((l) => l.listClientOrderId === req.listClientOrderId)) {
      return refuse(op, req.symbol, "DuplicateClientOrderId", "Duplicate order sent.", ids)
    }
    const leg = { symbol: req.symbol, side: req.side, quantity: req.quantity }
    const limitReq: SubmitOrder = { ...leg, clientOrderId: req.limitClientOrderId, type: "limit-maker", price: Option.some(req.price), triggerPrice: Option.none() }
    const stopReq: SubmitOrder = {
      ...leg,
      clientOrderId: req.stopClientOrderId,
      type: Option.isSome(req.stopLimitPrice) ? "stop-loss-limit" : "stop-loss",
      price: req.stopLimitPrice,
      triggerPrice: Option.some(req.triggerPrice)
    }
    const limitPrice = check(op, limitReq, rules)
    if (Result.isFailure(limitPrice)) return Result.fail(limitPrice.failure)
    const stopPrice = check(op, stopReq, rules)
    if (Result.isFailure(stopPrice)) return Result.fail(stopPrice.failure)
    const market = prices.get(req.symbol)
    const [low, high] = req.side === "sell" ? [req.triggerPrice, req.price] : [req.price, req.triggerPrice]
    if (!(D.lt(low, high) && (market === undefined || (D.lt(low, market) && D.lt(market, high))))) {
      return refuse(op, req.symbol, "InvalidOrder", "The relationship of the prices for the orders is not correct.", ids)
    }
    const listId = `dry_run_list_${seq + 1}`
    const limit = newOrder(limitReq, now, limitPrice.success, Option.some(listId))
    const stop = newOrder(stopReq, now, stopPrice.success, Option.some(listId))
    const locked = lockFunds(op, req.symbol, req.listClientOrderId, req.side === "buy" ? rules!.quote : rules!.base, D.max(lockOf(limit), lockOf(stop)))
    if (Result.isFailure(locked)) return Result.fail(locked.failure)
    for (const o of [limit, stop]) addOpen(o)
    waitForTrigger(stop)
    lists.link({ listId, listClientOrderId: req.listClientOrderId, limitOrderId: limit.record.id, stopOrderId: stop.record.id })
    return Result.succeed({ listId, listClientOrderId: req.listClientOrderId, limit: settle(limit, limit.record), stop: settle(stop, stop.record) })
  }

  /** The running list with this client id. */
  const listByClientId = (listClientOrderId: string): Option.Option<OcoRecord> => {
    const legs = lists.lists().find((l) => l.listClientOrderId === listClientOrderId)
    const limit = legs === undefined ? undefined : openById.get(legs.limitOrderId)
    const stop = legs === undefined ? undefined : openById.get(legs.stopOrderId)
    return legs === undefined || limit === undefined || stop === undefined
      ? Option.none()
      : Option.some({ listId: legs.listId, listClientOrderId, limit: limit.record, stop: stop.record })
  }

  /** What an open order holds locked: a sell its quantity, a buy its quantity at its lock price. */
  const lockOf = (o: PaperOrder) => (o.record.side === "buy" ? D.mul(o.price, o.quantity) : o.quantity)

  /** Gives `amount` of what `o` locked back to the free balance. */
  const release = (o: PaperOrder, amount: D.Decimal) => {
    const rules = rulesOf(o.record.symbol)!
    const f = touch(o.record.side === "buy" ? rules.quote : rules.base)
    f.used = D.sub(f.used, amount)
    f.free = D.add(f.free, amount)
  }

  /**
   * Ends the list `o` is a leg of (it filled, triggered or was cancelled): the other
   * leg ends with `status`, giving back what the pair's one lock held beyond `o`'s part.
   */
  const endList = (o: PaperOrder, status: "expired" | "canceled"): ReadonlyArray<OrderRecord> => {
    const otherId = lists.end(o.record.id)
    const other = otherId === undefined ? undefined : openById.get(otherId)
    if (other === undefined) return []
    triggers.remove(other.record.id)
    release(other, D.sub(D.max(lockOf(o), lockOf(other)), lockOf(o)))
    return [settle(other, { ...other.record, status })]
  }

  /** Cancels an open order (an OCO leg: its whole list) and gives back its lock; `undefined` when no such order is open on `symbol`. */
  const cancel = (symbol: string, orderId: string): OrderRecord | undefined => {
    const o = open.get(symbol)?.get(orderId)
    if (o === undefined) return undefined
    triggers.remove(orderId)
    release(o, lockOf(o))
    const record = settle(o, { ...o.record, status: "canceled" })
    endList(o, "canceled")
    return record
  }

  /** Cancels both legs of a running list; `undefined` when no such list runs on `symbol`. */
  const cancelList = (symbol: string, listId: string): OcoRecord | undefined => {
    const legs = lists.list(listId)
    const limitOrder = legs === undefined ? undefined : openById.get(legs.limitOrderId)
    if (legs === undefined || limitOrder === undefined || limitOrder.record.symbol !== symbol) return undefined
    release(limitOrder, lockOf(limitOrder))
    const limit = settle(limitOrder, { ...limitOrder.record, status: "canceled" })
    const [stop] = endList(limitOrder, "canceled")
    return { listId, listClientOrderId: legs.listClientOrderId, limit, stop: stop! }
  }

  /** A triggered order works: a stop-loss or take-profit fills at the market, a limit one fills if it crosses (as a taker) or rests. */
  const work = (o: PaperOrder, price: D.Decimal): OrderRecord | undefined =>
    !hasLimitPrice(o.record.type) || crosses(o, price) ? fill(o, price, "taker") : undefined

  /**
   * Moves the market: the triggers it reaches fire (their OCO partners expire) and
   * the orders work; then the resting orders it crosses fill as makers. Gives every
   * order whose state changed.
   */
  const setPrice = (symbol: string, price: D.Decimal): ReadonlyArray<OrderRecord> => {
    prices.set(symbol, price)
    changedPrices.add(symbol)
    const book = open.get(symbol)
    if (book === undefined || book.size === 0) return []
    const changed: Array<OrderRecord> = []
    for (const t of triggers.fire(symbol, price)) {
      const o = openById.get(t.orderId)
      if (o === undefined) continue
      changed.push(...endList(o, "expired"))
      const worked = work(o, price)
      if (worked !== undefined) changed.push(worked)
    }
    // Deleting the entry being visited (a fill, an expired partner) is safe while iterating a Map.
    for (const o of book.values()) {
      if (triggers.waiting(o.record.id) || !crosses(o, price)) continue
      changed.push(fill(o, o.price, "maker"), ...endList(o, "expired"))
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
      prices: Array.from(changedPrices, (symbol) => [symbol, prices.get(symbol)!] as const)
    }
    changedOrders = []
    changedAssets.clear()
    changedPrices.clear()
    return change
  }

  return {
    submit,
    submitOco,
    cancel,
    cancelList,
    listByClientId,
    setPrice,
    takeChange,
    price: (symbol: string): Option.Option<D.Decimal> => Option.fromNullishOr(prices.get(symbol)),
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
