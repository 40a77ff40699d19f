/**
 * The paper exchange's operations: submit, cancel, move the price, and read. Plain
 * synchronous code over exact decimals, so each step is atomic for the fibers that
 * call it and a benchmark measures the book, not the plumbing. `DryRun.ts` wraps it
 * as a `Venue` and persists what it changes.
 *
 * It keeps no history: an order leaves memory when it is final. The book's state,
 * the fill step and the record of changed rows are in `Book.ts`; the funds
 * ledger in `Funds.ts`.
 *
 * Rules it enforces like an exchange: funds are checked and locked at placement
 * (a limit order locks what it could spend at its limit). How an order fills, at
 * what price and quantity, as maker or taker and at what fee rate, is the fill
 * model's to say (`FillModel`; the default is `DryRunFillModel.ts`): the simulator
 * asks it when an order arrives (placed, or its trigger fired) and, for each
 * working order, when the market changes (`apply`). Fees are charged in the asset
 * received, as Binance charges them without BNB.
 *
 * Trigger orders wait in a trigger book until a price reaches them, then work as
 * the market or limit order they become (`Triggers.ts`); OCO lists are in
 * `Oco.ts`; the checks of a new order in `Checks.ts`.
 *
 * Each change to an order is also recorded as the order's new view (with its trade
 * for a fill), for the event source: an order filled at placement is first seen
 * open, then filled, as Binance reports NEW and then the trade; a trigger firing is
 * a view of its own (`triggered: true`) before the fill or the partner's expiry.
 */
import { Option, Result } from "effect"
import type { ExchangeError } from "../../errors/ExchangeError.ts"
import * as D from "../../services/Decimal.ts"
import type { FeeSchedule, FillDecision, FillModel, FillOrder, MarketEvent, MarketState } from "../../services/FillModel.ts"
import { bySide, hasLimitPrice, isTriggerType, type OrderRecord } from "../../services/OrderRecord.ts"
import type { PaperOrder } from "../../services/PaperStore.ts"
import type { SubmitOrder } from "../../services/Venue.ts"
import { type Book, type BookOptions, makeBook } from "./Book.ts"
import { checkOrder } from "./Checks.ts"
import { lastPriceFillModel } from "./LastPriceFillModel.ts"
import { makeOcoLists } from "./Oco.ts"
import { makeOcoPairs, makeTriggerBook, pendingTriggerOf, resume } from "./Triggers.ts"

/** The simulator's markets, starting book and fee rates (`BookOptions`), and its fill model (default `lastPriceFillModel`). */
export interface SimulatorOptions extends BookOptions {
  readonly fillModel?: FillModel | undefined
}

/** What the fill model sees of a paper order. */
const fillOrderOf = (o: PaperOrder, queueAhead: D.Decimal | undefined): FillOrder => ({
  id: o.record.id,
  side: o.record.side,
  type: o.record.type,
  limit: hasLimitPrice(o.record.type) ? o.price : undefined,
  triggerPrice: Option.getOrUndefined(o.record.triggerPrice),
  quantity: o.quantity,
  filled: o.record.filled,
  placedAt: o.record.timestamp,
  queueAhead
})

export type Simulator = ReturnType<typeof makeSimulator>

/** The book's reads, and the two settings tests and demos change directly (depth, a balance). */
const readsOf = (book: Book) => ({
  price: (symbol: string): Option.Option<D.Decimal> => Option.fromNullishOr(book.prices.get(symbol)),
  /** Caps what one fill may take on `symbol` (partial fills); `undefined` lifts the cap. */
  setDepth: (symbol: string, qty: D.Decimal | undefined) => {
    if (qty === undefined) book.depth.delete(symbol)
    else book.depth.set(symbol, qty)
  },
  setBalance: book.funds.setFree,
  balances: book.funds.balances,
  /** An open order by id. */
  openOrder: (orderId: string): Option.Option<OrderRecord> => Option.map(Option.fromNullishOr(book.open.byId.get(orderId)), (o) => o.record),
  /** The open order with this client order id. */
  openByClientOrderId: (id: string): Option.Option<OrderRecord> =>
    Option.map(Option.fromNullishOr(book.open.byClientId.get(id)), (o) => o.record),
  openOrders: (symbol: string): ReadonlyArray<OrderRecord> => Array.from(book.open.bySymbol.get(symbol)?.values() ?? [], (o) => o.record)
})

export const makeSimulator = (options: SimulatorOptions) => {
  const book = makeBook(options)
  const { open, funds, prices, rulesOf, settle, release, releaseRest } = book
  const model = options.fillModel ?? lastPriceFillModel
  const fees: FeeSchedule = { maker: options.makerFee, taker: options.takerFee }
  /** The latest book of each market that gives one. */
  const snapshots = new Map<string, MarketState["book"]>()
  /** What the model keeps of each open order's place in the queue (`FillDecision.queueAhead`). */
  const queues = new Map<string, D.Decimal>()
  const marketOf = (symbol: string): MarketState => ({ symbol, last: prices.get(symbol), book: snapshots.get(symbol), depth: book.depth.get(symbol) })
  const viewOf = (o: PaperOrder) => fillOrderOf(o, queues.size === 0 ? undefined : queues.get(o.record.id))

  /**
   * Applies the model's answer for `o`: each fill in turn (a market order's rest
   * expires after the last), and the queue it keeps. Gives the order's last view,
   * or `undefined` when nothing filled.
   */
  const applyDecision = (o: PaperOrder, decision: FillDecision, now: number): OrderRecord | undefined => {
    if (decision.queueAhead !== undefined) queues.set(o.record.id, decision.queueAhead)
    const { fills } = decision
    let current = o
    let record: OrderRecord | undefined
    for (let i = 0; i < fills.length; i++) {
      record = book.fill(current, fills[i]!, now, i < fills.length - 1)
      current = { ...current, record }
    }
    if (record !== undefined && record.status !== "open") queues.delete(record.id)
    return record
  }

  /** Orders waiting for their trigger, and the legs of running OCO lists. */
  const triggers = makeTriggerBook()
  const pairs = makeOcoPairs()
  resume(options.book.open, triggers, pairs)

  const check = (op: string, req: SubmitOrder) =>
    checkOrder(op, req, rulesOf(req.symbol), {
      market: prices.get(req.symbol),
      openOrders: open.bySymbol.get(req.symbol)?.size ?? 0,
      clientIdTaken: open.byClientId.has(req.clientOrderId)
    })
  const place = (o: PaperOrder) => {
    open.add(o)
    const t = pendingTriggerOf(o)
    if (t !== undefined) triggers.add(t)
  }

  const lists = makeOcoLists({
    lists: pairs,
    triggers,
    rulesOf,
    price: (symbol) => prices.get(symbol),
    openOrder: (orderId) => open.byId.get(orderId),
    check,
    newOrder: book.newOrder,
    nextId: book.nextId,
    lockFunds: (op, symbol, clientOrderId, asset, need) => funds.lock(op, symbol, clientOrderId, asset, need),
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
    const asset = bySide(req.side, { buy: rules.quote, sell: rules.base })
    const need = bySide(req.side, { buy: D.mul(price, req.quantity), sell: req.quantity })
    // A market order fills at once: its funds are checked, then spent by the fill rather than locked.
    const locked = funds.lock(op, req.symbol, req.clientOrderId, asset, need, req.type !== "market")
    if (Result.isFailure(locked)) return Result.fail(locked.failure)
    const o = book.newOrder(req, now, price, Option.none())
    if (req.type !== "market") place(o)
    const decision = isTriggerType(req.type) ? undefined : model.arrive(viewOf(o), marketOf(req.symbol), fees)
    if (decision !== undefined && (decision.fills.length > 0 || req.type === "market")) {
      book.accepted(o)
      // A market order the model fills nothing of expires, as Binance expires one that finds no liquidity.
      return Result.succeed(applyDecision(o, decision, now) ?? settle(o, { ...o.record, status: "expired" }))
    }
    if (decision?.queueAhead !== undefined) queues.set(o.record.id, decision.queueAhead)
    return Result.succeed(settle(o, o.record))
  }

  /** Cancels an open order (an OCO leg: its whole list) and gives back its lock; `undefined` when no such order is open on `symbol`. */
  const cancel = (symbol: string, orderId: string): OrderRecord | undefined => {
    const o = open.bySymbol.get(symbol)?.get(orderId)
    if (o === undefined) return undefined
    triggers.remove(orderId)
    queues.delete(orderId)
    releaseRest(o)
    const record = settle(o, { ...o.record, status: "canceled" })
    lists.endList(o, "canceled")
    return record
  }

  /** The market's change: a price or a trade moves the last price (and may fire triggers); a book is kept for the model. */
  const moveMarket = (event: MarketEvent): D.Decimal | undefined => {
    if (event._tag === "BookSnapshot") {
      snapshots.set(event.symbol, event)
      return undefined
    }
    book.setPrice(event.symbol, event.price)
    return event.price
  }

  /**
   * Applies a market event: the triggers a new price reaches fire (their OCO
   * partners expire) and the orders arrive to trade; then the model says which
   * working orders the event fills (a leg of a list, even in part, expires the
   * other leg). Gives every order whose state changed.
   */
  const apply = (event: MarketEvent, now: number): ReadonlyArray<OrderRecord> => {
    const last = moveMarket(event)
    const resting = open.bySymbol.get(event.symbol)
    if (resting === undefined || resting.size === 0) return []
    const changed: Array<OrderRecord> = []
    const market = marketOf(event.symbol)
    for (const t of last === undefined ? [] : triggers.fire(event.symbol, last)) {
      const waiting = open.byId.get(t.orderId)
      if (waiting === undefined) continue
      const o = book.markTriggered(waiting, now)
      changed.push(...lists.endList(o, "expired"))
      const worked = applyDecision(o, model.arrive(viewOf(o), market, fees), now)
      if (worked !== undefined) changed.push(worked)
    }
    // Deleting the entry being visited (a fill, an expired partner) is safe while iterating a Map.
    for (const o of resting.values()) {
      if (triggers.waiting(o.record.id)) continue
      const filled = applyDecision(o, model.rest(viewOf(o), event, market, fees), now)
      if (filled !== undefined) changed.push(filled, ...lists.endList(o, "expired"))
    }
    if (queues.size > 0) for (const r of changed) if (r.status !== "open") queues.delete(r.id)
    return changed
  }

  return {
    submit,
    submitOco: lists.submit,
    cancel,
    cancelList: (symbol: string, listId: string) => {
      const list = lists.cancel(symbol, listId)
      if (list !== undefined) for (const leg of [list.limit, list.stop]) queues.delete(leg.id)
      return list
    },
    listByClientId: lists.byClientId,
    apply,
    /** Moves the simulated price (`apply` of a `PriceMove`). */
    setPrice: (symbol: string, price: D.Decimal, now: number) => apply({ _tag: "PriceMove", symbol, price, timestamp: now }, now),
    takeChange: book.takeChange,
    ...readsOf(book)
  }
}
