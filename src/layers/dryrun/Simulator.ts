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
 * (a limit order locks what it could spend at its limit). A limit order that
 * crosses the market when placed takes liquidity: it fills at once, in full, at the
 * market price, paying the taker fee. One that rests makes liquidity: when a later
 * price crosses it, it fills in full at its own limit, paying the maker fee. A
 * market order fills at the current price as a taker. Fees are charged in the
 * asset received, as Binance charges them without BNB.
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
import { bySide, hasLimitPrice, isTriggerType, type OrderRecord } from "../../services/OrderRecord.ts"
import type { PaperOrder } from "../../services/PaperStore.ts"
import type { SubmitOrder } from "../../services/Venue.ts"
import { type Book, type BookOptions, makeBook } from "./Book.ts"
import { checkOrder, crossesAt } from "./Checks.ts"
import { makeOcoLists } from "./Oco.ts"
import { makeOcoPairs, makeTriggerBook, pendingTriggerOf, resume } from "./Triggers.ts"

/** The simulator's markets, starting book and fee rates (`BookOptions`). */
export type SimulatorOptions = BookOptions

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
  const { open, funds, prices, rulesOf, settle, fill, fillable, release, releaseRest } = book
  /** Orders waiting for their trigger, and the legs of running OCO lists. */
  const triggers = makeTriggerBook()
  const pairs = makeOcoPairs()
  resume(options.book.open, triggers, pairs)

  const crosses = (o: PaperOrder, price: D.Decimal) => crossesAt(o.record.side, o.price, price)
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
    if (req.type === "market") {
      book.accepted(o)
      return Result.succeed(fill(o, fillable(o), price, "taker", now))
    }
    place(o)
    const market = prices.get(req.symbol)
    if (!isTriggerType(req.type) && market !== undefined && crosses(o, market)) {
      book.accepted(o)
      return Result.succeed(fill(o, fillable(o), market, "taker", now))
    }
    return Result.succeed(settle(o, o.record))
  }

  /** Cancels an open order (an OCO leg: its whole list) and gives back its lock; `undefined` when no such order is open on `symbol`. */
  const cancel = (symbol: string, orderId: string): OrderRecord | undefined => {
    const o = open.bySymbol.get(symbol)?.get(orderId)
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
    book.setPrice(symbol, price)
    const resting = open.bySymbol.get(symbol)
    if (resting === undefined || resting.size === 0) return []
    const changed: Array<OrderRecord> = []
    for (const t of triggers.fire(symbol, price)) {
      const waiting = open.byId.get(t.orderId)
      if (waiting === undefined) continue
      const o = book.markTriggered(waiting, now)
      changed.push(...lists.endList(o, "expired"))
      const worked = work(o, price, now)
      if (worked !== undefined) changed.push(worked)
    }
    // Deleting the entry being visited (a fill, an expired partner) is safe while iterating a Map.
    for (const o of resting.values()) {
      if (!crosses(o, price) || triggers.waiting(o.record.id) || !D.isPositive(fillable(o))) continue
      changed.push(fill(o, fillable(o), o.price, "maker", now), ...lists.endList(o, "expired"))
    }
    return changed
  }

  return {
    submit,
    submitOco: lists.submit,
    cancel,
    cancelList: lists.cancel,
    listByClientId: lists.byClientId,
    setPrice,
    takeChange: book.takeChange,
    ...readsOf(book)
  }
}
