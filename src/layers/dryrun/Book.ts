/**
 * The paper exchange's book in memory, under its operations (`Simulator.ts`):
 * the open orders indexed three ways, the last price and fill depth per market, the
 * funds ledger (`Funds.ts`), and the one step that changes an order, `settle`,
 * with the fill step built on it. Every step records the rows it touched (orders,
 * trades, balances, prices) and, in the order they happened, the new views of the
 * orders it changed (with the trade of a fill); `takeChange` hands both over: the rows
 * to be written to the journal's paper store, which holds the finished orders, and
 * the views for the dry run's event source (`Events.ts`).
 */
import { Option } from "effect"
import * as D from "../../services/Decimal.ts"
import type { MarketRules } from "../../services/MarketRules.ts"
import { acceptedOrder, addFee, averageOf, bySide, hasLimitPrice, isTriggerType, type OrderRecord } from "../../services/OrderRecord.ts"
import { type PaperBook, type PaperChange, type PaperOrder, paperOrderId } from "../../services/PaperStore.ts"
import type { Fill } from "../../services/FillModel.ts"
import type { Trade } from "../../services/Trade.ts"
import type { SubmitOrder } from "../../services/Venue.ts"
import { makeFunds } from "./Funds.ts"

/**
 * `o` with its record saying whether its trigger fired, as the source and the reads
 * report it (Binance's `isWorking`): a stop-loss or take-profit order's `triggered`
 * follows `triggeredAt`; other orders carry none. For orders resumed from a store
 * that does not keep the flag.
 */
const withTriggered = (o: PaperOrder): PaperOrder => {
  if (!isTriggerType(o.record.type)) return o
  const triggered = o.triggeredAt !== undefined
  return o.record.triggered === triggered ? o : { ...o, record: { ...o.record, triggered } }
}

/** One change of an order, as the event source offers it: the order's new view, and the trade when the change was a fill. */
export interface OrderChange {
  readonly order: OrderRecord
  readonly trade: Option.Option<Trade>
}

/** What one step of the book changed: the rows for the paper store, and the orders' new views in the order they changed. */
export interface BookChange {
  readonly rows: PaperChange
  readonly orders: ReadonlyArray<OrderChange>
}

/** The open orders, by symbol, then by id; and by id and client order id across symbols. */
const makeOpenOrders = (seed: ReadonlyArray<PaperOrder>) => {
  const bySymbol = new Map<string, Map<string, PaperOrder>>()
  const byId = new Map<string, PaperOrder>()
  const byClientId = new Map<string, PaperOrder>()
  const add = (o: PaperOrder) => {
    let book = bySymbol.get(o.record.symbol)
    if (book === undefined) {
      book = new Map()
      bySymbol.set(o.record.symbol, book)
    }
    book.set(o.record.id, o)
    byId.set(o.record.id, o)
    byClientId.set(o.record.clientOrderId, o)
  }
  const remove = (record: OrderRecord) => {
    bySymbol.get(record.symbol)?.delete(record.id)
    byId.delete(record.id)
    if (byClientId.get(record.clientOrderId)?.record.id === record.id) byClientId.delete(record.clientOrderId)
  }
  for (const o of seed) add(withTriggered(o))
  return { bySymbol, byId, byClientId, add, remove }
}

/** A new open order's paper form; its lock price is its limit, a stop's trigger, or a market order's last price. */
const newPaperOrder = (seq: number, req: SubmitOrder, now: number, lockPrice: D.Decimal, listId: Option.Option<string>): PaperOrder => ({
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
    listId,
    ...(isTriggerType(req.type) ? { triggered: false } : {})
  },
  price: req.type === "market" ? D.ZERO : lockPrice,
  quantity: req.quantity,
  seq
})

export interface BookOptions {
  readonly markets: ReadonlyMap<string, MarketRules>
  /** Where the book starts: a fresh seed, or what the journal's paper store loaded. */
  readonly book: PaperBook
  /** Fee rate of a fill that made liquidity (a resting order crossed later), the fill model's `FeeSchedule.maker`. */
  readonly makerFee: D.Decimal
  /** Fee rate of a fill that took liquidity (a market order, a limit order crossing when placed), its `FeeSchedule.taker`. */
  readonly takerFee: D.Decimal
}

export type Book = ReturnType<typeof makeBook>

export const makeBook = (options: BookOptions) => {
  let seq = options.book.seq
  const prices = new Map(options.book.prices)
  const open = makeOpenOrders(options.book.open)
  const funds = makeFunds(options.book.balances)
  /** The most one fill may take, by symbol (`setDepth`); unlimited when absent. */
  const depth = new Map<string, D.Decimal>()
  // The rows changed since the last `takeChange` (balances: the ledger's own).
  let changedOrders: Array<PaperOrder> = []
  let changedTrades: Array<readonly [symbol: string, trade: Trade]> = []
  const changedPrices = new Set<string>()
  let orderChanges: Array<OrderChange> = []
  const rulesOf = (symbol: string) => options.markets.get(symbol)

  /** Records `o`'s new view (made by `trade`, for a fill) as a change and takes the order off the book when it is final. */
  const settle = (o: PaperOrder, record: OrderRecord, trade?: Trade): OrderRecord => {
    const next = record === o.record ? o : { ...o, record }
    changedOrders.push(next)
    orderChanges.push({ order: record, trade: Option.fromNullishOr(trade) })
    if (record.status === "open" && next !== o && open.byId.has(record.id)) open.add(next)
    if (record.status !== "open") open.remove(record)
    return record
  }

  /** Records that `o`'s trigger fired at `now`: it works from now on, and a resumed session keeps it working. */
  const markTriggered = (o: PaperOrder, now: number): PaperOrder => {
    const next = { ...o, record: { ...o.record, triggered: true }, triggeredAt: now }
    open.add(next)
    changedOrders.push(next)
    orderChanges.push({ order: next.record, trade: Option.none() })
    return next
  }

  /** The quantity of `o` not filled yet. */
  const remainingOf = (o: PaperOrder) => D.sub(o.quantity, o.record.filled)
  /** Gives `amount` of what `o` locked back to the free balance. */
  const release = (o: PaperOrder, amount: D.Decimal) => {
    const rules = rulesOf(o.record.symbol)!
    funds.release(bySide(o.record.side, { buy: rules.quote, sell: rules.base }), amount)
  }

  /**
   * Applies one fill the fill model gave `o` (`FillModel.ts`), settling the money in
   * the ledger at the fill's fee rate. The fill is a trade of its own (id
   * `<order id>/<quantity filled before it>`), and the order's filled, cost and fees
   * are the sums of its trades. A market order's unfilled rest expires after its
   * last fill (`more` false).
   */
  const fill = (o: PaperOrder, { feeRate, liquidity, price, quantity: qty }: Fill, now: number, more = false): OrderRecord => {
    const { record } = o
    const rules = rulesOf(record.symbol)!
    const cost = D.mul(price, qty)
    const limit = record.type !== "market"
    const fee = funds.settleFill({
      side: record.side,
      base: rules.base,
      quote: rules.quote,
      lockPrice: limit ? o.price : undefined,
      quantity: qty,
      cost,
      feeRate
    })
    const feeAsset = bySide(record.side, { buy: rules.base, sell: rules.quote })
    const trade: Trade = {
      id: `${record.id}/${D.format(record.filled)}`,
      orderId: record.id,
      clientOrderId: record.clientOrderId,
      side: record.side,
      price,
      quantity: qty,
      quoteQuantity: cost,
      fee,
      feeAsset,
      maker: liquidity === "maker",
      timestamp: now
    }
    changedTrades.push([record.symbol, trade])
    const filled = D.add(record.filled, qty)
    const totalCost = D.add(record.cost, cost)
    return settle(limit ? o : { ...o, price }, {
      ...record,
      filled,
      cost: totalCost,
      averagePrice: averageOf(totalCost, filled),
      fees: D.isZero(fee) ? record.fees : addFee(record.fees, feeAsset, fee),
      status: D.gte(filled, o.quantity) ? "closed" : limit || more ? "open" : "expired"
    }, trade)
  }

  return {
    open,
    funds,
    prices,
    depth,
    rulesOf,
    settle,
    /** Records that the exchange took `o`, open, before a fill at placement changes it (as Binance reports NEW, then the trade). */
    accepted: (o: PaperOrder) => void orderChanges.push({ order: o.record, trade: Option.none() }),
    markTriggered,
    fill,
    release,
    /** Gives back the lock of `o`'s unfilled rest. */
    releaseRest: (o: PaperOrder) => release(o, bySide(o.record.side, { buy: D.mul(o.price, remainingOf(o)), sell: remainingOf(o) })),
    newOrder: (req: SubmitOrder, now: number, lockPrice: D.Decimal, listId: Option.Option<string>): PaperOrder =>
      newPaperOrder(++seq, req, now, lockPrice, listId),
    /** The id the next order will get. */
    nextId: () => String(seq + 1),
    setPrice: (symbol: string, price: D.Decimal) => {
      prices.set(symbol, price)
      changedPrices.add(symbol)
    },
    /** What changed since the last call: the rows to write to the paper store, and the orders' views for the event source. */
    takeChange: (): BookChange => {
      const change: BookChange = {
        rows: {
          orders: changedOrders,
          balances: funds.takeChanged(),
          prices: Array.from(changedPrices, (symbol) => [symbol, prices.get(symbol)!] as const),
          trades: changedTrades
        },
        orders: orderChanges
      }
      changedOrders = []
      changedTrades = []
      orderChanges = []
      changedPrices.clear()
      return change
    }
  }
}
