/**
 * From views of an order to the events that describe its change: the pure heart of
 * order events. Given what was last published of an order (none for an order not
 * published yet), its newest view and the trades known for it, it gives the events
 * to publish, in the order the changes happened, and what is published after them.
 *
 * Each trade is published once: what is published of an order remembers the ids of
 * the trades it published, so a trade delivered by the stream and again by a REST
 * read (or journaled by `fetchTrades` in between) is published once, whichever comes
 * first and in whatever order trades arrive. An order taken over with fills already
 * (at start-up, or while no one subscribed) counts those in quantity: its oldest
 * trades up to that quantity are the ones it had. A fill whose trade is not known yet
 * is not guessed: the change stays incomplete (`complete: false`) until its trades
 * are read, and nothing after it (the final status) is published before it. Only
 * when the exchange has not listed them within a bounded wait (the feed's call,
 * `untradedAllowed`) is the rest of the fill published without a trade
 * (`trade: none`), counted like a fill taken over as it stood. No trade is made up.
 */
import { Option } from "effect"
import * as D from "../../services/Decimal.ts"
import type * as OrderEvent from "../../services/OrderEvent.ts"
import { addFee, averageOf, type Fees, isTriggerType, type OrderRecord } from "../../services/OrderRecord.ts"
import { type Trade, uniqueTrades } from "../../services/Trade.ts"

/** What is published of an order: its record, and which of its fills are published. */
export interface Published {
  readonly record: OrderRecord
  /** The trades published for it, by id. */
  readonly tradeIds: ReadonlySet<string>
  /**
   * Filled quantity published without its trades (taken over as it stood, or not listed
   * within the bounded wait): its oldest trades not published, up to this much.
   */
  readonly untraded: D.Decimal
  /**
   * Where a read of its trades not published yet starts (epoch ms): the newest published
   * trade's time, else the earliest time any view of the order stated (its creation;
   * never a later view's, such as a cancel answer's, which comes after the fills).
   */
  readonly tradesFrom: number
}

/** An order taken over as it stands: nothing of it to publish again. */
export const publishedAsIs = (record: OrderRecord, tradesFrom = record.timestamp): Published => ({
  record,
  tradeIds: new Set(),
  untraded: record.filled,
  tradesFrom: Math.min(tradesFrom, record.timestamp)
})

export interface Changes {
  readonly events: ReadonlyArray<OrderEvent.OrderEvent>
  /** What is published of the order after `events`. */
  readonly published: Published
  /** False when some of the view's fills wait for their trades. */
  readonly complete: boolean
}

/** The record of `view` as it was when accepted: open, nothing filled, not triggered. */
const asAccepted = (view: OrderRecord): OrderRecord => {
  const { triggered: _, ...rest } = view
  return {
    ...rest,
    ...(isTriggerType(view.type) ? { triggered: false } : {}),
    filled: D.ZERO,
    cost: D.ZERO,
    averagePrice: Option.none(),
    fees: {},
    status: "open"
  }
}

/** `view`'s descriptive fields with `amounts`' fill amounts, still open. */
const openWith = (view: OrderRecord, amounts: OrderRecord): OrderRecord => ({
  ...view,
  filled: amounts.filled,
  cost: amounts.cost,
  averagePrice: amounts.averagePrice,
  fees: amounts.fees,
  status: "open",
  ...(amounts.triggered === undefined ? {} : { triggered: amounts.triggered })
})

/** Whether `view` says nothing newer than `published` (an older or repeated view). */
const isStale = (published: OrderRecord, view: OrderRecord): boolean =>
  published.status !== "open" || D.lt(view.filled, published.filled)

/**
 * The order's trades not published yet, oldest first: not among `published`'s ids, and
 * past the oldest ones that make up its `untraded` quantity.
 */
const unpublished = (orderId: string, trades: ReadonlyArray<Trade>, published: Published): ReadonlyArray<Trade> => {
  const sorted = uniqueTrades(trades.filter((t) => t.orderId === orderId && !published.tradeIds.has(t.id)))
  let sum = D.ZERO
  let i = 0
  while (i < sorted.length && D.lt(sum, published.untraded)) sum = D.add(sum, sorted[i++]!.quantity)
  return sorted.slice(i)
}

/** The final event of a view whose status is final and not `closed` (a fill ends a closed order). */
const finalEvent = (view: OrderRecord): Option.Option<OrderEvent.OrderEvent> => {
  switch (view.status) {
    case "canceled":
      return Option.some({ _tag: "Canceled", order: view })
    case "expired":
      return Option.some({ _tag: "Expired", order: view })
    case "rejected":
      return Option.some({ _tag: "Rejected", order: view })
    default:
      return Option.none()
  }
}

/** `view` with the fees its trades add up to, when it states none itself. */
const withFees = (view: OrderRecord, fees: Fees, triggered: boolean | undefined): OrderRecord => ({
  ...view,
  fees: Object.keys(view.fees).length === 0 ? fees : view.fees,
  ...(triggered === true ? { triggered } : {})
})

/**
 * The fill event for the rest of `view`'s fills, whose trades the exchange did not list:
 * the order as `view` states it (its fees: what it states, else those of its listed trades).
 */
const untradedFill = (view: OrderRecord, current: OrderRecord): OrderEvent.OrderEvent => {
  const full = D.gte(view.filled, view.quantity) || view.status === "closed"
  const order: OrderRecord = view.status === "closed"
    ? withFees(view, current.fees, current.triggered)
    : { ...openWith(view, { ...view, fees: Object.keys(view.fees).length === 0 ? current.fees : view.fees }), ...(full ? { status: "closed" as const } : {}) }
  return full ? { _tag: "Filled", order, trade: Option.none() } : { _tag: "PartiallyFilled", order, trade: Option.none() }
}

/**
 * The events from `published` (none: the order is new to the subscribers) to `view`,
 * given the order's known `trades` (any mix of old and new, repeats allowed). With
 * `untradedAllowed` (the exchange did not list the rest within the bounded wait), fills
 * the trades do not explain are published as one fill without a trade.
 */
export const changes = (
  published: Option.Option<Published>,
  view: OrderRecord,
  trades: ReadonlyArray<Trade>,
  untradedAllowed = false
): Changes => {
  const events: Array<OrderEvent.OrderEvent> = []
  let current: OrderRecord
  let from: Published
  if (Option.isNone(published)) {
    current = asAccepted(view)
    from = { record: current, tradeIds: new Set(), untraded: D.ZERO, tradesFrom: view.timestamp }
    events.push({ _tag: "Accepted", order: current })
  } else {
    if (isStale(published.value.record, view)) return { events, published: published.value, complete: true }
    from = published.value
    current = from.record
  }

  const fills = D.gt(view.filled, current.filled)
  if (isTriggerType(view.type) && current.triggered !== true && (view.triggered === true || fills || view.status === "closed")) {
    current = { ...openWith(view, current), triggered: true }
    events.push({ _tag: "Triggered", order: current })
  }

  const tradeIds = new Set(from.tradeIds)
  let tradesFrom = Math.min(from.tradesFrom, view.timestamp)
  for (const trade of fills ? unpublished(view.id, trades, from) : []) {
    const filled = D.add(current.filled, trade.quantity)
    if (D.gt(filled, view.filled)) break
    const cost = D.add(current.cost, trade.quoteQuantity)
    const fees = D.isZero(trade.fee) ? current.fees : addFee(current.fees, trade.feeAsset, trade.fee)
    const last = D.eq(filled, view.filled)
    const full = D.gte(filled, view.quantity) || (last && view.status === "closed")
    current = last && view.status === "closed"
      ? withFees(view, fees, current.triggered)
      : { ...openWith(view, current), filled, cost, averagePrice: averageOf(cost, filled), fees, ...(full ? { status: "closed" as const } : {}) }
    tradeIds.add(trade.id)
    tradesFrom = Math.max(tradesFrom, trade.timestamp)
    events.push(full ? { _tag: "Filled", order: current, trade: Option.some(trade) } : { _tag: "PartiallyFilled", order: current, trade: Option.some(trade) })
  }
  let untraded = from.untraded
  if (D.lt(current.filled, view.filled) && untradedAllowed) {
    untraded = D.add(untraded, D.sub(view.filled, current.filled))
    const fill = untradedFill(view, current)
    current = fill.order
    events.push(fill)
  }
  // Trades published after an untraded quantity filled after it: it stays the oldest of those not published.
  const next = (record: OrderRecord): Published => ({ record, tradeIds, untraded, tradesFrom })

  if (D.lt(current.filled, view.filled)) return { events, published: next(current), complete: false }
  // A final view that does not say whether the trigger fired (a stream's report of an order leaving the book) keeps what was known.
  const final = view.triggered === undefined && current.triggered !== undefined ? { ...view, triggered: current.triggered } : view
  const ended = finalEvent(final)
  if (Option.isSome(ended)) {
    events.push(ended.value)
    return { events, published: next(final), complete: true }
  }
  // Open (or closed by the last fill): the view as it stands, keeping the trigger and fees known.
  return { events, published: next(current.status === "open" ? withFees(view, current.fees, current.triggered) : current), complete: true }
}
